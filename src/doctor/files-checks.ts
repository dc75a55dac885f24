// File transfer: who may use it, and whether the deny globs still protect what they must.
import picomatch from "picomatch";
import type { FilesConfig } from "../config/schema.ts";
import { BUILTIN_DENY_GLOBS } from "../security/deny-globs.ts";
import { type CheckResult, fail, ok, warn } from "./types.ts";

export function checkFileAccess(files: FilesConfig): CheckResult {
  const id = "files.access";
  const label = "file transfer";
  if (!files.enabled) return ok(id, label, "disabled");
  const n = files.allowed_user_ids.length;
  if (n > 0) return ok(id, label, `enabled, restricted to ${n} user(s)`);
  return warn(
    id,
    label,
    "enabled for every allowed user (in groups: admins)",
    'untether config set transports.telegram.files.allowed_user_ids "[<user id>]"',
  );
}

/** Compiled as the path guard compiles them; unbalanced brackets also fail (they would match literally). */
function globProblem(glob: string): string | undefined {
  try {
    picomatch(glob, { dot: true, nocase: true, strictBrackets: true });
    return undefined;
  } catch (e) {
    return (e as Error).message.split(" - ")[0];
  }
}

/** The configured globs compile; the built-in list (security/deny-globs.ts) always applies on top. */
export function checkDenyGlobs(files: FilesConfig): CheckResult {
  const globs = files.deny_globs;
  const bad = globs.map((g) => ({ g, why: globProblem(g) })).filter((x) => x.why !== undefined);
  if (bad.length === 0) {
    return ok(
      "files.deny_globs",
      "deny globs compile",
      `${BUILTIN_DENY_GLOBS.length} built-in + ${globs.length} configured`,
    );
  }
  return fail(
    "files.deny_globs",
    "deny globs compile",
    bad.map((x) => `${JSON.stringify(x.g)}: ${x.why}`).join("; "),
    "transports.telegram.files.deny_globs",
  );
}
