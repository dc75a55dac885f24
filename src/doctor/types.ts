// The shape every doctor check returns, and the injectable inputs (env, fetch, clock, DNS, PATH
// lookup) so the whole report is deterministic under test.
import type { ConfigPathSource } from "../config/paths.ts";
import type { Config } from "../config/schema.ts";
import type { Resolver } from "../security/ssrf.ts";

export type CheckStatus = "ok" | "warn" | "error" | "skip";

export interface CheckResult {
  /** Stable dotted id (`telegram.token`, `files.deny_globs`); scripts match on it. */
  id: string;
  label: string;
  status: CheckStatus;
  detail: string;
  /** The exact command or config key to change; present only when status is not ok. */
  fix?: string;
  /** True when the check could not run (an earlier one failed, or what it checks is not set yet). */
  skipped?: true;
}

export interface EngineInfo {
  installed: boolean;
  path?: string;
  version?: string;
  error?: string;
}

/** Looks an engine CLI up on PATH and asks for its version (engines/availability.ts in production). */
export type DetectEngine = (cli: string, env: Record<string, string | undefined>) => Promise<EngineInfo>;

export interface DoctorOptions {
  env: Record<string, string | undefined>;
  fetchImpl: typeof fetch;
  now: () => number;
  /** DNS for the voice endpoint's SSRF check. */
  resolver?: Resolver;
  detectEngine?: DetectEngine;
  /** Per Telegram request (default 10 s). */
  timeoutMs?: number;
  /**
   * Seconds our getUpdates probe stays open. Telegram ends the OLDER of two polls with 409, so a
   * zero-second probe only ends the other instance's poll; a short window lets that instance poll
   * again and end ours, which is what we detect. 0 skips the window (faster, may miss a conflict).
   */
  conflictProbeSeconds?: number;
  /** Port probe for the trigger server (default: Bun.listen on it and close). */
  portFree?: (host: string, port: number) => Promise<boolean>;
}

/** What the config-dependent checks receive once the file has loaded. */
export interface LoadedInput {
  path: string;
  source: ConfigPathSource;
  config: Config;
}

export const ok = (id: string, label: string, detail: string): CheckResult => ({ id, label, status: "ok", detail });
export const warn = (id: string, label: string, detail: string, fix?: string): CheckResult =>
  fix === undefined ? { id, label, status: "warn", detail } : { id, label, status: "warn", detail, fix };
export const fail = (id: string, label: string, detail: string, fix?: string): CheckResult =>
  fix === undefined ? { id, label, status: "error", detail } : { id, label, status: "error", detail, fix };
/** A check that could not run; shown as skipped — never as a pass, a warning or an extra error. */
export const skip = (id: string, label: string, why: string): CheckResult => ({
  id,
  label,
  status: "skip",
  detail: `skipped (${why})`,
  skipped: true,
});
