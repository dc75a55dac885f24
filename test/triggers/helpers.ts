// Shared fixtures for trigger tests: a config from TOML, a recording sink, a steppable clock and
// manual timers, a state db in a temp dir.
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildConfig, parseConfigText } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { effectiveDenyGlobs } from "../../src/security/deny-globs.ts";
import { StateDb } from "../../src/state/db.ts";
import type { StartRunRequest, Timers, TriggerSink } from "../../src/triggers/sink.ts";

export const BASE_TOML = `[transports.telegram]
bot_token = "123456789:AAFakeTokenForTestsOnly_abcdefghijklm"
chat_id = 4242
allowed_user_ids = [111]
`;

export function configOf(toml: string, baseDir = "/srv"): Config {
  return buildConfig(parseConfigText(`${BASE_TOML}\n${toml}`), { baseDir }).config;
}

export interface RecordingSink extends TriggerSink {
  runs: StartRunRequest[];
  notices: Array<{ chatId: number; html: string }>;
}

/** A sink that records runs and notices; `denyGlobs` plays the user's live `deny_globs`. */
export function recordingSink(projects: Record<string, string> = {}, denyGlobs: string[] = []): RecordingSink {
  const runs: StartRunRequest[] = [];
  const notices: Array<{ chatId: number; html: string }> = [];
  return {
    runs,
    notices,
    defaultChatId: 4242,
    startRun: async (req) => void runs.push(req),
    notify: async (chatId, html) => void notices.push({ chatId, html }),
    projectPath: (p) => (p === undefined ? undefined : projects[p]),
    denyGlobs: () => effectiveDenyGlobs(denyGlobs),
  };
}

export interface Clock {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function clock(start: number): Clock {
  let t = start;
  return {
    now: () => t,
    set: (ms) => {
      t = ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

/** Timers that never fire on their own: tests call tick() after moving the clock. */
export function manualTimers(): Timers & { pending: number } {
  const live = new Set<unknown>();
  return {
    set: (_fn, _ms) => {
      const h = Symbol("timer");
      live.add(h);
      return h;
    },
    clear: (h) => void live.delete(h),
    get pending() {
      return live.size;
    },
  };
}

export interface TempDir {
  dir: string;
  cleanup(): void;
}

export function tempDir(prefix = "untether-triggers-"): TempDir {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function memoryDb(): StateDb {
  return StateDb.open(":memory:");
}

export function hmacHex(algorithm: "sha256" | "sha1", secret: string, body: string | Uint8Array): string {
  return new Bun.CryptoHasher(algorithm, secret).update(body).digest("hex");
}

/** The Host header a client of the default trigger server (127.0.0.1, port 9876) sends. */
export const LOCAL_HOST = "127.0.0.1:9876";

/** `req` with the Host header a real client sends (in-process requests carry none). */
export function local(req: Request, host = LOCAL_HOST): Request {
  if (!req.headers.has("host")) req.headers.set("host", host);
  return req;
}
