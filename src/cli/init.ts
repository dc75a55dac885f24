// `untether init`: from a bot token to a config the bot starts with. Asks for the token (hidden), checks
// it with getMe, captures the chat id and the sender's user id from the next message to the bot, picks
// the default engine among the agent CLIs installed, writes the file (comments and layout of an
// existing one kept), runs doctor and prints the command that starts the bot. Re-run on an existing
// config, it changes only what the user confirms (with --yes: everything it found).
import { dirname } from "node:path";
import { TelegramApiError } from "../botapi/errors.ts";
import type { BotApiCall, TelegramUpdate } from "../botapi/types.ts";
import { writeConfigAtomic } from "../config/edit.ts";
import { ConfigError } from "../config/errors.ts";
import { buildConfig, readConfigSource } from "../config/load.ts";
import { migrateConfig, type TomlDoc } from "../config/migrate.ts";
import { CONFIGURABLE_ENGINE_IDS, DEFAULT_TELEGRAM_API_BASE_URL } from "../config/schema.ts";
import { validateDocument } from "../config/validate.ts";
import { findCli } from "../engines/availability.ts";
import { redactSecrets } from "../log/redact.ts";
import { registerSecretValue } from "../log/secret.ts";
import { runningLockOwner } from "../state/lock.ts";
import { type CliContext, EXIT } from "./context.ts";
import { doctorCommand } from "./doctor.ts";
import { InputInterrupted, type LineReader, lineReader } from "./tty-input.ts";

export const INIT_USAGE = `usage: untether [--config PATH] init [--token-stdin] [--yes] [--timeout SECONDS]

Sets up the config step by step: the bot token (typed hidden, never on the
command line), a check of it with Telegram, then "send any message to the bot":
that message gives chat_id and your user id (allowed_user_ids). It picks the
default engine among the agent CLIs installed, writes the file (0600; comments
and layout of an existing file kept), runs doctor and prints how to start the bot.

On an existing config it asks before changing anything that is already set
(the answer defaults to no), and changes only what you confirm.

options:
  --token-stdin      read the bot token from the first line of standard input
  --yes              ask nothing: keep what is already set, fill in what is missing
  --timeout SECONDS  how long to wait for the message (default 300)

Stop the bot first: two programs cannot poll the same token.
`;

interface Args {
  tokenStdin: boolean;
  yes: boolean;
  timeoutSec: number;
}

function parseArgs(args: string[]): Args | string {
  const out: Args = { tokenStdin: false, yes: false, timeoutSec: 300 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--token-stdin") out.tokenStdin = true;
    else if (a === "--yes" || a === "-y") out.yes = true;
    else if (a === "--timeout") {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < 1 || v > 86_400) return "--timeout needs a whole number of seconds (1 to 86400)";
      out.timeoutSec = v;
    } else if (a === "--token" || a.startsWith("--token=")) {
      return "--token is not accepted: a token on the command line is readable by every local user. Type it when asked, or pipe it with --token-stdin";
    } else return `unknown argument: ${a}`;
  }
  return out;
}

function tableIn(doc: TomlDoc, key: string): TomlDoc {
  const v = doc[key];
  if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as TomlDoc;
  const t: TomlDoc = {};
  doc[key] = t;
  return t;
}

function describeApiError(e: unknown): string {
  if (e instanceof TelegramApiError) {
    if (e.errorCode === 401 || e.errorCode === 404) return "Telegram rejected this token";
    if (e.errorCode === 409) return "another program is polling this bot (is untether running?); stop it first";
    return `Telegram answered ${e.errorCode}: ${redactSecrets(e.description)
      .replace(/[\u0000-\u001f\u007f]+/g, " ")
      .slice(0, 300)}`;
  }
  return "cannot reach the Telegram Bot API; check the network (or transports.telegram.api_base_url)";
}

class Session {
  readonly #ctx: CliContext;
  readonly #reader: LineReader;
  readonly interactive: boolean;

  constructor(ctx: CliContext, reader: LineReader, interactive: boolean) {
    this.#ctx = ctx;
    this.#reader = reader;
    this.interactive = interactive;
  }

  say(text: string): void {
    this.#ctx.out.write(`${text}\n`);
  }

