// Runs every doctor check in a fixed order. Checks that need the config are skipped (saying why)
// when it does not load, so the report always has the same groups; a bot token is tested anyway.
import { dirname } from "node:path";
import type { ConfigPathSource } from "../config/paths.ts";
import { checkAccess } from "./access-checks.ts";
import {
  checkConfigDirPermissions,
  checkConfigFilePermissions,
  checkConfigLoads,
  checkConfigLocation,
  modeOf,
  partialTelegram,
} from "./config-checks.ts";
import { defaultDetectEngine } from "./detect.ts";
import { engineChecks } from "./engine-checks.ts";
import { checkDenyGlobs, checkFileAccess } from "./files-checks.ts";
import { securityChecks } from "./security-checks.ts";
import { checkStateDir } from "./state-checks.ts";
import { telegramChecks, telegramTokenOnlyChecks } from "./telegram-checks.ts";
import { triggerChecks } from "./trigger-checks.ts";
import { type CheckResult, type DoctorOptions, skip } from "./types.ts";
import { checkUnattendedShell } from "./unattended-checks.ts";
import { voiceChecks } from "./voice-checks.ts";

export type { CheckResult, CheckStatus, DoctorOptions } from "./types.ts";

const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_CONFLICT_PROBE_SECONDS = 1;

/** One skipped line per group that needs the config. */
const NEEDS_CONFIG: ReadonlyArray<[string, string]> = [
  ["access.allowlist", "access"],
  ["telegram.token", "bot token"],
  ["files.access", "file transfer"],
  ["voice.transcription", "voice transcription"],
  ["engines.config", "engines"],
  ["security.env_extras", "engine environment"],
  ["triggers.enabled", "triggers"],
];

export async function runChecks(
  where: { configPath: string; configPathSource: ConfigPathSource },
  opts: DoctorOptions,
): Promise<CheckResult[]> {
  const { configPath: path, configPathSource } = where;
  const results: CheckResult[] = [checkConfigLocation(path, configPathSource, opts.env)];
  const loaded = checkConfigLoads(path, opts.env);
  results.push(loaded.result);
  if (modeOf(path) !== undefined) results.push(checkConfigFilePermissions(path));
  if (modeOf(dirname(path)) !== undefined) results.push(checkConfigDirPermissions(path));
  results.push(checkStateDir(dirname(path)));

  const telegramOptions = {
    fetchImpl: opts.fetchImpl,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    conflictProbeSeconds: opts.conflictProbeSeconds ?? DEFAULT_CONFLICT_PROBE_SECONDS,
    lockPath: `${path}.lock`,
  };
  const config = loaded.config;
  if (!config) {
    const why = modeOf(path) === undefined ? "no config file" : "the config did not load";
    // A half-written file (only the token so far) still gets its token tested.
    const partial = partialTelegram(path, opts.env);
    for (const [id, label] of NEEDS_CONFIG) {
      if (id === "telegram.token" && partial)
        results.push(...(await telegramTokenOnlyChecks(partial, telegramOptions)));
      else results.push(skip(id, label, why));
    }
    return results;
  }
  const tg = config.transports.telegram;
  results.push(checkAccess(tg));
  results.push(...(await telegramChecks(config, telegramOptions)));
  results.push(checkFileAccess(tg.files), checkDenyGlobs(tg.files));
  results.push(...(await voiceChecks(tg, opts.env, opts.resolver)));
  const detect = opts.detectEngine ?? (await defaultDetectEngine());
  results.push(...(await engineChecks(config, opts.env, detect)));
  results.push(...securityChecks(config.security, opts.env));
  results.push(...(await triggerChecks(config.triggers, opts.portFree)));
  if (config.triggers.enabled) results.push(checkUnattendedShell(config));
  return results;
}
