#!/usr/bin/env bun
// What any local user can do: read /proc/<pid>/cmdline of every process. Run as a separate process
// so its tight loop does not stall the runs it watches:
//
//   SCAN_NEEDLES='["secret", "prompt"]' SCAN_WITNESSES='["fake-engine"]' bun cmdline-scanner.ts
//
// Needles come through the environment (never our own command line). Each round it re-reads every
// /proc/<pid>/cmdline, and in between it spins on the next few unused pids and re-reads the newest
// ones, so a command line that exists only for a moment (a short-lived `env -i K=V …` before its
// exec) is seen too.
// When stdin closes it prints one JSON line: { hits: [{ pid, needle }], witnessed: [per witness, the
// distinct pids whose command line contained it], rounds } and exits. Tests use `startCmdlineScan`.
import { readdirSync, readFileSync } from "node:fs";

export interface ScanReport {
  /** Needle indexes found, with the pid whose command line held them. */
  hits: Array<{ pid: number; needle: number }>;
  /** Per witness string, the distinct processes whose command line held it: proof the scan saw the runs. */
  witnessed: number[];
  rounds: number;
}

/** Starts the scanner process; `stop()` ends it and returns what it saw. */
export async function startCmdlineScan(
  needles: string[],
  witnesses: string[],
): Promise<{ stop(): Promise<ScanReport> }> {
  const proc = Bun.spawn([process.execPath, import.meta.path], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      SCAN_NEEDLES: JSON.stringify(needles),
      SCAN_WITNESSES: JSON.stringify(witnesses),
    },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  const dec = new TextDecoder();
  let out = "";
  while (!out.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("cmdline scanner ended before it was ready");
    out += dec.decode(value, { stream: true });
  }
  return {
    async stop() {
      proc.stdin.end();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        out += dec.decode(value, { stream: true });
      }
      await proc.exited;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line === undefined) throw new Error(`cmdline scanner gave no report: ${out}`);
      return JSON.parse(line) as ScanReport;
    },
  };
}

async function main(): Promise<void> {
  const needles = JSON.parse(process.env.SCAN_NEEDLES ?? "[]") as string[];
  const witnesses = JSON.parse(process.env.SCAN_WITNESSES ?? "[]") as string[];
  const self = String(process.pid);
  const hits = new Map<string, { pid: number; needle: number }>();
  const witnessed = witnesses.map(() => new Set<number>());
  let rounds = 0;
  let highest = 0;
  let stop = false;

  const look = (pid: string): boolean => {
    if (pid === self) return false;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "latin1");
    } catch {
      return false;
    }
    if (cmd === "") return true;
    const n = Number(pid);
    needles.forEach((needle, i) => {
      if (needle !== "" && cmd.includes(needle)) hits.set(`${pid}:${i}`, { pid: n, needle: i });
    });
    witnesses.forEach((w, i) => {
      if (w !== "" && cmd.includes(w)) witnessed[i]?.add(n);
    });
    return true;
  };

  const fullScan = (): void => {
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      const n = Number(name);
      if (n > highest) highest = n;
      look(name);
    }
    rounds += 1;
  };

  void (async () => {
    for await (const _ of Bun.stdin.stream()) {
      // nothing is expected on stdin: its end is the signal to report
    }
    stop = true;
  })();

  fullScan();
  process.stdout.write("ready\n");
  // Pids that appeared in the last moments, re-read on every spin: a fresh child still shows its
  // parent's command line until its exec, then the short-lived one, then the next exec's.
  const recent = new Map<number, number>();
  while (!stop) {
    const until = performance.now() + 20;
    while (performance.now() < until) {
      const now = performance.now();
      for (const [p, since] of recent) {
        if (now - since > 100 || !look(String(p))) recent.delete(p);
      }
      // The pids the kernel hands out next: a new process is seen right after its fork.
      for (let p = highest + 1; p <= highest + 32; p++) {
        if (look(String(p))) {
          recent.set(p, now);
          if (p > highest) highest = p;
        }
      }
    }
    fullScan();
    await Bun.sleep(0);
  }
  fullScan();
  process.stdout.write(
    `${JSON.stringify({ hits: [...hits.values()], witnessed: witnessed.map((w) => w.size), rounds })}\n`,
  );
  process.exit(0);
}

if (import.meta.main) await main();
