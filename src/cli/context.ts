// What every CLI command receives. Commands write to out/err (never console.log) and return an exit code.
import type { ConfigPathSource } from "../config/paths.ts";

export type { ConfigPathSource };

export interface Output {
  write(text: string): void;
}

export interface CliContext {
  /** Resolved config path: --config > UNTETHER_CONFIG_PATH > ~/.untether/untether.toml. */
  configPath: string;
  configPathSource: ConfigPathSource;
  env: Record<string, string | undefined>;
  out: Output;
  err: Output;
  /** True when stdout is a terminal. */
  isTty: boolean;
  /** All of standard input (default: the process's stdin); for secrets that must not be on argv. */
  readStdin?(): Promise<string>;
}

/** Exit codes shared by all commands. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
