// Idle memory: RSS of the bot long-polling the emulator after 30 s, against a compiled bare
// Bun.serve server idle for the same 30 s, both started side by side with a minimal env (env -i
// style). Run: bun scripts/bench/idle-memory.ts
//
// `--probe` answers "where does the memory go": one compiled Bun.serve per import below (built like
// the binary), all idle side by side, RSS after PROBE_MS; each row is what that import alone adds.
import { join } from "node:path";
import { startEmulator } from "../../src/emulator/index.ts";
import {
  ROOT,
  type BenchResult,
  compileBaseline,
  ensureBinary,
  mainOf,
  median,
  minimalEnv,
  removeDir,
  rssKb,
  tempDir,
  within,
  writeBotHome,
} from "./lib.ts";

const IDLE_MS = 30_000;
/** RSS is read once a second over the last SAMPLES seconds; the figure is their median. */
const SAMPLES = 5;

const SERVER_SOURCE = `const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
console.log("listening " + server.port);
`;

async function waitFor(proc: Bun.Subprocess<"ignore", "pipe", "ignore">, re: RegExp, ms: number): Promise<void> {
  const dec = new TextDecoder();
  let out = "";
  const reader = proc.stdout.getReader();
  await within(
    (async () => {
      while (!re.test(out)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`process exited before ${re}: ${out.slice(-2000)}`);
        out += dec.decode(value, { stream: true });
      }
    })(),
    ms,
    `waiting for ${re}`,
  );
  // Keep draining so a full pipe never blocks the child.
  void (async () => {
    for (;;) {
      const { done } = await reader.read();
      if (done) return;
    }
  })().catch(() => undefined);
}

export async function run(): Promise<BenchResult[]> {
  const bin = await ensureBinary();
  const dir = tempDir("idle");
  const emu = await startEmulator({ botUsername: "untether_bench_bot" });
  const procs: Array<Bun.Subprocess<"ignore", "pipe", "ignore">> = [];
  try {
    const server = await compileBaseline(dir, "server", SERVER_SOURCE);
    const home = join(dir, "home");
    const alice = emu.addUser({ firstName: "Alice" }).id;
    const config = writeBotHome(home, emu, emu.privateChat(alice).id, alice);
    const env = minimalEnv(home, { UNTETHER_LOG_LEVEL: "info" });
    const spawn = (argv: string[]) => {
      const p = Bun.spawn(argv, { cwd: home, env, stdin: "ignore", stdout: "pipe", stderr: "ignore" });
      procs.push(p);
      return p;
    };
    const bot = spawn([bin, "--config", config, "run"]);
    const bare = spawn([server]);
    await Promise.all([waitFor(bot, /bot\.started/, 15_000), waitFor(bare, /listening \d+/, 15_000)]);
    if (!emu.isPolling()) await within(
      (async () => {
        while (!emu.isPolling()) await Bun.sleep(50);
      })(),
      5_000,
      "the bot's first long poll",
    );
    await Bun.sleep(IDLE_MS - SAMPLES * 1000);
    const botRss: number[] = [];
    const bareRss: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      await Bun.sleep(1000);
      botRss.push(rssKb(bot.pid) / 1024);
      bareRss.push(rssKb(bare.pid) / 1024);
    }
    const value = median(botRss);
    const baseline = median(bareRss);
    const ratio = value / baseline;
    return [
      {
        id: "idle-rss",
        what: "bot RSS after 30 s idle, long-polling",
        unit: "MiB",
        value,
        baselineLabel: "compiled bare Bun.serve, 30 s idle",
        baseline,
        ratio,
        target: "≤ 1.2×",
        met: ratio <= 1.2,
        limit: "gramio: a compiled Bun.serve that only imports it idles at 50 MiB vs 27 (pino 37, elysia 38, typebox 31, bun:sqlite 30, all five 57 MiB; 8 s probe); the rest is the bot's own code, config and state",
      },
    ];
  } finally {
    for (const p of procs) p.kill("SIGTERM");
    await Promise.race([Promise.all(procs.map((p) => p.exited)), Bun.sleep(5000)]);
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    await emu.stop();
    removeDir(dir);
  }
}

