// Every problem with the config file is a ConfigError whose message names the key and says how to
// fix it. The `code` is stable (logs, tests and `doctor` match on it); messages never carry a secret.
import { UntetherError } from "../errors.ts";

export type ConfigErrorCode =
  | "config.missing"
  | "config.not_a_file"
  | "config.unreadable"
  | "config.toml_syntax"
  | "config.invalid"
  | "config.access_policy"
  | "config.key_path"
  | "config.write_failed"
  | "config.would_not_start";

export class ConfigError extends UntetherError {
  declare readonly code: ConfigErrorCode;
  /** Dotted key the problem is about (e.g. "transports.telegram.chat_id"), when there is one. */
  readonly key?: string;

  constructor(code: ConfigErrorCode, message: string, opts: { key?: string; cause?: unknown } = {}) {
    super(code, message, { cause: opts.cause });
    if (opts.key !== undefined) this.key = opts.key;
  }
}
