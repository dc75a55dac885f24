// /stats arithmetic over stored run rows: counts by outcome, median and p90 duration, total cost.
// Periods: `today` is the current UTC day (the day the cost budget counts), `week` the last 7 × 24 h,
// `all` everything stored. Pure functions; the caller passes `now`.
import type { RunStatRow } from "../state/history.ts";

export const STAT_PERIODS = ["today", "week", "all"] as const;
export type StatPeriod = (typeof STAT_PERIODS)[number];

const DAY_MS = 86_400_000;

/** [fromMs, toMs) of a period at `now`. */
export function periodRange(period: StatPeriod, now: number): { fromMs: number; toMs: number } {
  const toMs = now + 1;
  if (period === "today") return { fromMs: Math.floor(now / DAY_MS) * DAY_MS, toMs };
  if (period === "week") return { fromMs: now - 7 * DAY_MS, toMs };
  return { fromMs: 0, toMs };
}

export interface RunStats {
  runs: number;
  done: number;
  failed: number;
  cancelled: number;
  interrupted: number;
  /** Queued or working now. */
  running: number;
  /** Of runs that ended (done, failed, cancelled, interrupted), from start (admission) to end, ms. */
  medianMs?: number;
  p90Ms?: number;
  costUsd: number;
  /** Runs that reported a cost (engines without cost reporting are not counted as free). */
  costed: number;
  byEngine: Record<string, number>;
}

/** Nearest-rank percentile (p in (0, 100]) of ascending `sorted`; undefined when empty. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarizeRuns(rows: readonly RunStatRow[]): RunStats {
  const s: RunStats = {
    runs: rows.length,
    done: 0,
    failed: 0,
    cancelled: 0,
    interrupted: 0,
    running: 0,
    costUsd: 0,
    costed: 0,
    byEngine: {},
  };
  const durations: number[] = [];
  for (const r of rows) {
    s.byEngine[r.engine] = (s.byEngine[r.engine] ?? 0) + 1;
    if (r.status === "done") s.done++;
    else if (r.status === "error") s.failed++;
    else if (r.status === "cancelled") s.cancelled++;
    else if (r.status === "interrupted") s.interrupted++;
    else s.running++;
    if (r.finishedAt !== null && r.status !== "running") durations.push(Math.max(0, r.finishedAt - r.startedAt));
    if (r.costUsd !== null) {
      s.costUsd += r.costUsd;
      s.costed++;
    }
  }
  durations.sort((a, b) => a - b);
  const median = percentile(durations, 50);
  const p90 = percentile(durations, 90);
  if (median !== undefined) s.medianMs = median;
  if (p90 !== undefined) s.p90Ms = p90;
  return s;
}

/** "850 ms", "12 s", "4 min 05 s", "2 h 03 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}
