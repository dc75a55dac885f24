// Schema validation plus the rules a JSON Schema cannot say (cron syntax, time zones, unique ids,
// cross-references). The first problem becomes a ConfigError naming the full key path.
import type { TSchema } from "@sinclair/typebox";
import { type ValueError, ValueErrorType } from "@sinclair/typebox/errors";
import { Value } from "@sinclair/typebox/value";
import { ConfigError } from "./errors.ts";
import { formatKeyPath, type KeyPath, labelKey } from "./keys.ts";
import type { TomlDoc } from "./migrate.ts";
import { checkSemantics } from "./rules.ts";
import { type ConfigFile, ConfigSchema } from "./schema.ts";
import { isSecretPath } from "./secret-keys.ts";

export interface ValidateOptions {
  /**
   * Partial documents (written step by step by `config set`) may lack the keys every running bot
   * needs (`transports.telegram.bot_token`, `chat_id`); everything present is still checked.
   */
  partial?: boolean;
}

const STEP_BY_STEP_KEYS = new Set([
  "/transports",
  "/transports/telegram",
  "/transports/telegram/bot_token",
  "/transports/telegram/chat_id",
]);

/** Validates a migrated document; returns it with defaults applied (secrets still plain strings). */
export function validateDocument(doc: TomlDoc, opts: ValidateOptions = {}): ConfigFile {
  const withDefaults = Value.Default(ConfigSchema, structuredClone(doc)) as TomlDoc;
  const isMissing = (e: ValueError) => e.type === ValueErrorType.ObjectRequiredProperty;
  // Value.Default merges a present table or date into an object default (`Object.assign([], {})`), so
  // `allowed_user_ids = {}` would pass as []: wrong values as written are checked too.
  const afterDefaults = [...Value.Errors(ConfigSchema, withDefaults)];
  const seen = new Set(afterDefaults.map((e) => e.path));
  const asWritten = [...Value.Errors(ConfigSchema, doc)].filter(
    (e) =>
      e.type !== ValueErrorType.ObjectRequiredProperty &&
      e.value !== undefined &&
      !seen.has(e.path) &&
      !seen.has(e.path.replace(/\/[^/]*$/, "")),
  );
  const errors = [...afterDefaults, ...asWritten]
    // A missing key also yields a type error for `undefined`; the "missing" one says it better.
    .filter((e) => isMissing(e) || e.value !== undefined)
    .filter((e) => !(opts.partial && isMissing(e) && STEP_BY_STEP_KEYS.has(e.path)))
    // A wrong value is reported before a missing key: it is what the user just typed.
    .sort((a, b) => Number(isMissing(a)) - Number(isMissing(b)));
  const first = errors[0];
  if (first) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? "s" : ""})` : "";
    const key = keyFromPointer(first.path, withDefaults);
    throw new ConfigError("config.invalid", `${key.label}: ${describeError(first, key.path)}${more}`, {
      key: key.dotted,
    });
  }
  checkSemantics(withDefaults as ConfigFile);
  return withDefaults as ConfigFile;
}

// ---- key paths ------------------------------------------------------------------------------

interface KeyRef {
  path: KeyPath;
  /** `triggers.crons[0].schedule` */
  dotted: string;
  /** dotted plus the entry's id when inside webhooks/crons: `triggers.crons[0].schedule (cron "daily")` */
  label: string;
}

function keyFromPointer(pointer: string, doc: unknown): KeyRef {
  const path: (string | number)[] = [];
  let node: unknown = doc;
  for (const raw of pointer.split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const index = Array.isArray(node) && /^\d+$/.test(seg) ? Number(seg) : undefined;
    path.push(index ?? seg);
    node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[seg] : undefined;
  }
  return { path, dotted: formatKeyPath(path), label: labelKey(path, doc) };
}

// ---- messages -------------------------------------------------------------------------------

function got(value: unknown, path: KeyPath): string {
  if (isSecretPath(path)) return "";
  if (typeof value === "string") {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return `, got the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === "number" || typeof value === "boolean") return `, got ${String(value)}`;
  if (Array.isArray(value)) return ", got a list";
  if (value !== null && typeof value === "object") return ", got a table";
  return "";
}

