// Processes under a pid, from /proc: what a cancelled run must leave nothing of.
import { readdirSync, readFileSync } from "node:fs";

interface Stat {
  pid: number;
  ppid: number;
  state: string;
}

function stat(pid: number): Stat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { pid, state: rest[0] ?? "?", ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root` (zombies excluded). */
export function descendants(root: number): number[] {
  const all: Stat[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s) all.push(s);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    for (const s of all) {
      if (s.ppid === p && s.state !== "Z") {
        out.push(s.pid);
        queue.push(s.pid);
      }
    }
  }
  return out;
}

/** True while the pid exists and is not a zombie. */
export function running(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== "Z" && s.state !== "X";
}

/** The pids still running after `limitMs` (empty when all are gone). */
export async function survivors(pids: number[], limitMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + limitMs;
  while (pids.some(running) && Date.now() < deadline) await Bun.sleep(100);
  return pids.filter(running);
}

/** The command line of a pid, for messages. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
}
