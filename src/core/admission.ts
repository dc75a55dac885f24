// Admission: whether a new run may start an engine process now. Over `max_concurrent_engine_runs`
// (0 = unlimited) a run is refused at once, not parked; below `prespawn_ram_block_mb` free memory
// (plus `prespawn_ram_per_run_reserve_mb` per engine run already in flight) it is refused with the
// figures; below `prespawn_ram_warn_mb` it starts with a warning. A run that waits behind another
// run of its own conversation is not refused for the cap: it takes that run's slot when it ends.
import { readFileSync } from "node:fs";

export interface AdmissionLimits {
  /** 0 = unlimited. */
  maxConcurrent: number;
  /** 0 = off. */
  ramWarnMb: number;
  /** 0 = off. */
  ramBlockMb: number;
  ramReserveMb: number;
}

/** MiB of MemAvailable, or undefined when unknown (no /proc, an odd file). */
export type MemAvailableReader = () => number | undefined;

export type AdmissionDecision =
  | { kind: "admit"; warning?: string }
  /** The user-facing refusal (HTML-safe text) and a stable reason for the log. */
  | { kind: "refuse"; reason: "cap" | "memory"; notice: string };

/** MemAvailable from the text of /proc/meminfo, in MiB. */
export function parseMemAvailableMb(meminfo: string): number | undefined {
  const m = /^MemAvailable:\s+(\d+)\s*kB\s*$/m.exec(meminfo);
  return m ? Math.floor(Number(m[1]) / 1024) : undefined;
}

/** Reads /proc/meminfo (Linux); undefined elsewhere, which turns the memory guard off. */
export function procMemAvailableMb(path = "/proc/meminfo"): number | undefined {
  try {
    return parseMemAvailableMb(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * The decision for one new run. `inFlight` counts engine runs running or already admitted;
 * `waitsForConversation` is true when the run will queue behind a run of its own conversation.
 */
export function decideAdmission(
  limits: AdmissionLimits,
  inFlight: number,
  waitsForConversation: boolean,
  memAvailableMb: number | undefined,
): AdmissionDecision {
  if (!waitsForConversation && limits.maxConcurrent > 0 && inFlight >= limits.maxConcurrent) {
    return {
      kind: "refuse",
      reason: "cap",
      notice:
        `🛑 Too many engine runs in flight (${inFlight}/${limits.maxConcurrent}). ` +
        "Wait for one to finish (or stop one with /cancel), then send your message again. " +
        "The cap is watchdog.max_concurrent_engine_runs.",
    };
  }
  if (memAvailableMb === undefined) return { kind: "admit" };
  if (limits.ramBlockMb > 0) {
    const needed = limits.ramBlockMb + limits.ramReserveMb * inFlight;
    if (memAvailableMb < needed) {
      const reserve =
        inFlight > 0 ? ` + ${limits.ramReserveMb} MB × ${inFlight} run${inFlight === 1 ? "" : "s"} in flight` : "";
      return {
        kind: "refuse",
        reason: "memory",
        notice:
          `🛑 Not enough free memory to start an engine: ${memAvailableMb} MB available, ${needed} MB needed ` +
          `(watchdog.prespawn_ram_block_mb = ${limits.ramBlockMb} MB${reserve}). ` +
          "Wait for a run to finish or free some memory, then send your message again.",
      };
    }
  }
  if (limits.ramWarnMb > 0 && memAvailableMb < limits.ramWarnMb) {
    return {
      kind: "admit",
      warning:
        `⚠️ Low memory: ${memAvailableMb} MB available, below watchdog.prespawn_ram_warn_mb = ${limits.ramWarnMb} MB. ` +
        "Starting anyway; the engine may be slow or killed by the system.",
    };
  }
  return { kind: "admit" };
}
