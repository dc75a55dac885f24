// /health: memory, runs (running, queued), engine processes, triggers with their last fire and pause
// state, and today's cost (UTC day, as the cost budget counts it).
import { formatUsd } from "../../core/cost-budget.ts";
import type { RunCounts } from "../../core/runs.ts";
import { escapeHtml } from "../render.ts";
import { type TriggerControl, triggerLines } from "./trigger-list.ts";
import type { ChatCommand, CommandKit } from "./types.ts";

export interface HealthDeps {
  kit: Pick<CommandKit, "reply">;
  rssBytes(): number;
  runs(): RunCounts;
  triggers: TriggerControl;
  spentToday(): number;
  now(): number;
}

export function formatMiB(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

export function createHealthCommand(d: HealthDeps): ChatCommand {
  return {
    name: "health",
    usage: "/health",
    summary: "memory, runs, engine processes, triggers and today's cost",
    async run({ m, chat }) {
      const r = d.runs();
      const procs = Object.entries(r.processes).sort(([a], [b]) => a.localeCompare(b));
      const total = procs.reduce((a, [, n]) => a + n, 0);
      const lines = [
        "🩺 <b>Health</b>",
        `Memory (RSS): ${formatMiB(d.rssBytes())}`,
        `Runs: ${r.running} running · ${r.queued} queued`,
        `Engine processes: ${total}${total > 0 ? ` (${procs.map(([e, n]) => `${escapeHtml(e)} ${n}`).join(", ")})` : ""}`,
        `Cost today (UTC): ${formatUsd(d.spentToday())}`,
        "",
        "<b>Triggers</b>",
        ...triggerLines(d.triggers, d.now()),
      ];
      await d.kit.reply(chat, lines.join("\n"), { replyTo: m.messageId });
    },
  };
}
