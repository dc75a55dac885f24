// Shared helpers for the benchmarks in scripts/bench/: statistics, timed spawns, RSS from /proc,
// compiled baselines built with the same Bun.build flags as scripts/build.ts, the results table and
// the docs/benchmarks.md writer. Benchmarks are not tests: they print figures, they assert nothing.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compileOptions } from "../compile-options.ts";

export const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist/untether");
export const DOCS = join(ROOT, "docs/benchmarks.md");

// ---- statistics --------------------------------------------------------------------------------

function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = sorted(xs);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = sorted(xs);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export function p99(xs: readonly number[]): number {
  return percentile(xs, 99);
}

// ---- results -----------------------------------------------------------------------------------

export interface BenchResult {
  /** Stable id; the docs table is merged by it. */
  id: string;
  /** What is measured, e.g. "`untether --version` wall time". */
  what: string;
  unit: string;
  value: number;
  baselineLabel: string;
  baseline: number;
  /** value / baseline, or baseline / value for higher-is-better throughput (see `ratioLabel`). */
  ratio: number;
  /** e.g. "≤ 3×", "≥ 0.5×", "≈ flat"; empty when there is no target. */
  target: string;
  /** true / false, or undefined when the target is informational. */
  met: boolean | undefined;
  /** One line: what limits this figure. */
  limit: string;
}

