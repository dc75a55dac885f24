// The config file: where it was found, whether it loads, and who else can read or replace it.
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError } from "../config/errors.ts";
import { loadConfig, readConfigDocument } from "../config/load.ts";
import { migrateConfig } from "../config/migrate.ts";
import type { ConfigPathSource } from "../config/paths.ts";
import { displayPath } from "../config/paths.ts";
import { checkConfigPermissions, shellQuote } from "../config/permissions.ts";
import { type Config, DEFAULT_TELEGRAM_API_BASE_URL } from "../config/schema.ts";
import { validateDocument } from "../config/validate.ts";
import { type CheckResult, fail, ok, skip, warn } from "./types.ts";

type Env = Record<string, string | undefined>;

const SOURCE_TEXT: Record<ConfigPathSource, string> = {
  flag: "from --config",
  env: "from $UNTETHER_CONFIG_PATH",
  default: "default location",
};

export function checkConfigLocation(path: string, source: ConfigPathSource, env: Env): CheckResult {
  const where = `${displayPath(path, env)} (${SOURCE_TEXT[source]})`;
  if (modeOf(path) === undefined) {
    return fail("config.location", "config file", `${where} does not exist`, "untether init");
  }
  return ok("config.location", "config file", where);
}

/**
 * The bot token (and API URL) of a file that is only unfinished (valid so far, `chat_id` or the
 * allowlist still missing), so the token can be tested during set-up. A file with a wrong value
 * gives undefined: its API URL may be the wrong value.
 */
export function partialTelegram(
  path: string,
  env: Env,
): { token: string; baseUrl: string; chatIdSet: boolean } | undefined {
  try {
    const { doc } = migrateConfig(readConfigDocument(path, env));
    validateDocument(doc, { partial: true });
    const transports = doc.transports as Record<string, unknown> | undefined;
    const tg = transports?.telegram as Record<string, unknown> | undefined;
    if (typeof tg?.bot_token !== "string" || tg.bot_token.trim() === "") return undefined;
    return {
      token: tg.bot_token.trim(),
      baseUrl: typeof tg.api_base_url === "string" ? tg.api_base_url : DEFAULT_TELEGRAM_API_BASE_URL,
      chatIdSet: tg.chat_id !== undefined,
    };
  } catch {
    return undefined;
  }
}

export type LoadOutcome = { config: Config; result: CheckResult } | { config?: undefined; result: CheckResult };

/** Loads without the access policy, so an empty allowlist is reported by the access check instead. */
export function checkConfigLoads(path: string, env: Env): LoadOutcome {
  try {
    const loaded = loadConfig(path, { accessPolicy: false, checkPermissions: false, env });
    const moved = loaded.migrated.length;
    const detail = moved > 0 ? `valid (${moved} legacy key(s) read from the old layout)` : "valid";
    return { config: loaded.config, result: ok("config.load", "config loads", detail) };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // The "config file" line already fails for a missing file: one problem, one error.
    if (e.code === "config.missing") return { result: skip("config.load", "config loads", "no config file") };
    const where = e.key !== undefined && !e.message.includes(e.key) ? `${e.key}: ` : "";
    const fix = e.key ?? `edit ${shellQuote(path)}`;
    return { result: fail("config.load", "config loads", `${where}${e.message}`, fix) };
  }
}

/** The file holds the bot token: group/other access of any kind is an error. */
export function checkConfigFilePermissions(path: string): CheckResult {
  const label = "config file permissions";
  const problem = checkConfigPermissions(path);
  if (problem) {
    return fail(
      "config.file_permissions",
      label,
      `mode ${problem.mode}: other users can access the bot token`,
      `chmod 600 ${shellQuote(path)}`,
    );
  }
  const mode = modeOf(path);
  return mode === undefined
    ? warn("config.file_permissions", label, "cannot stat the file")
    : ok("config.file_permissions", label, `mode ${mode}`);
}

/** Someone who can write the folder can replace the file, and with it the allowlist. */
export function checkConfigDirPermissions(path: string): CheckResult {
  const label = "config folder permissions";
  const dir = dirname(path);
  const mode = modeOf(dir);
  if (mode === undefined) return warn("config.dir_permissions", label, `cannot stat ${dir}`);
  if ((Number.parseInt(mode, 8) & 0o022) !== 0) {
    return fail(
      "config.dir_permissions",
      label,
      `mode ${mode}: other users can replace the config file in ${dir}`,
      `chmod 700 ${shellQuote(dir)}`,
    );
  }
  return ok("config.dir_permissions", label, `mode ${mode}`);
}

export function modeOf(path: string): string | undefined {
  try {
    return (statSync(path).mode & 0o777).toString(8).padStart(3, "0");
  } catch {
    return undefined;
  }
}
