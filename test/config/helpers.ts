// Test helpers for config tests: a temp HOME, a CliContext that records output, captured logs.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { CliContext } from "../../src/cli/context.ts";
import { resolveConfigPath } from "../../src/config/paths.ts";
import { createLogger, setLogger } from "../../src/log/logger.ts";

export interface TempHome {
  home: string;
  cleanup(): void;
}

export function tempHome(): TempHome {
  const home = mkdtempSync(join(tmpdir(), "untether-config-"));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

export interface Recorded {
  ctx: CliContext;
  out: () => string;
  err: () => string;
}

/** A context resolved the way main.ts does it, with captured stdout/stderr. */
export function cliContext(env: Record<string, string | undefined>, flag?: string): Recorded {
  let out = "";
  let err = "";
  const resolved = resolveConfigPath(flag, env);
  return {
    ctx: {
      configPath: resolved.path,
      configPathSource: resolved.source,
      env,
      out: {
        write: (t) => {
          out += t;
        },
      },
      err: {
        write: (t) => {
          err += t;
        },
      },
      isTty: false,
    },
    out: () => out,
    err: () => err,
  };
}

export function writeConfig(path: string, text: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
}

export interface LogRecord {
  level: string;
  msg: string;
  [k: string]: unknown;
}

/** Replaces the process logger with one that records parsed JSON lines. */
export function captureLogs(): LogRecord[] {
  const records: LogRecord[] = [];
  setLogger(
    createLogger({
      level: "debug",
      pretty: false,
      sink: { write: (line) => void records.push(JSON.parse(line) as LogRecord) },
    }),
  );
  return records;
}

// A realistic-looking but fake bot token (test data only).
export const FAKE_TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijklm";

export const MINIMAL_TOML = `[transports.telegram]
bot_token = "${FAKE_TOKEN}"
chat_id = 123456789
allowed_user_ids = [111]
`;
