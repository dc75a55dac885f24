// Deletes run history past `[history] retention_days`: at start, then every 6 hours (the setting is
// re-read each time, so a reloaded config applies at the next pass).
import { logger } from "../log/logger.ts";
import type { Clock } from "./clock.ts";

export const PRUNE_EVERY_MS = 6 * 3_600_000;
const DAY_MS = 86_400_000;

export interface HistoryPruneOptions {
  retentionDays(): number;
  /** Deletes what is older than `cutoffMs`; returns how much went. */
  prune(cutoffMs: number): { logs: number; messages: number };
  clock: Clock;
}

/** Prunes once now and then on a timer; returns a stop function. */
export function startHistoryPruning(o: HistoryPruneOptions): () => void {
  let timer: unknown;
  let stopped = false;
  const pass = () => {
    timer = undefined;
    if (stopped) return;
    const days = o.retentionDays();
    try {
      const gone = o.prune(o.clock.now() - days * DAY_MS);
      if (gone.logs > 0 || gone.messages > 0)
        logger().info({ run_logs: gone.logs, run_messages: gone.messages, retention_days: days }, "history.pruned");
    } catch (e) {
      logger().warn({ error: (e as Error).message }, "history.prune_failed");
    }
    timer = o.clock.setTimeout(pass, PRUNE_EVERY_MS);
    (timer as { unref?: () => void } | undefined)?.unref?.();
  };
  pass();
  return () => {
    stopped = true;
    if (timer !== undefined) o.clock.clearTimeout(timer);
  };
}
