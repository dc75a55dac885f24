// A config file holds the bot token: anyone who can read it controls the bot, anyone who can write
// it chooses who may. Group/other access is reported with the exact fix. Directories: ours are created
// 0700; one we did not create (`--config /etc/untether.toml`) is never chmodded, only reported.
import { statSync } from "node:fs";

export interface PermissionWarning {
  path: string;
  /** Octal permission bits, e.g. "644". */
  mode: string;
  fix: string;
}

/** Paths in fixes are shell-quoted so they can be pasted as they are. */
export function shellQuote(p: string): string {
  return /^[A-Za-z0-9_@%+=:,./~-]+$/.test(p) ? p : `'${p.replace(/'/g, "'\\''")}'`;
}

/** The fix for a folder open to others: never a blind chmod, the folder may be a shared one such as /etc. */
export function privateDirFix(dir: string): string {
  return `chmod 700 ${shellQuote(dir)} if the folder is Untether's own; else keep the config in a folder of its own (--config ~/.untether/untether.toml)`;
}

function openToOthers(path: string, fix: string): PermissionWarning | undefined {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return undefined; // missing or unreadable: reported elsewhere
  }
  if ((mode & 0o077) === 0) return undefined;
  return { path, mode: mode.toString(8).padStart(3, "0"), fix };
}

export function checkConfigPermissions(path: string): PermissionWarning | undefined {
  return openToOthers(path, `chmod 600 ${shellQuote(path)}`);
}

/** Group/other access to the folder holding the config, the state database and the lock. */
export function configDirWarning(dir: string): PermissionWarning | undefined {
  return openToOthers(dir, privateDirFix(dir));
}
