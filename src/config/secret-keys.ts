// Masking secrets in what the CLI prints (`config list/get`) and keeping them out of error messages.
// Which keys are secret is not listed here: it is the `secret` marker on the schema node (the same
// builder makes the loader decode the value to `Secret`), read through markers.ts.
import type { TSchema } from "@sinclair/typebox";
import type { KeyPath } from "./keys.ts";
import { isSecretKey } from "./markers.ts";

export const MASK = "[REDACTED]";

/** True when the schema marks the value at `path` secret (`root` is for tests). */
export function isSecretPath(path: KeyPath, root?: TSchema): boolean {
  return isSecretKey(path, root);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** A deep copy with every secret leaf replaced by "[REDACTED]". */
export function maskSecrets<T>(value: T, path: KeyPath = [], root?: TSchema): T {
  if (path.length > 0 && isSecretPath(path, root) && (typeof value === "string" || typeof value === "number")) {
    return MASK as T;
  }
  if (Array.isArray(value)) return value.map((v, i) => maskSecrets(v, [...path, i], root)) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskSecrets(v, [...path, k], root);
    return out as T;
  }
  return value;
}

/** True when the subtree at `path` contains a secret leaf (so a printed table would leak it). */
export function containsSecret(value: unknown, path: KeyPath, root?: TSchema): boolean {
  if (isSecretPath(path, root)) return true;
  if (Array.isArray(value)) return value.some((v, i) => containsSecret(v, [...path, i], root));
  if (isPlainObject(value)) return Object.entries(value).some(([k, v]) => containsSecret(v, [...path, k], root));
  return false;
}
