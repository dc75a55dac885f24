// One bot per config: a lock file beside the config holding the owner's pid. A second instance
// refuses to start and names the first. A lock left by a dead process (kill -9, power loss) is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { UntetherError } from "../errors.ts";

export class LockError extends UntetherError {}

export interface InstanceLock {
  path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(path: string): { pid: number; startedAt?: string } | undefined {
  try {
    const data = JSON.parse(readFileSync(path, "utf8")) as { pid?: unknown; startedAt?: unknown };
    if (typeof data.pid !== "number") return undefined;
    return { pid: data.pid, startedAt: typeof data.startedAt === "string" ? data.startedAt : undefined };
  } catch {
    return undefined;
  }
}

export function acquireInstanceLock(lockPath: string, pid = process.pid): InstanceLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, "wx", 0o600);
      writeSync(fd, JSON.stringify({ pid, startedAt: new Date().toISOString() }));
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
      if (owner && owner.pid !== pid && alive(owner.pid)) {
        throw new LockError(
          "lock.held",
          `another untether (pid ${owner.pid}${owner.startedAt ? `, started ${owner.startedAt}` : ""}) ` +
            `is already running with this config (lock file ${lockPath}). Stop it first: kill ${owner.pid}`,
        );
      }
      // Stale: its owner is gone. Remove and retry once.
      rmSync(lockPath, { force: true });
    }
  }
  throw new LockError("lock.failed", `cannot take the lock file ${lockPath}`);
}