  /** Replace something already set? Asked on a terminal (default no); never without one or with --yes. */
  async confirmChange(question: string): Promise<boolean> {
    if (!this.interactive) return false;
    const answer = (await this.#reader.line(`${question} [y/N] `))?.trim().toLowerCase();
    return answer === "y" || answer === "yes";
  }

  async secret(prompt: string): Promise<string | undefined> {
    return (await this.#reader.secret(prompt))?.trim();
  }
}

/** The next message to the bot, after acknowledging what was already waiting (see docs/getting-started.md). */
async function captureMessage(
  call: BotApiCall,
  s: Session,
  username: string,
  timeoutSec: number,
): Promise<NonNullable<TelegramUpdate["message"]> | undefined> {
  // Updates already waiting came before set-up, when nobody was allowed: the service would only
  // report them as missed. They are skipped (said so), and the captured message is acknowledged, so
  // the bot neither runs nor reports it when it starts.
  const waiting = await call("getUpdates", { timeout: 0 });
  let offset = waiting.length > 0 ? (waiting.at(-1) as TelegramUpdate).update_id + 1 : undefined;
  if (waiting.length > 0) s.say(`(${waiting.length} earlier update(s) were waiting for the bot; skipped)`);
  s.say(`Send any message to @${username} now — in a private chat with it, or in the group to use. Waiting…`);
  const deadline = Date.now() + timeoutSec * 1000;
  while (Date.now() < deadline) {
    const wait = Math.max(1, Math.min(30, Math.ceil((deadline - Date.now()) / 1000)));
    const updates = await call("getUpdates", {
      ...(offset === undefined ? {} : { offset }),
      timeout: wait,
      allowed_updates: ["message"],
    });
    for (const u of updates) {
      offset = u.update_id + 1;
      if (!u.message?.chat || !u.message.from) continue;
      await call("getUpdates", { offset, timeout: 0 }); // acknowledge it
      return u.message;
    }
  }
  return undefined;
}

export async function initCommand(args: string[], ctx: CliContext): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    ctx.out.write(INIT_USAGE);
    return EXIT.ok;
  }
  const parsed = parseArgs(args);
  if (typeof parsed === "string") {
    ctx.err.write(`error: ${parsed}\n${INIT_USAGE}`);
    return EXIT.usage;
  }
  const owner = runningLockOwner(`${ctx.configPath}.lock`);
  if (owner) {
    ctx.err.write(`error: untether is running with this config (pid ${owner.pid}); stop it first: kill ${owner.pid}\n`);
    return EXIT.failure;
  }
  const reader = lineReader(ctx.out);
  const interactive = process.stdin.isTTY === true && !parsed.yes;
  try {
    return await runInit(ctx, parsed, new Session(ctx, reader, interactive));
  } catch (e) {
    if (e instanceof InputInterrupted || e instanceof ConfigError) {
      ctx.err.write(`error: ${e.message}\n`);
      return e instanceof ConfigError ? EXIT.usage : EXIT.failure;
    }
    throw e;
  } finally {
    reader.close();
  }
}