const PROBE_MS = 10_000;

/** What is probed: a package, one of our modules (its whole import graph), or several at once. */
const PROBES: Array<{ label: string; imports: string[] }> = [
  { label: "bare Bun.serve", imports: [] },
  { label: "pino", imports: ["pino"] },
  { label: "@sinclair/typebox (+ /value)", imports: ["@sinclair/typebox", "@sinclair/typebox/value"] },
  { label: "smol-toml", imports: ["smol-toml"] },
  { label: "bun:sqlite", imports: ["bun:sqlite"] },
  { label: "croner", imports: ["croner"] },
  { label: "@gramio/files", imports: ["@gramio/files"] },
  { label: "elysia", imports: ["elysia"] },
  { label: "src/log/logger.ts", imports: ["src/log/logger.ts"] },
  { label: "src/botapi/client.ts", imports: ["src/botapi/client.ts"] },
  { label: "src/config/load.ts", imports: ["src/config/load.ts"] },
  { label: "src/state/db.ts", imports: ["src/state/db.ts"] },
  { label: "src/telegram/bot.ts", imports: ["src/telegram/bot.ts"] },
  { label: "src/cli/service.ts (every module of a running bot, nothing started)", imports: ["src/cli/service.ts"] },
];

function probeSource(imports: readonly string[]): string {
  const specifier = (i: string) => (i.startsWith("src/") ? join(ROOT, i) : i.startsWith("bun:") ? i : Bun.resolveSync(i, ROOT));
  const lines = imports.map((i, n) => `import * as m${n} from ${JSON.stringify(specifier(i))};`);
  // Kept reachable so the bundler cannot drop the module.
  lines.push(`(globalThis as Record<string, unknown>).__probe = [${imports.map((_, n) => `m${n}`).join(", ")}];`);
  return `${lines.join("\n")}\n${SERVER_SOURCE}`;
}

export async function probe(list: ReadonlyArray<{ label: string; imports: string[] }> = PROBES): Promise<Array<{ label: string; rss: number }>> {
  const dir = tempDir("probe");
  const procs: Array<Bun.Subprocess<"ignore", "pipe", "ignore">> = [];
  try {
    const bins = await Promise.all(list.map((p, i) => compileBaseline(dir, `probe${i}`, probeSource(p.imports))));
    const env = minimalEnv(dir);
    for (const bin of bins) procs.push(Bun.spawn([bin], { cwd: dir, env, stdin: "ignore", stdout: "pipe", stderr: "ignore" }));
    await Promise.all(procs.map((p) => waitFor(p, /listening \d+/, 30_000)));
    await Bun.sleep(PROBE_MS - SAMPLES * 1000);
    const samples: number[][] = procs.map(() => []);
    for (let s = 0; s < SAMPLES; s++) {
      await Bun.sleep(1000);
      procs.forEach((p, i) => samples[i]?.push(rssKb(p.pid) / 1024));
    }
    return list.map((p, i) => ({ label: p.label, rss: median(samples[i] ?? []) }));
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    removeDir(dir);
  }
}

if (import.meta.main) {
  if (process.argv.includes("--probe")) {
    const rows = await probe();
    const bare = rows[0]?.rss ?? 0;
    process.stdout.write(`| import (compiled Bun.serve + it, ${PROBE_MS / 1000} s idle) | RSS | over bare |\n|---|---|---|\n`);
    for (const r of rows) process.stdout.write(`| ${r.label} | ${r.rss.toFixed(1)} MiB | ${r === rows[0] ? "—" : `+${(r.rss - bare).toFixed(1)} MiB`} |\n`);
  } else {
    await mainOf(run);
  }
}
