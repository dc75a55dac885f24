// Dotted key paths: parsing what users type (`config get a.b.c`) and printing where a problem is
// (`triggers.crons[0].schedule (cron "daily")`).
import { ConfigError } from "./errors.ts";

export type KeyPath = readonly (string | number)[];

const SEGMENT_RE = /^[A-Za-z0-9_-]+$/;

/** Splits `a.b.c` into segments; every segment must be letters, digits, '_' or '-'. */
export function parseKeyPath(key: string): string[] {
  const trimmed = key.trim();
  if (trimmed === "")
    throw new ConfigError(
      "config.key_path",
      "invalid key path: it is empty; use a dotted key such as transports.telegram.chat_id",
    );
  const segments = trimmed.split(".");
  for (const seg of segments) {
    if (seg === "") throw new ConfigError("config.key_path", `invalid key path '${trimmed}': empty segment`);
    if (!SEGMENT_RE.test(seg)) {
      throw new ConfigError(
        "config.key_path",
        `invalid key segment '${seg}' in '${trimmed}': use only letters, digits, '_' or '-'`,
      );
    }
  }
  return segments;
}

export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out;
}

/** Label for a key inside [[triggers.webhooks]] / [[triggers.crons]]: adds the entry's id. */
export function labelKey(path: KeyPath, doc: unknown): string {
  const dotted = formatKeyPath(path);
  const [a, b, i] = path;
  if (a !== "triggers" || (b !== "webhooks" && b !== "crons") || typeof i !== "number") return dotted;
  const list = (doc as { triggers?: Record<string, unknown> }).triggers?.[b];
  const entry = Array.isArray(list) ? (list[i] as { id?: unknown } | undefined) : undefined;
  const id = typeof entry?.id === "string" ? entry.id : undefined;
  return id === undefined ? dotted : `${dotted} (${b === "crons" ? "cron" : "webhook"} "${id}")`;
}
