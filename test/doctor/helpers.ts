// Doctor test fixtures: a temp HOME with a 0700 config folder, a config pointed at the emulator,
// and options with a fake engine lookup so nothing depends on what this machine has installed.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { DetectEngine, DoctorOptions, EngineInfo } from "../../src/doctor/types.ts";
import { type Emulator, startEmulator } from "../../src/emulator/index.ts";
import { cliContext, type TempHome, tempHome, writeConfig } from "../config/helpers.ts";

export interface World {
  emu: Emulator;
  home: TempHome;
  configPath: string;
  userId: number;
  env: Record<string, string | undefined>;
  stop(): Promise<void>;
}

export async function world(): Promise<World> {
  const emu = await startEmulator();
  const home = tempHome();
  const dir = join(home.home, ".untether");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const user = emu.addUser({ firstName: "Alice" });
  emu.privateChat(user.id);
  return {
    emu,
    home,
    configPath: join(dir, "untether.toml"),
    userId: user.id,
    env: { HOME: home.home, PATH: "/nonexistent" },
    async stop() {
      await emu.stop();
      home.cleanup();
    },
  };
}

/** A config that passes every check against `w.emu`; `extra` is appended (TOML). */
export function greenToml(
  w: World,
  opts: { token?: string; chatId?: number; telegramExtra?: string; extra?: string } = {},
): string {
  return `default_engine = "codex"

[transports.telegram]
bot_token = "${opts.token ?? w.emu.token}"
chat_id = ${opts.chatId ?? w.userId}
api_base_url = "${w.emu.apiBaseUrl}"
allowed_user_ids = [${w.userId}]
${opts.telegramExtra ?? ""}
${opts.extra ?? ""}`;
}

export function writeGreen(w: World, opts: Parameters<typeof greenToml>[1] = {}, mode = 0o600): void {
  writeConfig(w.configPath, greenToml(w, opts), mode);
}

/** Engine lookup: the given CLIs are installed (version 1.2.3), the rest are not. */
export function fakeDetect(installed: readonly string[]): DetectEngine {
  return async (cli): Promise<EngineInfo> =>
    installed.includes(cli)
      ? { installed: true, path: `/usr/local/bin/${cli}`, version: "1.2.3" }
      : { installed: false };
}

export function options(overrides: Partial<DoctorOptions> = {}): Partial<DoctorOptions> {
  return { detectEngine: fakeDetect(["codex"]), conflictProbeSeconds: 0, now: () => 1_700_000_000_000, ...overrides };
}

export function context(w: World, env: Record<string, string | undefined> = w.env) {
  return cliContext({ ...env, UNTETHER_CONFIG_PATH: w.configPath });
}
