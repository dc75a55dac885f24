// File transfer: who may use it, and whether the deny globs still protect what they must.
import picomatch from "picomatch";
import type { FilesConfig } from "../config/schema.ts";
import { type CheckResult, fail, ok, warn } from "./types.ts";

/** The five defaults DESIGN.md requires; removing one exposes secrets to /file get. */
export const CORE_DENY_GLOBS = [".git/**", ".env", ".envrc", "**/*.pem", "**/.ssh/**"] as const;

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

export function checkDenyGlobs(files: FilesConfig): CheckResult[] {
  const globs = files.deny_globs;
  const bad = globs.map((g) => ({ g, why: globProblem(g) })).filter((x) => x.why !== undefined);
  const compiles =
    bad.length === 0
      ? ok("files.deny_globs", "deny globs compile", `${globs.length} glob(s)`)
      : fail(
          "files.deny_globs",
          "deny globs compile",
          bad.map((x) => `${JSON.stringify(x.g)}: ${x.why}`).join("; "),
          "transports.telegram.files.deny_globs",
        );
  const missing = CORE_DENY_GLOBS.filter((g) => !globs.includes(g));
  const defaults =
    missing.length === 0
      ? ok("files.deny_defaults", "default deny globs", "all 5 core defaults present")
      : warn(
          "files.deny_defaults",
          "default deny globs",
          `removed from deny_globs: ${missing.join(", ")}${files.enabled ? "" : " (file transfer is disabled)"}`,
          `add ${missing.map((g) => JSON.stringify(g)).join(", ")} back to transports.telegram.files.deny_globs`,
        );
  return [compiles, defaults];
}