async function runInit(ctx: CliContext, args: Args, s: Session): Promise<number> {
  let source: { text?: string; doc: TomlDoc };
  try {
    const read = readConfigSource(ctx.configPath, ctx.env);
    source = { text: read.text, doc: migrateConfig(read.doc).doc };
  } catch (e) {
    if (!(e instanceof ConfigError && e.code === "config.missing")) throw e;
    source = { doc: {} };
  }
  const after = structuredClone(source.doc);
  const tg = tableIn(tableIn(after, "transports"), "telegram");
  const baseUrl = typeof tg.api_base_url === "string" ? tg.api_base_url : DEFAULT_TELEGRAM_API_BASE_URL;
  s.say(source.text === undefined ? `Creating ${ctx.configPath}` : `Updating ${ctx.configPath}`);

  // 1. The token.
  const existingToken = typeof tg.bot_token === "string" && tg.bot_token.trim() !== "" ? tg.bot_token : undefined;
  let token: string | undefined;
  if (args.tokenStdin) token = await s.secret("");
  else if (existingToken && !(await s.confirmChange("A bot token is set. Replace it?"))) token = existingToken;
  const { createBotApi } = await import("../botapi/client.ts");
  let me: { username?: string; id: number } | undefined;
  let call: BotApiCall | undefined;
  for (let attempt = 0; me === undefined && attempt < 3; attempt++) {
    if (token === undefined) {
      if (!s.interactive) {
        ctx.err.write("error: no bot token: run init on a terminal, or pipe the token with --token-stdin\n");
        return EXIT.usage;
      }
      token = await s.secret("Bot token from @BotFather (typing is hidden): ");
      if (!token) continue;
    }
    registerSecretValue(token);
    call = createBotApi({ token, baseUrl }).call;
    try {
      me = await call("getMe");
    } catch (e) {
      ctx.err.write(`error: ${describeApiError(e)}\n`);
      if (!s.interactive || !(e instanceof TelegramApiError)) return EXIT.failure;
      token = undefined;
    }
  }
  if (me === undefined || call === undefined || token === undefined) return EXIT.failure;
  const username = me.username ?? `id ${me.id}`;
  s.say(`✓ token works: @${username}`);
  if (token !== existingToken) tg.bot_token = token;

  // 2. The chat and the user.
  const allowed = Array.isArray(tg.allowed_user_ids) ? (tg.allowed_user_ids as unknown[]) : [];
  const haveChat = typeof tg.chat_id === "number";
  const keepChat =
    haveChat &&
    allowed.length > 0 &&
    !(await s.confirmChange(
      `chat_id is ${String(tg.chat_id)} and allowed_user_ids is [${allowed.join(", ")}]. Set them from a new message?`,
    ));
  if (!keepChat) {
    let m: Awaited<ReturnType<typeof captureMessage>>;
    try {
      m = await captureMessage(call, s, username, args.timeoutSec);
    } catch (e) {
      ctx.err.write(`error: ${describeApiError(e)}\n`);
      return EXIT.failure;
    }
    if (!m?.from) {
      ctx.err.write(`error: no message arrived within ${args.timeoutSec} s; nothing was written\n`);
      return EXIT.failure;
    }
    const who = `${m.from.first_name}${m.from.username ? ` (@${m.from.username})` : ""}`;
    const where = m.chat.type === "private" ? "a private chat" : `the ${m.chat.type} "${m.chat.title ?? m.chat.id}"`;
    s.say(`✓ message from ${who}, user id ${m.from.id}, in ${where}: chat_id ${m.chat.id}`);
    tg.chat_id = m.chat.id;
    if (!allowed.includes(m.from.id)) tg.allowed_user_ids = [...allowed, m.from.id];
  }

  // 3. The default engine.
  const installed = CONFIGURABLE_ENGINE_IDS.filter((id) => findCli(id, ctx.env) !== undefined);
  s.say(installed.length > 0 ? `agents found: ${installed.join(", ")}` : "no agent CLI found on PATH");
  const current = typeof after.default_engine === "string" ? after.default_engine : undefined;
  const pick = installed[0];
  if (pick !== undefined && current === undefined) after.default_engine = pick;
  else if (
    pick !== undefined &&
    current !== undefined &&
    !installed.includes(current as (typeof installed)[number]) &&
    (await s.confirmChange(`default_engine is ${current}, which is not installed. Use ${pick}?`))
  ) {
    after.default_engine = pick;
  } else if (pick === undefined && current === undefined) {
    s.say(
      "  install one (e.g. npm install -g @anthropic-ai/claude-code), then: untether config set default_engine claude",
    );
  }

  // 4. Write, if anything changed.
  if (Bun.deepEquals(after, source.doc)) {
    s.say("nothing to change");
  } else {
    validateDocument(after);
    buildConfig(structuredClone(after), { baseDir: dirname(ctx.configPath), env: ctx.env });
    const kept = writeConfigAtomic(ctx.configPath, after, source.text);
    s.say(`✓ wrote ${ctx.configPath}${source.text !== undefined && kept ? " (comments and layout kept)" : ""}`);
  }

  // 5. Doctor, then how to start.
  s.say("");
  const code = await doctorCommand([], ctx);
  const flag = ctx.configPathSource === "flag" ? ` --config ${ctx.configPath}` : "";
  s.say(`\nStart the bot:  untether${flag} run`);
  return code;
}
