// A config file holds the bot token: anyone who can read it controls the bot, anyone who can write
// it chooses who may. Group/other access is reported with the exact fix.
import { statSync } from "node:fs";

export interface PermissionWarning {
  path: string;
  /** Octal permission bits, e.g. "644". */
  mode: string;
  fix: string;
}

export function checkConfigPermissions(path: string): PermissionWarning | undefined {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return undefined; // missing or unreadable: reported elsewhere
  }
  if ((mode & 0o077) === 0) return undefined;
  return { path, mode: mode.toString(8).padStart(3, "0"), fix: `chmod 600 ${shellQuote(path)}` };
}

function shellQuote(p: string): string {
  return /^[A-Za-z0-9_@%+=:,./~-]+$/.test(p) ? p : `'${p.replace(/'/g, "'\\''")}'`;
}
