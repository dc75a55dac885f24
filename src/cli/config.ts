// `untether config path|list|get|set|unset`: read and change the config file without an editor.
// Secrets are masked unless asked for; `set` validates the whole file before anything is written.
import { dirname } from "node:path";
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
import { buildConfig, readConfigSource } from "../config/load.ts";
import { migrateConfig, type TomlDoc } from "../config/migrate.ts";
import { containsSecret, isSecretPath, MASK, maskSecrets } from "../config/secret-keys.ts";
import { validateDocument } from "../config/validate.ts";
import { type CliContext, EXIT } from "./context.ts";
import { lineReader } from "./tty-input.ts";

export const configHelp = `usage: untether [--config PATH] config <command>

Shows or changes the config file. The file is found as: --config PATH, else
$UNTETHER_CONFIG_PATH, else ~/.untether/untether.toml (for every command).

commands:
  path                     print the config file path
  list [--show-secrets]    print every key as: key = <TOML value>, sorted
  get KEY [--show-secrets] print one value (a leaf, not a table)
  set KEY VALUE            set a value; VALUE is read as TOML (true, 42, [1, 2],
                           "text"), otherwise taken as text
  set KEY -                read VALUE from standard input (typed without echo on a
                           terminal, or piped); secrets are only accepted this way
  unset KEY                remove a key (and tables left empty)

KEY is dotted: transports.telegram.chat_id. Secrets (bot token, API keys, webhook
secrets, credential headers) print as [REDACTED] unless --show-secrets is given,
and are never taken from the command line (every local user can read it).

examples:
  untether config set transports.telegram.bot_token -      (then paste the token)
  untether config set transports.telegram.bot_token - < token.txt
  untether config set transports.telegram.chat_id 123456789
  untether config set transports.telegram.allowed_user_ids "[123456789]"
  untether config set default_engine claude
  untether config get transports.telegram.allowed_user_ids

set and unset check the whole file against the schema before writing, and
refuse a change after which the bot would not start (for example an empty
allowed_user_ids without allow_any_user) when the file started before, or when
the problem is the key being changed; an unfinished file can still be filled in
key by key. The file is replaced atomically and left readable by you only
(0600), in a folder created 0700; its comments and layout are kept (only the
changed lines differ). Legacy keys (top-level bot_token, chat_id,
allow_any_user) are moved under [transports.telegram] when the file is written.

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

interface Source {
  /** The migrated document. */
  doc: TomlDoc;
  /** The file's text (undefined when there is no file yet): edits keep its comments. */
  text?: string;
}

/** Reads and migrates the file; a missing file is an empty document when `allowMissing`. */
function readDoc(ctx: CliContext, allowMissing: boolean): Source {
  try {
    const { text, doc } = readConfigSource(ctx.configPath, ctx.env);
    return { text, doc: migrateConfig(doc).doc };
  } catch (e) {
    if (allowMissing && e instanceof ConfigError && e.code === "config.missing") return { doc: {} };
    throw e;
  }
}

/** Why the bot would not start with `doc` (the loader the bot uses), or undefined when it would. */
function startupProblem(ctx: CliContext, doc: TomlDoc): ConfigError | undefined {
  try {
    buildConfig(structuredClone(doc), { baseDir: dirname(ctx.configPath), env: ctx.env });
    return undefined;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
}

/**
 * Refuses (ConfigError `config.would_not_start`) an edit after which the bot would not start, when
 * the file started before the edit or the problem is the edited key itself. An unfinished file
 * (no allowlist yet) can still be filled in one key at a time.
 */
export function assertStillStarts(ctx: CliContext, before: TomlDoc, after: TomlDoc, key: string): void {
  const problem = startupProblem(ctx, after);
  if (problem === undefined) return;
  const aboutKey = problem.key !== undefined && (problem.key === key || problem.key.startsWith(`${key}.`));
  if (!aboutKey && startupProblem(ctx, before) !== undefined) return;
  throw new ConfigError(
    "config.would_not_start",
    `refusing to change ${key}: the bot would not start with it (${problem.message}); nothing was written`,
    { key, cause: problem },
  );
}

/** A value given as `-`: typed without echo on a terminal, else all of standard input. */
async function valueFromStdin(ctx: CliContext, key: string): Promise<string> {
  if (ctx.readStdin) return stripLineEnd(await ctx.readStdin());
  if (process.stdin.isTTY === true) {
    const reader = lineReader(ctx.err);
    try {
      return (await reader.secret(`value for ${key} (not shown): `)) ?? "";
    } finally {
      reader.close();
    }
  }
  return stripLineEnd(await Bun.stdin.text());
}

const stripLineEnd = (text: string): string => text.replace(/\r?\n$/, "");

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
  const { doc } = readDoc(ctx, false);
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
  const { doc } = readDoc(ctx, false);
  const found = getAt(doc, segments);
  if (!found.found) return fail(ctx, `${segments.join(".")} is not set`, EXIT.failure);
  const value = found.value;
  if (typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)) {
    return fail(ctx, `${segments.join(".")} is a table; pick a key inside it (see: untether config list)`, EXIT.usage);
  }
  ctx.out.write(`${display(segments, value, showSecrets)}\n`);
  return EXIT.ok;
}

/** Validates and writes `after`, keeping the file's comments; warns when they could not be kept. */
export function writeEdit(ctx: CliContext, source: Source, after: TomlDoc, key: string): void {
  validateDocument(after, { partial: true });
  assertStillStarts(ctx, source.doc, after, key);
  if (!writeConfigAtomic(ctx.configPath, after, source.text)) {
    ctx.err.write("note: this edit could not keep the file's comments and layout; it was rewritten\n");
  }
}

async function cmdSet(args: string[], ctx: CliContext): Promise<number> {
  const rest = args[0] === "--" ? args.slice(1) : args;
  if (rest.length !== 2) {
    return fail(
      ctx,
      'usage: untether config set KEY VALUE (quote a VALUE with spaces: "[1, 2]"), or KEY - to read it from stdin',
      EXIT.usage,
    );
  }
  const [key, given] = rest as [string, string];
  let segments = parseKeyPath(key);
  // Legacy top-level names are written where they live now.
  if (segments.length === 1 && LEGACY_KEYS.has(segments[0] as string)) {
    segments = ["transports", "telegram", segments[0] as string];
  }
  const dotted = segments.join(".");
  if (given !== "-" && isSecretPath(segments)) {
    // The value is not repeated: it is a secret, and it is already on this process's command line.
    return fail(
      ctx,
      `${dotted} is a secret and is not taken from the command line (every local user can read it, and it stays in shell history); run: untether config set ${dotted} - (then type or paste it, or pipe it in)`,
      EXIT.usage,
    );
  }
  const raw = given === "-" ? await valueFromStdin(ctx, dotted) : given;
  if (given === "-" && raw.trim() === "") return fail(ctx, `${dotted}: standard input held no value`, EXIT.usage);
  const source = readDoc(ctx, true);
  const after = structuredClone(source.doc);
  const value = coerceForKey(segments, raw, parseCliValue(raw));
  setAt(after, segments, value);
  writeEdit(ctx, source, after, dotted);
  ctx.out.write(`updated ${dotted} = ${display(segments, value, false)}\n`);
  return EXIT.ok;
}

function cmdUnset(args: string[], ctx: CliContext): number {
  if (args.length !== 1) return fail(ctx, "usage: untether config unset KEY", EXIT.usage);
  const segments = parseKeyPath(args[0] as string);
  const source = readDoc(ctx, false);
  const after = structuredClone(source.doc);
  if (!unsetAt(after, segments)) return fail(ctx, `${segments.join(".")} is not set`, EXIT.failure);
  writeEdit(ctx, source, after, segments.join("."));
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
        return await cmdSet(rest, ctx);
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