function literals(schema: TSchema): string[] | undefined {
  const anyOf = (schema as { anyOf?: { const?: unknown }[] }).anyOf;
  if (!anyOf?.every((s) => typeof s.const === "string")) return undefined;
  return anyOf.map((s) => JSON.stringify(s.const));
}

function range(schema: TSchema): string {
  const s = schema as { minimum?: number; maximum?: number; exclusiveMinimum?: number };
  const low =
    s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : s.minimum !== undefined ? `${s.minimum}` : undefined;
  if (s.exclusiveMinimum !== undefined && s.maximum !== undefined)
    return `must be > ${s.exclusiveMinimum} and ≤ ${s.maximum}`;
  if (low !== undefined && s.maximum !== undefined) return `must be between ${low} and ${s.maximum}`;
  if (s.exclusiveMinimum !== undefined) return `must be > ${s.exclusiveMinimum}`;
  if (s.minimum !== undefined) return `must be at least ${s.minimum}`;
  return `must be at most ${s.maximum}`;
}

function knownKeys(schema: TSchema): string {
  const props = (schema as { properties?: Record<string, unknown> }).properties;
  return props ? Object.keys(props).join(", ") : "";
}

function describeError(e: ValueError, path: KeyPath): string {
  const v = e.value;
  const key = formatKeyPath(path);
  switch (e.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const where = path.length > 1 ? `[${formatKeyPath(path.slice(0, -1))}]` : "the top level";
      return `unknown key in ${where}; check the spelling or remove it (known keys: ${knownKeys(e.schema)})`;
    }
    case ValueErrorType.ObjectRequiredProperty:
      if (key === "transports.telegram.bot_token") {
        return "missing; set it with: untether config set transports.telegram.bot_token - (then paste the token from @BotFather)";
      }
      if (key === "transports.telegram.chat_id") {
        return "missing; find it with `untether chat-id`, then: untether config set transports.telegram.chat_id <id>";
      }
      if (key === "transports" || key === "transports.telegram") {
        return "missing; start with: untether config set transports.telegram.bot_token - (then paste the token from @BotFather)";
      }
      return "missing; this key is required here";
    case ValueErrorType.Integer:
      return `expected an integer${got(v, path)}`;
    case ValueErrorType.Number:
      return `expected a number${got(v, path)}`;
    case ValueErrorType.Boolean: {
      const hint =
        typeof v === "string" && /^(true|false)$/i.test(v.trim())
          ? `; write ${v.trim().toLowerCase()} in lower case, without quotes`
          : "";
      return `expected true or false${got(v, path)}${hint}`;
    }
    case ValueErrorType.String:
      return `expected a string${got(v, path)}`;
    case ValueErrorType.Array:
      return `expected a list such as [1, 2]${got(v, path)}`;
    case ValueErrorType.Object:
      return `expected a table${got(v, path)}`;
    case ValueErrorType.Union: {
      const lits = literals(e.schema);
      return lits ? `expected one of ${lits.join(", ")}${got(v, path)}` : `${e.message}${got(v, path)}`;
    }
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.NumberExclusiveMinimum:
      return `${range(e.schema)}${got(v, path)}`;
    case ValueErrorType.StringMinLength:
      return "must not be empty";
    case ValueErrorType.StringPattern: {
      const pattern = (e.schema as { pattern?: string }).pattern;
      if (pattern === "\\S") return "must not be empty or blank";
      if (key.endsWith("voice_transcription_language")) {
        return `must be an ISO-639-1 code like "en"${got(v, path)}`;
      }
      return `must match ${pattern}${got(v, path)}`;
    }
    default:
      return `${e.message}${got(v, path)}`;
  }
}
