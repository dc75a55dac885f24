// `untether config path|list|get|set|unset`: read and change the config file without an editor.
// Secrets are masked unless asked for; `set` validates the whole file before anything is written.
import {
  coerceForKey,
  flattenDocument,
  getAt,
  parseCliValue,
  setAt,
  tomlLiteral,
  unsetAt,
  writeConfigAtomic,
} from "../config/edit.ts";
import { ConfigError } from "../config/errors.ts";
import { parseKeyPath } from "../config/keys.ts";
import { readConfigDocument } from "../config/load.ts";
import { migrateConfig, type TomlDoc } from "../config/migrate.ts";
import { containsSecret, isSecretPath, MASK, maskSecrets } from "../config/secret-keys.ts";
import { validateDocument } from "../config/validate.ts";
import { type CliContext, EXIT } from "./context.ts";

export const configHelp = `usage: untether [--config PATH] config <command>

Shows or changes the config file. The file is found as: --config PATH, else
$UNTETHER_CONFIG_PATH, else ~/.untether/untether.toml (for every command).

commands:
  path                     print the config file path
  list [--show-secrets]    print every key as: key = <TOML value>, sorted
  get KEY [--show-secrets] print one value (a leaf, not a table)
  set KEY VALUE            set a value; VALUE is read as TOML (true, 42, [1, 2],
                           "text"), otherwise taken as text
  unset KEY                remove a key (and tables left empty)

KEY is dotted: transports.telegram.chat_id. Secrets (bot token, API keys, webhook
secrets, credential headers) print as [REDACTED] unless --show-secrets is given.

examples:
  untether config set transports.telegram.bot_token 123456:ABC-your-token
  untether config set transports.telegram.chat_id 123456789
  untether config set transports.telegram.allowed_user_ids "[123456789]"
  untether config set default_engine claude
  untether config get transports.telegram.allowed_user_ids

set and unset check the whole file against the schema before writing (the
allowlist rule is checked when the bot starts, so you can set keys one by one).
The file is replaced atomically and left readable by you only (0600), in a
folder created 0700. Legacy keys (top-level bot_token, chat_id, allow_any_user)
are moved under [transports.telegram] when the file is written.
Limitation: comments in the file are not kept by set/unset (key order is).

exit codes:
  0  done
  1  key not set, or the config file is missing, unreadable or unwritable
  2  usage error, invalid key or value, or an invalid config file
`;

const fail = (ctx: CliContext, message: string, code: number): number => {
  ctx.err.write(`error: ${message}\n`);
  return code;
};

function exitFor(e: ConfigError): number {
  switch (e.code) {
    case "config.missing":
    case "config.unreadable":
    case "config.not_a_file":
    case "config.write_failed":
      return EXIT.failure;
    default:
      return EXIT.usage;
  }
}

/** Reads and migrates the file; a missing file is an empty document when `allowMissing`. */
function readDoc(ctx: CliContext, allowMissing: boolean): TomlDoc {
  try {
    return migrateConfig(readConfigDocument(ctx.configPath, ctx.env)).doc;
  } catch (e) {
    if (allowMissing && e instanceof ConfigError && e.code === "config.missing") return {};
    throw e;
  }
}

function display(path: readonly string[], value: unknown, showSecrets: boolean): string {
  if (showSecrets) return tomlLiteral(value);
  if (isSecretPath(path)) return MASK;
  return tomlLiteral(containsSecret(value, path) ? maskSecrets(value, path) : value);
}

const LEGACY_KEYS = new Set(["bot_token", "chat_id", "allow_any_user"]);

function cmdList(args: string[], ctx: CliContext): number {
  const showSecrets = args.includes("--show-secrets");
  const extra = args.filter((a) => a !== "--show-secrets");
  if (extra.length > 0) return fail(ctx, `config list takes no arguments (got ${extra.join(" ")})`, EXIT.usage);
  const doc = readDoc(ctx, false);
  for (const [path, value] of flattenDocument(doc)) {
    ctx.out.write(`${path.join(".")} = ${display(path, value, showSecrets)}\n`);
  }
  return EXIT.ok;
}

function cmdGet(args: string[], ctx: CliContext): number {
  const showSecrets = args.includes("--show-secrets");
  const rest = args.filter((a) => a !== "--show-secrets");
  if (rest.length !== 1) return fail(ctx, "usage: untether config get KEY [--show-secrets]", EXIT.usage);
  const key = rest[0] as string;
  const segments = parseKeyPath(key);
  const doc = readDoc(ctx, false);
  const found = getAt(doc, segments);
  if (!found.found) return fail(ctx, `${segments.join(".")} is not set`, EXIT.failure);
  const value = found.value;
  if (typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)) {
    return fail(ctx, `${segments.join(".")} is a table; pick a key inside it (see: untether config list)`, EXIT.usage);
  }
  ctx.out.write(`${display(segments, value, showSecrets)}\n`);
  return EXIT.ok;
}

function cmdSet(args: string[], ctx: CliContext): number {
  const rest = args[0] === "--" ? args.slice(1) : args;
  if (rest.length !== 2) {
    return fail(ctx, 'usage: untether config set KEY VALUE (quote a VALUE with spaces: "[1, 2]")', EXIT.usage);
  }
  const [key, raw] = rest as [string, string];
  let segments = parseKeyPath(key);
  // Legacy top-level names are written where they live now.
  if (segments.length === 1 && LEGACY_KEYS.has(segments[0] as string)) {
    segments = ["transports", "telegram", segments[0] as string];
  }
  const doc = readDoc(ctx, true);
  const value = coerceForKey(segments, raw, parseCliValue(raw));
  setAt(doc, segments, value);
  validateDocument(doc, { partial: true });
  writeConfigAtomic(ctx.configPath, doc);
  ctx.out.write(`updated ${segments.join(".")} = ${display(segments, value, false)}\n`);
  return EXIT.ok;
}

function cmdUnset(args: string[], ctx: CliContext): number {
  if (args.length !== 1) return fail(ctx, "usage: untether config unset KEY", EXIT.usage);
  const segments = parseKeyPath(args[0] as string);
  const doc = readDoc(ctx, false);
  if (!unsetAt(doc, segments)) return fail(ctx, `${segments.join(".")} is not set`, EXIT.failure);
  validateDocument(doc, { partial: true });
  writeConfigAtomic(ctx.configPath, doc);
  ctx.out.write(`removed ${segments.join(".")}\n`);
  return EXIT.ok;
}

export async function runConfigCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "--help" || sub === "-h" || sub === "help" || rest.includes("--help") || rest.includes("-h")) {
    ctx.out.write(configHelp);
    return EXIT.ok;
  }
  try {
    switch (sub) {
      case "path":
        if (rest.length > 0) return fail(ctx, "config path takes no arguments", EXIT.usage);
        ctx.out.write(`${ctx.configPath}\n`);
        return EXIT.ok;
      case "list":
        return cmdList(rest, ctx);
      case "get":
        return cmdGet(rest, ctx);
      case "set":
        return cmdSet(rest, ctx);
      case "unset":
        return cmdUnset(rest, ctx);
      case undefined:
        ctx.err.write(configHelp);
        return EXIT.usage;
      default:
        return fail(ctx, `unknown config command: ${sub} (path, list, get, set, unset)`, EXIT.usage);
    }
  } catch (e) {
    if (e instanceof ConfigError) return fail(ctx, e.message, exitFor(e));
    throw e;
  }
}
