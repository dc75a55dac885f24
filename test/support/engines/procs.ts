// Process-liveness helpers for tests: a pid is gone once kill(pid, 0) throws ESRCH. Orphans are
// reaped by pid 1, which may take a moment, so tests wait on the condition instead of a fixed delay.
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Resolves true once every pid is gone (ESRCH); false if some survive `limitMs`. */
export async function waitGone(pids: number[], limitMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(50);
  }
  return true;
}
