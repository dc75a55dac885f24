// `untether pair`: a one-time code a new user sends to the running bot (`/pair <code>` in a private
// chat) to be added to transports.telegram.allowed_user_ids. The code is stored hashed in the state
// database beside the config; the running bot checks it.
import { dirname, join } from "node:path";
import { ConfigError } from "../config/errors.ts";
import { loadConfig } from "../config/load.ts";
import { StateDb } from "../state/db.ts";
import { runningLockOwner } from "../state/lock.ts";
import { issuePairCode, PAIR_CODE_TTL_MS } from "../state/pair-codes.ts";
import { type CliContext, EXIT } from "./context.ts";

export const PAIR_USAGE = `usage: untether [--config PATH] pair

Prints a one-time 6-digit code, valid 10 minutes. The new user opens a private
chat with the bot and sends: /pair <code>. The running bot then adds them to
transports.telegram.allowed_user_ids (the file is edited in place, comments kept)
and tells the owner's chat (chat_id) who was added. A new code replaces the last
one; each code works once. Wrong codes are limited to 5 a minute for everyone.
`;

export async function pairCommand(args: string[], ctx: CliContext): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    ctx.out.write(PAIR_USAGE);
    return EXIT.ok;
  }
  if (args.length > 0) {
    ctx.err.write(`error: unexpected argument: ${args[0]}\n${PAIR_USAGE}`);
    return EXIT.usage;
  }
  try {
    // The bot that will check the code must be able to start with this file.
    loadConfig(ctx.configPath, { env: ctx.env, checkPermissions: false });
  } catch (e) {
    if (e instanceof ConfigError) {
      ctx.err.write(`error: ${e.message}\n`);
      return e.code === "config.missing" ? EXIT.failure : EXIT.usage;
    }
    throw e;
  }
  const db = StateDb.open(join(dirname(ctx.configPath), "untether.db"));
  let issued: { code: string; expiresAt: number };
  try {
    issued = issuePairCode(db, Date.now());
  } finally {
    db.close();
  }
  const until = new Date(issued.expiresAt).toTimeString().slice(0, 5);
  ctx.out.write(
    `pairing code: ${issued.code}  (one use, valid ${PAIR_CODE_TTL_MS / 60_000} minutes, until ${until})\n` +
      `The new user opens a private chat with the bot and sends:  /pair ${issued.code}\n`,
  );
  if (!runningLockOwner(`${ctx.configPath}.lock`)) {
    ctx.err.write(
      "note: untether is not running with this config; start it (untether run): the running bot checks the code\n",
    );
  }
  return EXIT.ok;
}