export function fmtNum(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString("en-US");
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function metText(m: boolean | undefined): string {
  return m === undefined ? "–" : m ? "yes" : "**no**";
}

export function tableRows(results: readonly BenchResult[]): string[] {
  return results.map(
    (r) =>
      `| ${r.id} | ${r.what} | ${fmtNum(r.value)} ${r.unit} | ${r.baselineLabel}: ${fmtNum(r.baseline)} ${r.unit} | ${r.ratio.toFixed(2)}× | ${r.target || "–"} | ${metText(r.met)} | ${r.limit} |`,
  );
}

export const TABLE_HEAD = [
  "| id | figure | median | baseline (same run) | ratio | target | met | what limits it |",
  "|---|---|---|---|---|---|---|---|",
];

/** A compact terminal table. */
export function printResults(results: readonly BenchResult[]): void {
  const rows = results.map((r) => [
    r.id,
    `${fmtNum(r.value)} ${r.unit}`,
    `${fmtNum(r.baseline)} ${r.unit}`,
    `${r.ratio.toFixed(2)}x`,
    r.target || "-",
    r.met === undefined ? "-" : r.met ? "yes" : "NO",
  ]);
  const head = ["id", "median", "baseline", "ratio", "target", "met"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  process.stdout.write(`${line(head)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}

// ---- docs/benchmarks.md ------------------------------------------------------------------------

const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";
const MSTART = "<!-- bench:machine:start -->";
const MEND = "<!-- bench:machine:end -->";

export function machineLines(): string[] {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? "unknown";
  let mem = "unknown";
  const free = Bun.spawnSync(["free", "-h"], {
    env: { PATH: "/usr/bin:/bin", LC_ALL: "C" },
    stdout: "pipe",
    stderr: "ignore",
  });
  const memLine = free.stdout
    .toString()
    .split("\n")
    .find((l) => l.startsWith("Mem:"));
  if (memLine) mem = `${memLine.trim().split(/\s+/).slice(1, 3).join(" total, ")} used`;
  const nproc = Bun.spawnSync(["nproc"], { env: { PATH: "/usr/bin:/bin" }, stdout: "pipe", stderr: "ignore" })
    .stdout.toString()
    .trim();
  return [
    `- measured: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    `- \`nproc\`: ${nproc || String(cpus().length)}`,
    `- CPU: ${cpuModel}`,
    `- memory (\`free -h\`): ${mem}`,
    `- Bun: ${Bun.version} (${process.platform}-${process.arch})`,
  ];
}

const DOC_TEMPLATE = (machine: string[], rows: string[]) => `# Benchmarks

\`bun run bench\` runs every benchmark in \`scripts/bench/\` (about 1.5 minutes on 2 cores) and prints a
table; \`bun run bench -- --write\` also rewrites the table below. One benchmark alone:
\`bun scripts/bench/<name>.ts [--write]\` (startup, idle-memory, pipeline, telegram-budget, latency,
webhooks). Everything runs on loopback against the Bot API emulator; nothing is left running.

Every figure is a **median over repeated runs** next to a **baseline measured in the same run** on
the same machine, and the ratio between them. Absolute numbers move with the machine; the ratios
are what to compare across machines and commits. These are measurements, not tests: no figure fails
the build.

## Machine

${MSTART}
${machine.join("\n")}
${MEND}

## Results

${START}
${[...TABLE_HEAD, ...rows].join("\n")}
${END}

Ratios: for times and memory, ratio = Untether ÷ baseline (lower is better); for throughput
(pipeline, webhooks), ratio = Untether ÷ baseline as well, so higher is better there.

## How each figure is measured

- **startup-***: wall time from spawn to exit of \`dist/untether\` (built with \`scripts/build.ts\`;
  rebuilt if missing), stdout/stderr to /dev/null, 5 warm-up runs, then the median of 30 (doctor: 15).
  Baseline: a \`console.log\` hello-world compiled with the same \`Bun.build\` flags. \`config get\` uses a
  temp HOME with a config; \`doctor\` checks a temp config whose \`api_base_url\` points at the emulator
  started inside the benchmark process, \`default_engine = "mock"\`.
- **idle-rss**: VmRSS from \`/proc/<pid>/status\` after 30 s, for the bot (\`untether --config X run\`,
  started with a minimal env like \`env -i\`, long-polling the emulator) and for a compiled tiny
  \`Bun.serve\` server started the same way and idle for the same 30 s, side by side.
- **pipeline**: ~200 000 lines made by repeating the recorded Claude and Codex fixtures
  (\`test/fixtures/engines/\`); each line goes \`decodeJsonLine\` → the engine's parser → \`ProgressState.apply\`,
  with one \`renderProgress\` at the end (the bot renders by time, at most every 250 ms, not per event;
  \`BENCH_RENDER_EVERY=N\` adds a render every N events). Baseline:
  plain \`JSON.parse\` of the same lines in the same process. 5 alternating rounds, median.
- **budget-***: Telegram Bot API calls recorded by the emulator (\`emu.calls()\`, from the prompt to
  the final answer) for one run of \`mock:flood N 2000\` with N = 10, 1 000 and 100 000, with the
  bot as a process, runs 5 s apart (Telegram's "typing…" is renewed at most every 4.5 s per chat, so
  runs closer together would share one and look cheaper). Baseline: the 10-event run.
- **latency-***: from \`sendUserMessage\` in the benchmark to the time of the bot's \`engine.spawn\`
  log line (JSON \`time\`, ms resolution), ~50 runs of a short mock prompt, p50 and p99. Baseline: a bare
  \`Bun.spawn(["true"])\` until its exit, timed in the same process in the same run.
- **webhooks-***: one Bun client, 32 concurrent \`fetch\`es over loopback, a bounded number of
  HMAC-SHA256-signed POSTs (\`x-hub-signature-256\`) to Untether's trigger server (\`startTriggerServer\`,
  \`notify_only\` webhook, rate limit raised out of the way) vs a bare \`Bun.serve\` route doing the same
  HMAC check on the raw body with \`Bun.CryptoHasher\` and a constant-time compare. Alternating rounds, median.
`;

/**
 * The page with its machine and results blocks replaced; everything written by hand around them (the
 * notes on unmet targets, the probe tables) stays. A page without the markers is made from the template.
 */
export function mergeIntoDoc(text: string | undefined, machine: string[], rows: string[]): string {
  const replace = (t: string, start: string, end: string, body: string): string | undefined => {
    const a = t.indexOf(start);
    const b = t.indexOf(end);
    return a >= 0 && b > a ? `${t.slice(0, a + start.length)}\n${body}\n${t.slice(b)}` : undefined;
  };
  const withMachine = text === undefined ? undefined : replace(text, MSTART, MEND, machine.join("\n"));
  const withRows =
    withMachine === undefined ? undefined : replace(withMachine, START, END, [...TABLE_HEAD, ...rows].join("\n"));
  return withRows ?? DOC_TEMPLATE(machine, rows);
}

/** Merges `results` (by id) into docs/benchmarks.md, refreshing the machine section. */
export function writeDocs(results: readonly BenchResult[]): void {
  const newRows = new Map(results.map((r, i) => [r.id, tableRows(results)[i] ?? ""]));
  let existingRows: string[] = [];
  if (existsSync(DOCS)) {
    const text = readFileSync(DOCS, "utf8");
    const a = text.indexOf(START);
    const b = text.indexOf(END);
    if (a >= 0 && b > a) {
      existingRows = text
        .slice(a + START.length, b)
        .split("\n")
        .filter((l) => l.startsWith("| ") && !TABLE_HEAD.includes(l));
    }
  }
  const order = ["startup", "idle", "pipeline", "budget", "latency", "webhooks"];
  const idOf = (row: string) => row.split("|")[1]?.trim() ?? "";
  const merged = new Map<string, string>();
  for (const row of existingRows) merged.set(idOf(row), row);
  for (const [id, row] of newRows) merged.set(id, row);
  const rank = (id: string) => {
    const i = order.findIndex((p) => id.startsWith(p));
    return i < 0 ? order.length : i;
  };
  const rows = [...merged.entries()].sort((x, y) => rank(x[0]) - rank(y[0])).map(([, r]) => r);
  // Keep the order rows were produced in within a group.
  writeFileSync(DOCS, mergeIntoDoc(existsSync(DOCS) ? readFileSync(DOCS, "utf8") : undefined, machineLines(), rows));
  process.stdout.write(`wrote ${DOCS}\n`);
}

/** Standard ending of a single benchmark script run on its own. */
export async function mainOf(run: () => Promise<BenchResult[]>): Promise<void> {
  const results = await run();
  printResults(results);
  if (process.argv.includes("--write")) writeDocs(results);
}

// ---- processes ---------------------------------------------------------------------------------

export function minimalEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: home, LANG: "C.UTF-8", ...extra };
}

