import { afterEach, describe, expect, test } from "bun:test";
import type { CostBudgetConfig } from "../../src/config/schema.ts";
import { CostBudget } from "../../src/core/cost-budget.ts";
import { StateDb } from "../../src/state/db.ts";

const T0 = Date.UTC(2025, 5, 10, 12, 0, 0);
const HOUR = 3_600_000;

let db: StateDb;
afterEach(() => db?.close());

function setup(over: Partial<CostBudgetConfig>) {
  db = StateDb.open(":memory:");
  let now = T0;
  const config: CostBudgetConfig = { enabled: true, warn_at_pct: 70, auto_cancel: false, ...over };
  const budget = new CostBudget({ config: () => config, db, now: () => now });
  /** A finished run of this cost at the current clock, as RunManager records it. */
  const run = (costUsd: number | undefined) => {
    const id = db.startRun({ chatId: 1, engine: "claude", source: "telegram" });
    db.finishRun(id, "done", { costUsd, finishedAt: now });
    return budget.afterRun(costUsd);
  };
  return { budget, run, config, advance: (ms: number) => (now += ms) };
}

describe("cost budget", () => {
  test("disabled: never refuses, never warns", () => {
    const { budget, run } = setup({ enabled: false, max_cost_per_day: 0.01, max_cost_per_run: 0.001 });
    expect(run(5)).toEqual([]);
    expect(budget.refusal()).toBeUndefined();
  });

  test("today's total reaching max_cost_per_day refuses runs until the UTC day rolls over", () => {
    const { budget, run, advance } = setup({ max_cost_per_day: 1 });
    run(0.4);
    run(undefined); // an engine that reports no cost counts as nothing
    expect(budget.refusal()).toBeUndefined();
    run(0.6);
    expect(budget.spentToday()).toBeCloseTo(1);
    const refusal = budget.refusal();
    expect(refusal).toContain("cost_budget.max_cost_per_day");
    expect(refusal).toContain("untether config set cost_budget.max_cost_per_day");
    expect(refusal).toContain("$1.00");
    advance(12 * HOUR); // 00:00 UTC of the next day
    expect(budget.spentToday()).toBe(0);
    expect(budget.refusal()).toBeUndefined();
  });

  test("a run over max_cost_per_run is reported, naming the key", () => {
    const { budget, run } = setup({ max_cost_per_run: 0.5 });
    expect(run(0.5)).toEqual([]);
    const [w] = run(0.75);
    expect(w).toContain("cost_budget.max_cost_per_run");
    expect(w).toContain("$0.7500");
    expect(w).not.toContain("auto_cancel");
    expect(budget.refusal()).toBeUndefined();
  });

  test("crossing warn_at_pct of max_cost_per_day warns once per UTC day", () => {
    const { run, advance } = setup({ max_cost_per_day: 10, warn_at_pct: 70 });
    expect(run(6.9)).toEqual([]);
    const first = run(0.2);
    expect(first).toHaveLength(1);
    expect(first[0]).toContain("71% of <code>cost_budget.max_cost_per_day</code>");
    expect(first[0]).not.toContain("limit is reached");
    expect(run(0.5)).toEqual([]);
    advance(24 * HOUR);
    expect(run(1)).toEqual([]);
    expect(run(9)[0]).toContain("limit is reached");
  });

  test("auto_cancel: after a run over max_cost_per_run, new runs wait for the next day (or a higher limit)", () => {
    const { budget, run, config, advance } = setup({ max_cost_per_run: 0.5, auto_cancel: true });
    const [w] = run(2);
    expect(w).toContain("cost_budget.auto_cancel");
    const refusal = budget.refusal();
    expect(refusal).toContain("cost_budget.max_cost_per_run");
    expect(refusal).toContain("cost_budget.auto_cancel");
    config.max_cost_per_run = 5;
    expect(budget.refusal()).toBeUndefined();
    config.max_cost_per_run = 0.5;
    expect(budget.refusal()).toBeDefined();
    advance(12 * HOUR);
    expect(budget.refusal()).toBeUndefined();
  });

  test("the warned day survives a restart (kept in the state db)", () => {
    const { run } = setup({ max_cost_per_day: 1, warn_at_pct: 50 });
    expect(run(0.6)).toHaveLength(1);
    const again = new CostBudget({
      config: () => ({ enabled: true, warn_at_pct: 50, auto_cancel: false, max_cost_per_day: 1 }),
      db,
      now: () => T0,
    });
    expect(again.afterRun(0)).toEqual([]);
  });
});
