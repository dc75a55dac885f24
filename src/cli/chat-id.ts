// `untether chat-id`: waits for the next message to the bot and prints its chat id, chat type and
// the sender's user id — what `chat_id` and `allowed_user_ids` need.

import { TelegramApiError } from "../botapi/errors.ts";
import type { TelegramUpdate } from "../botapi/types.ts";
import { ConfigError } from "../config/errors.ts";
import { readConfigDocument } from "../config/load.ts";
import { DEFAULT_TELEGRAM_API_BASE_URL } from "../config/schema.ts";
import { redactSecrets } from "../log/redact.ts";
import { registerSecretValue } from "../log/secret.ts";
import { type CliContext, EXIT } from "./context.ts";

export const CHAT_ID_USAGE = `usage: untether [--config PATH] chat-id [--token-stdin] [--timeout SECONDS]

Waits for the next message sent to the bot (in a private chat, a group or a topic) and prints
its chat id, chat type and the sender's user id, then exits. Stop the running bot first: two
programs cannot poll the same token.

options:
  --token-stdin      read the bot token from standard input instead of transports.telegram.bot_token
                     (e.g. untether chat-id --token-stdin < token.txt); a token on the command
                     line would be visible to every local user
  --timeout SECONDS  give up after this long (default 300)
`;

interface Args {
  tokenFromStdin: boolean;
  timeoutSec: number;
}

function parseArgs(args: string[]): Args | string {
  const out: Args = { tokenFromStdin: false, timeoutSec: 300 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--token" || a.startsWith("--token=")) {
      // The value is never echoed: it is a secret, and it is already on this process's command line.
      return "--token is not accepted: a token on the command line is readable by every local user (/proc/<pid>/cmdline). Pipe it with --token-stdin, or set transports.telegram.bot_token";
    } else if (a === "--token-stdin") {
      out.tokenFromStdin = true;
    } else if (a === "--timeout") {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < 1 || v > 86_400) return "--timeout needs a whole number of seconds (1 to 86400)";
      out.timeoutSec = v;
    } else {
      return `unknown argument: ${a}`;
    }
  }
  return out;
}

function tableOf(doc: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = doc[key];
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export async function chatIdCommand(args: string[], ctx: CliContext): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    ctx.out.write(CHAT_ID_USAGE);
    return EXIT.ok;
  }
  const parsed = parseArgs(args);
  if (typeof parsed === "string") {
    ctx.err.write(`error: ${parsed}\n${CHAT_ID_USAGE}`);
    return EXIT.usage;
  }
  let token: string | undefined;
  if (parsed.tokenFromStdin) {
    token = (await (ctx.readStdin ?? (() => Bun.stdin.text()))()).trim();
    if (!token) {
      ctx.err.write("error: --token-stdin: standard input held no token\n");
      return EXIT.usage;
    }
  }
  let base = DEFAULT_TELEGRAM_API_BASE_URL;
  try {
    // Only the token and API URL are needed: the rest of the config may still be incomplete.
    const tg = tableOf(tableOf(readConfigDocument(ctx.configPath, ctx.env), "transports"), "telegram");
    token ??= typeof tg.bot_token === "string" ? tg.bot_token.trim() : undefined;
    if (typeof tg.api_base_url === "string") base = tg.api_base_url;
  } catch (e) {
    if (!(e instanceof ConfigError) || token === undefined) {
      ctx.err.write(`error: ${(e as Error).message}\n`);
      return EXIT.usage;
    }
  }
  if (!token) {
    ctx.err.write(
      "error: no bot token: set transports.telegram.bot_token (untether config set transports.telegram.bot_token -, then paste it) or pipe it with --token-stdin\n",
    );
    return EXIT.usage;
  }
  registerSecretValue(token);
  const { createBotApi } = await import("../botapi/client.ts");
  const { call } = createBotApi({ token, baseUrl: base });
  let offset: number | undefined;
  try {
    const me = await call("getMe");
    // Start after whatever is already waiting: we want the NEXT message.
    const last = (await call("getUpdates", { offset: -1, timeout: 0 })).at(-1);
    offset = last ? last.update_id + 1 : undefined;
    ctx.out.write(`Send a message to @${me.username ?? "your bot"} now (in the chat you want to use)…\n`);
  } catch (e) {
    ctx.err.write(`error: ${describe(e)}\n`);
    return EXIT.failure;
  }
  const deadline = Date.now() + parsed.timeoutSec * 1000;
  while (Date.now() < deadline) {
    const wait = Math.max(1, Math.min(30, Math.ceil((deadline - Date.now()) / 1000)));
    let updates: TelegramUpdate[];
    try {
      updates = await call("getUpdates", {
        ...(offset === undefined ? {} : { offset }),
        timeout: wait,
        allowed_updates: ["message"],
      });
    } catch (e) {
      ctx.err.write(`error: ${describe(e)}\n`);
      return EXIT.failure;
    }
    for (const u of updates) {
      offset = u.update_id + 1;
      const m = u.message;
      if (!m?.chat) continue;
      await call("getUpdates", { offset, timeout: 0 }).catch(() => undefined); // acknowledge it
      const title = m.chat.title ? ` "${m.chat.title}"` : "";
      ctx.out.write(`chat_id = ${m.chat.id}  (${m.chat.type}${title})\n`);
      if (m.message_thread_id !== undefined) ctx.out.write(`topic (message_thread_id) = ${m.message_thread_id}\n`);
      if (m.from) ctx.out.write(`user_id = ${m.from.id}${m.from.username ? `  (@${m.from.username})` : ""}\n`);
      ctx.out.write(
        `\nNext:\n  untether config set transports.telegram.chat_id ${m.chat.id}\n` +
          (m.from ? `  untether config set transports.telegram.allowed_user_ids "[${m.from.id}]"\n` : ""),
      );
      return EXIT.ok;
    }
  }
  ctx.err.write(`error: no message arrived within ${parsed.timeoutSec} s\n`);
  return EXIT.failure;
}

function describe(e: unknown): string {
  if (e instanceof TelegramApiError) {
    if (e.errorCode === 401 || e.errorCode === 404)
      return "Telegram rejected the bot token; check transports.telegram.bot_token";
    if (e.errorCode === 409) return "another program is polling this bot (is untether running?); stop it first";
    // Telegram's text (or a proxy's, via api_base_url) may quote the request: redacted, one line, capped.
    const text = redactSecrets(e.description)
      .replace(/[\u0000-\u001f\u007f]+/g, " ")
      .slice(0, 300);
    return `Telegram answered ${e.errorCode}: ${text}`;
  }
  return "cannot reach the Telegram Bot API; check the network and transports.telegram.api_base_url";
}
