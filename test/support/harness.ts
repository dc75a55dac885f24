// End-to-end harness: the Bot API emulator in this process, Untether as a separate process (the
// compiled binary when built, else the sources), a temp HOME and config. Tests act as Telegram users.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Emulator, startEmulator } from "../../src/emulator/index.ts";

export const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist/untether");

/** The command that runs Untether: the compiled binary (what users download) when present. */
export function untetherCommand(): string[] {
  const forced = process.env.UNTETHER_TEST_BIN;
  if (forced) return [forced];
  if (existsSync(BINARY)) return [BINARY];
  return [process.execPath, join(ROOT, "src/main.ts")];
}

export interface HarnessOptions {
  /** Extra TOML appended to the generated config. */
  extraToml?: string;
  /** Top-level TOML keys placed before any table. */
  topToml?: string;
  telegramToml?: string;
  /** Extra keys of the [progress] table. */
  progressToml?: string;
  env?: Record<string, string>;
  emulator?: Emulator;
  home?: string;
  allowAnyUser?: boolean;
  /** A command Untether runs under (e.g. strace); its arguments end where Untether's begin. */
  wrap?: string[];
  /** The group is a forum where the bot is an admin (may manage topics). */
  forum?: boolean;
  /** How long to wait for `bot.started` (default 15 s). */
  startTimeoutMs?: number;
}

export interface Harness {
  emu: Emulator;
  home: string;
  configPath: string;
  project: string;
  alice: number;
  /** Allowlisted, but a plain member (not admin) of the group. */
  bob: number;
  mallory: number;
  /** Alice's private chat with the bot. */
  dm: number;
  /** A group with Alice (admin) and Mallory (a member, not allowlisted): the configured chat_id. */
  group: number;
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  output(): string;
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number>;
  restart(): Promise<void>;
}

export function writeConfig(
  path: string,
  emu: Emulator,
  opts: HarnessOptions & { chatId: number; allowed: number[]; project: string },
): void {
  const lines = [
    opts.topToml ?? 'default_engine = "mock"',
    `default_project = "demo"`,
    "",
    "[transports.telegram]",
    `bot_token = "${emu.token}"`,
    `chat_id = ${opts.chatId}`,
    `allowed_user_ids = [${opts.allowed.join(", ")}]`,
    opts.allowAnyUser ? "allow_any_user = true" : "",
    `api_base_url = "${emu.apiBaseUrl}"`,
    opts.telegramToml ?? "",
    "",
    "[progress]",
    "min_render_interval = 0.5",
    // Groups are paced at 20 messages a minute by default; tests that are not about pacing go faster.
    "group_chat_rps = 5",
    opts.progressToml ?? "",
    "",
    "[projects.demo]",
    `path = "${opts.project}"`,
    opts.extraToml ?? "",
  ];
  writeFileSync(path, `${lines.join("\n")}\n`, { mode: 0o600 });
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const emu = opts.emulator ?? (await startEmulator({ botUsername: "untether_test_bot" }));
  const home = opts.home ?? mkdtempSync(join(tmpdir(), "untether-e2e-"));
  const dir = join(home, ".untether");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const project = join(home, "project");
  mkdirSync(project, { recursive: true });
  const alice = emu.addUser({ firstName: "Alice" }).id;
  const mallory = emu.addUser({ firstName: "Mallory" }).id;
  const bob = emu.addUser({ firstName: "Bob" }).id;
  const dm = emu.privateChat(alice).id;
  const group = emu.addChat({
    type: "supergroup",
    title: "Team",
    ...(opts.forum ? { isForum: true } : {}),
    members: [
      ...(opts.forum ? [{ userId: emu.bot.id, status: "administrator" as const }] : []),
      { userId: alice, status: "creator" },
      { userId: mallory, status: "member" },
      { userId: bob, status: "member" },
    ],
  }).id;
  const configPath = join(dir, "untether.toml");
  writeConfig(configPath, emu, { ...opts, chatId: group, allowed: [alice, bob], project });

  let out = "";
  let proc!: Bun.Subprocess<"ignore", "pipe", "pipe">;
  const waiters: Array<() => void> = [];
  const spawnIt = () => {
    proc = Bun.spawn([...(opts.wrap ?? []), ...untetherCommand(), "--config", configPath, "run"], {
      cwd: home,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: home,
        UNTETHER_LOG_LEVEL: "debug",
        ...opts.env,
      },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const pump = async (s: ReadableStream<Uint8Array>) => {
      const dec = new TextDecoder();
      for await (const chunk of s) {
        out += dec.decode(chunk, { stream: true });
        for (const w of waiters.splice(0)) w();
      }
    };
    void pump(proc.stdout);
    void pump(proc.stderr);
  };
  const waitForOutput = async (re: RegExp, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(out)) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${re} in untether output:\n${out.slice(-3000)}`);
      await Promise.race([new Promise<void>((r) => waiters.push(r)), Bun.sleep(100)]);
    }
  };
  spawnIt();
  await waitForOutput(/"bot\.started"|bot\.started/, opts.startTimeoutMs);
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    proc.kill(signal);
    return await proc.exited;
  };
  return {
    emu,
    home,
    configPath,
    project,
    alice,
    bob,
    mallory,
    dm,
    group,
    get proc() {
      return proc;
    },
    output: () => out,
    waitForOutput,
    stop,
    async restart() {
      await stop();
      const before = out.length;
      spawnIt();
      const deadline = Date.now() + 15_000;
      while (!/bot\.started/.test(out.slice(before))) {
        if (Date.now() > deadline) throw new Error(`restart timed out:\n${out.slice(before)}`);
        await Bun.sleep(50);
      }
    },
  };
}
