import { describe, expect, test } from "bun:test";
import { formatDuration, percentile, periodRange, summarizeRuns } from "../../src/core/run-stats.ts";
import type { RunStatRow } from "../../src/state/history.ts";

const row = (status: string, ms: number | null, cost: number | null = null, engine = "claude"): RunStatRow => ({
  engine,
  status,
  startedAt: 1_000,
  finishedAt: ms === null ? null : 1_000 + ms,
  costUsd: cost,
});

describe("/stats arithmetic", () => {
  test("nearest-rank percentiles", () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 90)).toBe(9);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([1, 2, 3], 50)).toBe(2);
  });

  test("outcomes, durations of ended runs only, costs of runs that reported one", () => {
    const s = summarizeRuns([
      row("done", 10_000, 0.5),
      row("done", 30_000, 0.25, "codex"),
      row("error", 2_000),
      row("cancelled", 5_000),
      row("interrupted", 60_000),
      row("running", null),
    ]);
    expect(s).toMatchObject({ runs: 6, done: 2, failed: 1, cancelled: 1, interrupted: 1, running: 1 });
    expect(s.medianMs).toBe(10_000);
    expect(s.p90Ms).toBe(60_000);
    expect(s).toMatchObject({ costUsd: 0.75, costed: 2, byEngine: { claude: 5, codex: 1 } });
    expect(summarizeRuns([]).medianMs).toBeUndefined();
  });

  test("periods: today is the UTC day, week the last 7 × 24 h, all from the epoch", () => {
    const now = Date.UTC(2026, 4, 10, 15, 30);
    expect(periodRange("today", now)).toEqual({ fromMs: Date.UTC(2026, 4, 10), toMs: now + 1 });
    expect(periodRange("week", now)).toEqual({ fromMs: now - 7 * 86_400_000, toMs: now + 1 });
    expect(periodRange("all", now).fromMs).toBe(0);
  });

  test("durations read as a person would", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(12_400)).toBe("12 s");
    expect(formatDuration(245_000)).toBe("4 min 05 s");
    expect(formatDuration(7_380_000)).toBe("2 h 03 min");
  });
});
