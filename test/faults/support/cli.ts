// Helpers for fault tests: run Untether to completion (for start-up refusals), put fake engine CLIs
// on PATH, and check processes.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { untetherCommand } from "../../support/harness.ts";

export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `untether --config <path> run` until it exits by itself; fails (and kills it) after timeoutMs. */
export async function runToExit(
  configPath: string,
  home: string,
  timeoutMs = 20_000,
  env: Record<string, string> = {},
): Promise<Finished> {
  const proc = Bun.spawn([...untetherCommand(), "--config", configPath, "run"], {
    cwd: home,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, UNTETHER_LOG_LEVEL: "info", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  if (proc.signalCode === "SIGKILL")
    throw new Error(`untether did not exit within ${timeoutMs} ms:\n${stdout}\n${stderr}`);
  return { code, stdout, stderr };
}

/** A directory holding `<cli>`: a wrapper exec'ing one of the scripts in this folder. Put it first on PATH. */
export function fakeCliDir(cli: string, script: string): string {
  const dir = mkdtempSync(join(tmpdir(), "untether-faultcli-"));
  const path = join(dir, cli);
  writeFileSync(path, `#!/bin/sh\nexec /bin/sh '${join(import.meta.dir, script)}' "$@"\n`);
  chmodSync(path, 0o755);
  return dir;
}

/** Alive and not a zombie (an orphan may sit unreaped when PID 1 does not reap). */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

export async function waitGone(pids: number[], timeoutMs = 15_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(running);
  while (left.length > 0 && Date.now() < deadline) {
    await Bun.sleep(50);
    left = left.filter(running);
  }
  return left;
}

export const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
