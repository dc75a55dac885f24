// The `[cost_budget]`: limits on what engine runs cost, from the costs engines report (Claude's
// total_cost_usd, …) as stored in the runs table. Days are UTC days.
//
// Engines report a run's cost only in their final `completed` event, so a run cannot be stopped
// part-way when it goes over a limit. What we can do: refuse new runs once today's total reached
// max_cost_per_day, and — with auto_cancel — once a single run went over max_cost_per_run, refuse
// new runs for the rest of the day. Runs already queued when a limit is reached still run.
import type { CostBudgetConfig } from "../config/schema.ts";
import type { StateDb } from "../state/db.ts";

const DAY_MS = 86_400_000;
const WARNED_KEY = "cost_budget.warned_day";
const TRIPPED_KEY = "cost_budget.auto_cancel_tripped";

export interface CostBudgetOptions {
  config: () => CostBudgetConfig;
  db: StateDb;
  now?: () => number;
}

export function formatUsd(usd: number): string {
  return `$${usd >= 1 ? usd.toFixed(2) : usd.toFixed(4)}`;
}

const RAISE_HINT = (key: string) =>
  `To change it: <code>untether config set cost_budget.${key} &lt;usd&gt;</code>, then restart Untether.`;

export class CostBudget {
  readonly #o: CostBudgetOptions;
  readonly #now: () => number;

  constructor(o: CostBudgetOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /** Today's UTC day as YYYY-MM-DD and its bounds in ms. */
  #today(): { key: string; from: number; to: number } {
    const from = Math.floor(this.#now() / DAY_MS) * DAY_MS;
    return { key: new Date(from).toISOString().slice(0, 10), from, to: from + DAY_MS };
  }

  /** Total reported cost of the runs that finished today (UTC). */
  spentToday(): number {
    const d = this.#today();
    return this.#o.db.costBetween(d.from, d.to);
  }

  /** Why no run may start now (HTML for the chat), or undefined when it may. */
  refusal(): string | undefined {
    const c = this.#o.config();
    if (!c.enabled) return undefined;
    const today = this.#today();
    const tripped = this.#tripped();
    // A raised max_cost_per_run (or auto_cancel switched off) lifts the pause at once.
    if (
      c.auto_cancel &&
      c.max_cost_per_run !== undefined &&
      tripped?.day === today.key &&
      tripped.cost > c.max_cost_per_run
    ) {
      return (
        `🛑 A run today cost ${formatUsd(tripped.cost)}, more than <code>cost_budget.max_cost_per_run</code> ` +
        `(${formatUsd(c.max_cost_per_run)}), and <code>cost_budget.auto_cancel</code> is on, so no new run starts until 00:00 UTC. ` +
        `${RAISE_HINT("max_cost_per_run")} Or set <code>cost_budget.auto_cancel false</code>.`
      );
    }
    if (c.max_cost_per_day === undefined) return undefined;
    const spent = this.#o.db.costBetween(today.from, today.to);
    if (spent < c.max_cost_per_day) return undefined;
    return (
      `🛑 Today's runs cost ${formatUsd(spent)}, which reached <code>cost_budget.max_cost_per_day</code> ` +
      `(${formatUsd(c.max_cost_per_day)}). No new run starts until 00:00 UTC. ${RAISE_HINT("max_cost_per_day")}`
    );
  }

  /** Warnings (HTML) after a run ended; call once its cost is stored in the runs table. */
  afterRun(costUsd: number | undefined): string[] {
    const c = this.#o.config();
    if (!c.enabled || costUsd === undefined) return [];
    const today = this.#today();
    const out: string[] = [];
    if (c.max_cost_per_run !== undefined && costUsd > c.max_cost_per_run) {
      let text = `⚠️ This run cost ${formatUsd(costUsd)}, more than <code>cost_budget.max_cost_per_run</code> (${formatUsd(c.max_cost_per_run)}).`;
      if (c.auto_cancel) {
        const prev = this.#tripped();
        const worst = prev?.day === today.key ? Math.max(prev.cost, costUsd) : costUsd;
        this.#o.db.setKv(TRIPPED_KEY, JSON.stringify({ day: today.key, cost: worst }));
        // Costs arrive only when a run ends, so auto_cancel can stop the next runs, not this one.
        text += " <code>cost_budget.auto_cancel</code> is on: no new run starts until 00:00 UTC.";
      }
      out.push(text);
    }
    if (c.max_cost_per_day !== undefined && c.max_cost_per_day > 0) {
      const spent = this.#o.db.costBetween(today.from, today.to);
      const pct = (spent / c.max_cost_per_day) * 100;
      if (pct >= c.warn_at_pct && this.#o.db.getKv(WARNED_KEY) !== today.key) {
        this.#o.db.setKv(WARNED_KEY, today.key);
        const reached = spent >= c.max_cost_per_day ? " The limit is reached: no new run starts until 00:00 UTC." : "";
        out.push(
          `⚠️ Today's runs cost ${formatUsd(spent)}, ${Math.floor(pct)}% of <code>cost_budget.max_cost_per_day</code> ` +
            `(${formatUsd(c.max_cost_per_day)}).${reached}`,
        );
      }
    }
    return out;
  }

  #tripped(): { day: string; cost: number } | undefined {
    const raw = this.#o.db.getKv(TRIPPED_KEY);
    if (raw === undefined) return undefined;
    try {
      const v = JSON.parse(raw) as { day?: unknown; cost?: unknown };
      return typeof v.day === "string" && typeof v.cost === "number" ? { day: v.day, cost: v.cost } : undefined;
    } catch {
      return undefined;
    }
  }
}
