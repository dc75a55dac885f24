// Telegram budget: Bot API calls per run for 10, 1 000 and 100 000 mock engine events
// (`mock:flood N 2000`), the bot as a process against the emulator, counted from emu.calls() from
// the prompt until the progress message is gone. Run: bun scripts/bench/telegram-budget.ts
import { join } from "node:path";
import { type Emulator, startEmulator } from "../../src/emulator/index.ts";
import {
  type BenchResult,
  ensureBinary,
  mainOf,
  median,
  minimalEnv,
  removeDir,
  tempDir,
  within,
  writeBotHome,
} from "./lib.ts";

const SIZES = [10, 1_000, 100_000] as const;
const REPEATS = 3;
const SPAN_MS = 2000;
/**
 * "typing…" is renewed at most every 4.5 s per chat, whatever the number of runs: runs closer than
 * that share one. Spacing the runs by more makes every run pay its own, as a lone run does.
 */
const GAP_MS = 5000;

export interface BotProcess {
  proc: Bun.Subprocess<"ignore", "pipe", "ignore">;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `untether --config <config> run` and waits for `bot.started`. Output is kept for parsing. */
export async function startBot(bin: string, config: string, home: string, logLevel = "info"): Promise<BotProcess> {
  const proc = Bun.spawn([bin, "--config", config, "run"], {
    cwd: home,
    env: minimalEnv(home, { UNTETHER_LOG_LEVEL: logLevel }),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "ignore",
  });
  let out = "";
  const pump = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stdout) out += dec.decode(chunk, { stream: true });
  })().catch(() => undefined);
  const stop = async () => {
    proc.kill("SIGTERM");
    const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(8000).then(() => false)]);
    if (!exited) proc.kill("SIGKILL");
    await proc.exited;
    await Promise.race([pump, Bun.sleep(1000)]);
  };
  try {
    await within(
      (async () => {
        while (!/bot\.started/.test(out)) {
          if (proc.exitCode !== null) throw new Error(`bot exited ${proc.exitCode}: ${out.slice(-2000)}`);
          await Bun.sleep(25);
        }
      })(),
      20_000,
      "bot.started",
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { proc, output: () => out, stop };
}

export interface BotSetup {
  emu: Emulator;
  dir: string;
  home: string;
  config: string;
  alice: number;
  dm: number;
}

/** Emulator, temp HOME, a user with a private chat, and a config pointing at the emulator. */
export async function setupBot(prefix: string, extraToml: readonly string[] = []): Promise<BotSetup> {
  const emu = await startEmulator({ botUsername: "untether_bench_bot" });
  const dir = tempDir(prefix);
  const home = join(dir, "home");
  const alice = emu.addUser({ firstName: "Alice" }).id;
  const dm = emu.privateChat(alice).id;
  const config = writeBotHome(home, emu, dm, alice, extraToml);
  return { emu, dir, home, config, alice, dm };
}

async function oneRun(s: BotSetup, events: number): Promise<{ calls: number; byMethod: Record<string, number> }> {
  const { emu, dm, alice } = s;
  const before = emu.lastCallSeq();
  const m = emu.sendUserMessage({ chatId: dm, from: alice, text: `mock:flood ${events} ${SPAN_MS}` });
  const isFinal = (x: { reply_to_message_id?: number; text?: string }) =>
    x.reply_to_message_id === m.message_id && /^done/.test(x.text ?? "");
  const final = await emu.waitForBotMessage(dm, isFinal, 40_000);
  // The progress message is deleted once the answer is out: the run's last call.
  const progress = emu
    .history(dm)
    .find((x) => x.by === "bot" && x.reply_to_message_id === m.message_id && x.message_id !== final.message_id);
  await within(
    (async () => {
      while (progress && !emu.history(dm).find((x) => x.message_id === progress.message_id)?.deleted)
        await Bun.sleep(20);
      await Bun.sleep(300); // anything straggling after the delete
    })(),
    10_000,
    "the progress message's deletion",
  );
  const calls = emu.calls({ afterSeq: before }).filter((c) => c.method !== "getUpdates");
  const byMethod: Record<string, number> = {};
  for (const c of calls) byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
  return { calls: calls.length, byMethod };
}

export async function run(): Promise<BenchResult[]> {
  const bin = await ensureBinary();
  const s = await setupBot("budget");
  const bot = await startBot(bin, s.config, s.home);
  try {
    const medians = new Map<number, number>();
    const methods = new Map<number, Record<string, number>>();
    for (const n of SIZES) {
      const counts: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        await Bun.sleep(GAP_MS);
        const r = await oneRun(s, n);
        counts.push(r.calls);
        methods.set(n, r.byMethod);
      }
      medians.set(n, median(counts));
    }
    const base = medians.get(SIZES[0]) ?? Number.NaN;
    return SIZES.map((n) => {
      const value = medians.get(n) ?? Number.NaN;
      const ratio = value / base;
      const mix = Object.entries(methods.get(n) ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      return {
        id: `budget-${n}`,
        what: `Telegram calls for one run of ${n.toLocaleString("en-US")} events over ~${SPAN_MS / 1000} s (${mix})`,
        unit: "calls",
        value,
        baselineLabel: "10-event run",
        baseline: base,
        ratio,
        target: "≈ flat (≤ 1.5×)",
        met: ratio <= 1.5,
        limit:
          "the outbox throttle: at most one edit per min_render_interval (2 s default), so calls follow run duration, not event count",
      };
    });
  } finally {
    await bot.stop();
    await s.emu.stop();
    removeDir(s.dir);
  }
}

if (import.meta.main) await mainOf(run);
