// Which keys of the file hold secrets, by path. Used to mask `config list/get` output and to keep
// values out of error messages. The loader wraps the same keys in `Secret` (see schema.ts).
import type { KeyPath } from "./keys.ts";
import { SECRET_HEADER_RE } from "./schema.ts";

export const MASK = "[REDACTED]";

export function isSecretPath(path: KeyPath): boolean {
  const p = path.map(String);
  const [a, b, , d, e] = p;
  if (p.length === 1 && a === "bot_token") return true; // legacy top-level form
  if (a === "transports" && b === "telegram" && p.length === 3) {
    return p[2] === "bot_token" || p[2] === "voice_transcription_api_key";
  }
  if (a === "triggers" && b === "webhooks" && p.length >= 4) {
    if (d === "secret" && p.length === 4) return true;
    if (d === "forward_headers" && p.length === 5) return SECRET_HEADER_RE.test(e ?? "");
  }
  if (a === "triggers" && b === "crons" && p.length === 6 && d === "fetch" && e === "headers") {
    return SECRET_HEADER_RE.test(p[5] ?? "");
  }
  return false;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** A deep copy with every secret leaf replaced by "[REDACTED]". */
export function maskSecrets<T>(value: T, path: KeyPath = []): T {
  if (path.length > 0 && isSecretPath(path) && (typeof value === "string" || typeof value === "number")) {
    return MASK as T;
  }
  if (Array.isArray(value)) return value.map((v, i) => maskSecrets(v, [...path, i])) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskSecrets(v, [...path, k]);
    return out as T;
  }
  return value;
}

/** True when the subtree at `path` contains a secret leaf (so a printed table would leak it). */
export function containsSecret(value: unknown, path: KeyPath): boolean {
  if (isSecretPath(path)) return true;
  if (Array.isArray(value)) return value.some((v, i) => containsSecret(v, [...path, i]));
  if (isPlainObject(value)) return Object.entries(value).some(([k, v]) => containsSecret(v, [...path, k]));
  return false;
}
