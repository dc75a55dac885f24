// `untether doctor [--json]`: checks the config, access, Telegram, file transfer, voice, engines,
// the engine environment, triggers and the state folder. Exit 1 on any error; warnings keep 0.
import { runChecks } from "../doctor/checks.ts";
import { renderHuman, renderJson } from "../doctor/render.ts";
import type { DoctorOptions } from "../doctor/types.ts";
import { createLogger, logger, parseLevel, setLogger } from "../log/logger.ts";
import { redactSecrets } from "../log/redact.ts";
import { VERSION } from "../version.ts";
import { type CliContext, EXIT } from "./context.ts";

export const doctorHelp = `usage: untether [--config PATH] doctor [--json]

Checks everything the bot needs before you start it, one line per check:
  config      the file loads; where it was found; permissions (600 file, 700 folder)
  access      allowed_user_ids is set (allow_any_user = true is a loud warning)
  telegram    the token (getMe), chat_id (getChat), no other process polling the
              same token (409), forum topics and the bot's rights when enabled
  files       who may transfer files; deny globs compile; the 5 core defaults kept
  voice       an API key is available; the endpoint passes the SSRF guard
  engines     the default engine is installed and runnable; the others listed
  security    [security] env extensions; secret-looking variables engines would see
  triggers    bind address, webhook secrets, the port is free, cron expressions
  state       the config's folder exists (or can be created), is writable and 700

Every failing line is followed by "fix:" with the command or config key to change.
Nothing secret is printed: not the bot token, not a variable's value.

options:
  --json       print one JSON document {ok, checked_at, summary, checks: [{id, label,
               status, detail, fix?, skipped?}]} for scripts
  --help, -h   print this help

The Telegram checks call the Bot API (transports.telegram.api_base_url). While an
untether runs with this config (it holds the lock file), the single-poller line
names its pid; otherwise a 1-second getUpdates probe catches a second bot polling
the same token; no update is consumed. With only bot_token set, the token is still
tested. Checks that cannot run yet are shown as skipped, not as warnings.

exit codes: 0 no errors (warnings allowed), 1 at least one error, 2 usage error
`;

export async function doctorCommand(
  args: string[],
  ctx: CliContext,
  overrides: Partial<DoctorOptions> = {},
): Promise<number> {
  let json = false;
  for (const a of args) {
    if (a === "--help" || a === "-h") {
      ctx.out.write(doctorHelp);
      return EXIT.ok;
    }
    if (a === "--json") {
      json = true;
      continue;
    }
    ctx.err.write(`error: unknown option for doctor: ${a}\n${doctorHelp}`);
    return EXIT.usage;
  }
  const opts: DoctorOptions = { env: ctx.env, fetchImpl: globalThis.fetch, now: Date.now, ...overrides };
  // Internal log lines (ssrf.blocked_ip, config.migrated…) repeat what the checks report; they go to
  // stderr, errors only unless UNTETHER_LOG_LEVEL says otherwise, so stdout stays one clean report.
  const previous = logger();
  const level = ctx.env.UNTETHER_LOG_LEVEL ? parseLevel(ctx.env.UNTETHER_LOG_LEVEL) : "error";
  setLogger(createLogger({ level, pretty: false, sink: ctx.err }));
  let checks: Awaited<ReturnType<typeof runChecks>>;
  try {
    checks = await runChecks({ configPath: ctx.configPath, configPathSource: ctx.configPathSource }, opts);
  } finally {
    setLogger(previous);
  }
  const fancy = ctx.isTty && (ctx.env.NO_COLOR ?? "") === "";
  const text = json
    ? renderJson(checks, new Date(opts.now()))
    : renderHuman(checks, `untether doctor ${VERSION}`, { fancy });
  // Checks never quote secrets; redacting the whole report again costs nothing and catches a slip.
  ctx.out.write(redactSecrets(text));
  return checks.some((c) => c.status === "error") ? EXIT.failure : EXIT.ok;
}