/** Wall time (ms) of one spawn until exit; output discarded. Throws on a non-zero exit unless allowed. */
export async function timeSpawn(
  argv: string[],
  opts: { env: Record<string, string>; cwd?: string; okCodes?: number[] },
): Promise<number> {
  const t0 = performance.now();
  const p = Bun.spawn(argv, { env: opts.env, cwd: opts.cwd, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  const code = await p.exited;
  const ms = performance.now() - t0;
  if (!(opts.okCodes ?? [0]).includes(code)) throw new Error(`${argv.join(" ")} exited ${code}`);
  return ms;
}

/** VmRSS (kB) from /proc/<pid>/status. */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `untether-bench-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Builds dist/untether with `bun run build` when it is missing. */
export async function ensureBinary(): Promise<string> {
  if (existsSync(BINARY)) return BINARY;
  process.stdout.write("dist/untether missing: bun run build …\n");
  const p = Bun.spawn([process.execPath, "run", "build"], {
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
    env: process.env,
  });
  if ((await p.exited) !== 0 || !existsSync(BINARY)) throw new Error("bun run build failed");
  return BINARY;
}

/**
 * Compiles `source` (a TypeScript module) into a binary in `dir` with the same Bun.build flags as
 * scripts/build.ts, so baselines pay the same runtime start-up and bytecode loading as Untether.
 */
export async function compileBaseline(dir: string, name: string, source: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, `${name}.ts`);
  const outfile = join(dir, name);
  writeFileSync(entry, source);
  const result = await Bun.build(compileOptions(entry, outfile));
  if (!result.success) throw new Error(`baseline build failed: ${result.logs.map(String).join("\n")}`);
  return outfile;
}

/**
 * A bot home for benchmarks: `<home>/.untether/untether.toml` (mock engine, one allowed user, the
 * emulator as the Bot API) and an empty project. Returns the config path.
 */
export function writeBotHome(
  home: string,
  emu: { token: string; apiBaseUrl: string },
  chatId: number,
  userId: number,
  extraToml: readonly string[] = [],
): string {
  const project = join(home, "project");
  mkdirSync(join(home, ".untether"), { recursive: true, mode: 0o700 });
  mkdirSync(project, { recursive: true });
  const config = join(home, ".untether", "untether.toml");
  const lines = [
    'default_engine = "mock"',
    'default_project = "demo"',
    "",
    "[transports.telegram]",
    `bot_token = "${emu.token}"`,
    `chat_id = ${chatId}`,
    `allowed_user_ids = [${userId}]`,
    `api_base_url = "${emu.apiBaseUrl}"`,
    "",
    "[projects.demo]",
    `path = "${project}"`,
    ...extraToml,
  ];
  writeFileSync(config, `${lines.join("\n")}\n`, { mode: 0o600 });
  return config;
}

/** Resolves `p`, or rejects after `ms` with a message naming `what`. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench: ${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
