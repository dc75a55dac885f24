// What /health and /triggers show of the configured triggers: kind, last fire (from trigger_history)
// and pause state. The composition root implements TriggerControl over the config and triggers/pauses.ts.
import { formatDuration } from "../../core/run-stats.ts";
import { logger } from "../../log/logger.ts";
import { escapeHtml } from "../render.ts";

export interface TriggerRow {
  id: string;
  kind: "webhook" | "cron";
  lastFiredAt?: number;
  /** Paused on its own or with all triggers. */
  paused: boolean;
}

export interface TriggerControl {
  /** `[triggers] enabled`: without it no webhook is served and no cron fires. */
  enabled(): boolean;
  list(): TriggerRow[];
  allPaused(): boolean;
  /** Pauses or resumes one trigger, or all with `id` undefined; whether anything changed. */
  set(id: string | undefined, paused: boolean, by: number | undefined): boolean;
}

export function triggerLine(t: TriggerRow, now: number): string {
  const last = t.lastFiredAt === undefined ? "never fired" : `last fired ${formatDuration(now - t.lastFiredAt)} ago`;
  return `${t.paused ? "⏸" : "▶️"} <code>${escapeHtml(t.id)}</code> (${t.kind}) · ${last}${t.paused ? " · paused" : ""}`;
}

/** The trigger section of /health and /triggers. */
export function triggerLines(c: TriggerControl, now: number): string[] {
  const rows = c.list();
  if (rows.length === 0) return ["No triggers configured."];
  const head: string[] = [];
  if (!c.enabled()) head.push("Triggers are off (<code>triggers.enabled = false</code>).");
  if (c.allPaused()) head.push("All triggers are paused.");
  return [...head, ...rows.map((t) => triggerLine(t, now))];
}

/** Pauses or resumes one trigger (or all), logging `settings.changed` when it changed anything. */
export function setTriggerPause(
  c: TriggerControl,
  id: string | undefined,
  paused: boolean,
  by: { userId: number | undefined; chatId: number | undefined },
): boolean {
  const key = id === undefined ? "triggers.paused" : `triggers.paused.${id}`;
  const old = id === undefined ? c.allPaused() : c.list().find((t) => t.id === id)?.paused === true;
  const changed = c.set(id, paused, by.userId);
  if (changed) logger().info({ user_id: by.userId, chat_id: by.chatId, key, old, new: paused }, "settings.changed");
  return changed;
}
