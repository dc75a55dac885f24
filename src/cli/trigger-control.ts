// /health and /triggers over the live triggers: the configured webhooks and crons (read at start, as
// the trigger server and scheduler are), their last fire from the state database, and the pauses.
import type { Config } from "../config/schema.ts";
import type { StateDb } from "../state/db.ts";
import type { TriggerControl, TriggerRow } from "../telegram/commands/trigger-list.ts";
import type { TriggerPauses } from "../triggers/pauses.ts";

export function triggerControl(config: Config, pauses: TriggerPauses, db: StateDb): TriggerControl {
  const t = config.triggers;
  const row = (id: string, kind: TriggerRow["kind"]): TriggerRow => {
    const last = db.lastTriggered(id);
    return { id, kind, paused: pauses.isPaused(id), ...(last === undefined ? {} : { lastFiredAt: last }) };
  };
  return {
    enabled: () => t.enabled,
    list: () => [...t.webhooks.map((w) => row(w.id, "webhook")), ...t.crons.map((c) => row(c.id, "cron"))],
    allPaused: () => pauses.allPaused,
    set: (id, paused, by) => pauses.set(id, paused, by),
  };
}
