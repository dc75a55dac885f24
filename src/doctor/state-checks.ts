// The state directory (the config's folder): the SQLite state and the instance lock live there.
import { accessSync, constants, statSync } from "node:fs";
import { dirname } from "node:path";
import { privateDirFix, shellQuote } from "../config/permissions.ts";
import { type CheckResult, fail, ok } from "./types.ts";

const ID = "state.dir";
const LABEL = "state directory";

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The nearest folder that exists, walking up from `path`. */
function nearestExisting(path: string): string {
  let p = path;
  for (;;) {
    try {
      statSync(p);
      return p;
    } catch {
      const up = dirname(p);
      if (up === p) return p;
      p = up;
    }
  }
}

export function checkStateDir(dir: string): CheckResult {
  let mode: number;
  try {
    const st = statSync(dir);
    if (!st.isDirectory())
      return fail(ID, LABEL, `${dir} exists but is not a folder`, `mv ${shellQuote(dir)} ${shellQuote(`${dir}.bak`)}`);
    mode = st.mode & 0o777;
  } catch {
    const parent = nearestExisting(dir);
    return writable(parent)
      ? ok(ID, LABEL, `${dir} does not exist yet; it will be created (mode 700)`)
      : fail(ID, LABEL, `${dir} does not exist and ${parent} is not writable`, `mkdir -m 700 -p ${shellQuote(dir)}`);
  }
  const octal = mode.toString(8).padStart(3, "0");
  if (!writable(dir)) return fail(ID, LABEL, `${dir} is not writable by this user`, `chown "$USER" ${shellQuote(dir)}`);
  if ((mode & 0o077) !== 0) {
    // Untether never changes the mode of a folder it did not create: this is the user's call.
    return fail(
      ID,
      LABEL,
      `${dir} has mode ${octal}: other users can see the bot's state (Untether does not change a folder's mode)`,
      privateDirFix(dir),
    );
  }
  return ok(ID, LABEL, `${dir} (mode ${octal}, writable)`);
}
