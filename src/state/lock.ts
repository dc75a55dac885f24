// One bot per config: a lock file beside the config holding the owner's pid and, on Linux, the
// kernel's start time of that pid. A second instance refuses to start and names the first. A lock
// left by a dead process (kill -9, power loss) is taken over, and so is one whose pid now belongs to
// another program (pids are reused): its start time differs from the one recorded.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { UntetherError } from "../errors.ts";

export class LockError extends UntetherError {}

export interface InstanceLock {
  path: string;
  release(): void;
}

interface LockOwner {
  pid: number;
  startedAt?: string;
  /** /proc/<pid>/stat start time (clock ticks after boot) when the lock was taken. */
  procStart?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The kernel's start time of `pid` (field 22 of /proc/<pid>/stat), or undefined without /proc. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = fields[19];
    return start !== undefined && /^\d+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid`'s command line names untether; undefined when it cannot be read. */
function commandIsUntether(pid: number): boolean | undefined {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return args.slice(0, 2).some((a) => /untether/i.test(a.split("/").pop() ?? ""));
  } catch {
    return undefined;
  }
}

/** Whether the lock's owner is still the process that took it. */
function ownerRunning(owner: LockOwner): boolean {
  if (!alive(owner.pid)) return false;
  const start = processStartTime(owner.pid);
  if (owner.procStart !== undefined && start !== undefined) return start === owner.procStart;
  // A lock from before start times were recorded: the command line decides where /proc has it.
  return commandIsUntether(owner.pid) ?? true;
}

/** The running untether holding the lock at `lockPath` (pid, start time), or undefined when none does. */
export function runningLockOwner(lockPath: string): { pid: number; startedAt?: string } | undefined {
  const owner = readOwner(lockPath);
  if (!owner || !ownerRunning(owner)) return undefined;
  return owner.startedAt === undefined ? { pid: owner.pid } : { pid: owner.pid, startedAt: owner.startedAt };
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const data = JSON.parse(readFileSync(path, "utf8")) as { pid?: unknown; startedAt?: unknown; procStart?: unknown };
    if (typeof data.pid !== "number") return undefined;
    return {
      pid: data.pid,
      ...(typeof data.startedAt === "string" ? { startedAt: data.startedAt } : {}),
      ...(typeof data.procStart === "string" ? { procStart: data.procStart } : {}),
    };
  } catch {
    return undefined;
  }
}

export function acquireInstanceLock(lockPath: string, pid = process.pid): InstanceLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, "wx", 0o600);
      const procStart = processStartTime(pid);
      writeSync(
        fd,
        JSON.stringify({ pid, startedAt: new Date().toISOString(), ...(procStart === undefined ? {} : { procStart }) }),
      );
      closeSync(fd);
      return {
        path: lockPath,
        release: () => {
          if (readOwner(lockPath)?.pid === pid) rmSync(lockPath, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new LockError("lock.failed", `cannot create the lock file ${lockPath}: ${(e as Error).message}`);
      }
      const owner = readOwner(lockPath);
      if (owner && owner.pid !== pid && ownerRunning(owner)) {
        throw new LockError(
          "lock.held",
          `another untether (pid ${owner.pid}${owner.startedAt ? `, started ${owner.startedAt}` : ""}) ` +
            `is already running with this config (lock file ${lockPath}). Stop it first: kill ${owner.pid}`,
        );
      }
      // Stale: its owner is gone, or its pid now belongs to another program. Remove and retry once.
      rmSync(lockPath, { force: true });
    }
  }
  throw new LockError("lock.failed", `cannot take the lock file ${lockPath}`);
}
