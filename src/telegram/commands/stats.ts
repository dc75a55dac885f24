// /stats [engine] [today|week|all]: runs, outcomes, median and p90 duration and cost of this chat's
// runs, from the runs table. Without a period it shows all three; without an engine, every engine.
import { formatUsd } from "../../core/cost-budget.ts";
import { formatDuration, periodRange, STAT_PERIODS, type StatPeriod, summarizeRuns } from "../../core/run-stats.ts";
import type { RunStatRow } from "../../state/history.ts";
import { escapeHtml } from "../render.ts";
import type { ChatCommand, CommandKit } from "./types.ts";

export interface StatsDeps {
  kit: Pick<CommandKit, "reply">;
  statRows(q: { chatId: number; engine?: string; fromMs: number; toMs: number }): RunStatRow[];
  engineIds(): readonly string[];
  now(): number;
}

const USAGE = "/stats [engine] [today|week|all]";
const PERIOD_TITLE: Record<StatPeriod, string> = { today: "Today (UTC)", week: "Last 7 days", all: "All time" };

export function parseStatsArgs(
  args: string,
  engines: readonly string[],
): { ok: true; engine?: string; period?: StatPeriod } | { ok: false } {
  let engine: string | undefined;
  let period: StatPeriod | undefined;
  for (const raw of args.split(/\s+/).filter(Boolean)) {
    const word = raw.toLowerCase().replace(/^\//, "");
    if ((STAT_PERIODS as readonly string[]).includes(word) && period === undefined) period = word as StatPeriod;
    else if (engines.includes(word) && engine === undefined) engine = word;
    else return { ok: false };
  }
  return { ok: true, ...(engine === undefined ? {} : { engine }), ...(period === undefined ? {} : { period }) };
}

export function statsBlock(title: string, rows: readonly RunStatRow[], showEngines: boolean): string {
  const s = summarizeRuns(rows);
  if (s.runs === 0) return `<b>${escapeHtml(title)}</b>: no runs`;
  const lines = [`<b>${escapeHtml(title)}</b>: ${s.runs} run${s.runs === 1 ? "" : "s"}`];
  const outcomes = [`✅ ${s.done} done`, `❌ ${s.failed} failed`, `⏹ ${s.cancelled} cancelled`];
  if (s.interrupted > 0) outcomes.push(`⚠️ ${s.interrupted} interrupted`);
  if (s.running > 0) outcomes.push(`⏳ ${s.running} running`);
  lines.push(outcomes.join(" · "));
  if (s.medianMs !== undefined && s.p90Ms !== undefined)
    lines.push(`Duration: median ${formatDuration(s.medianMs)} · p90 ${formatDuration(s.p90Ms)}`);
  lines.push(
    s.costed === 0
      ? "Cost: not reported"
      : `Cost: ${formatUsd(s.costUsd)}${s.costed < s.runs ? ` (${s.costed} of ${s.runs} runs reported one)` : ""}`,
  );
  if (showEngines) {
    const by = Object.entries(s.byEngine)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([e, n]) => `${escapeHtml(e)} ${n}`);
    lines.push(`Engines: ${by.join(" · ")}`);
  }
  return lines.join("\n");
}

export function createStatsCommand(d: StatsDeps): ChatCommand {
  return {
    name: "stats",
    usage: USAGE,
    summary: "this chat's runs: outcomes, median and p90 duration, cost",
    async run({ m, args, chat }) {
      const parsed = parseStatsArgs(args, d.engineIds());
      if (!parsed.ok) {
        const engines = d.engineIds().join(", ");
        await d.kit.reply(
          chat,
          `Usage: <code>${escapeHtml(USAGE)}</code>\nEngines: ${escapeHtml(engines)}. Periods: today (UTC day), week (last 7 days), all.`,
          { replyTo: m.messageId },
        );
        return;
      }
      const now = d.now();
      const periods = parsed.period === undefined ? STAT_PERIODS : [parsed.period];
      const head = `📊 Runs in this chat${parsed.engine === undefined ? "" : ` with ${escapeHtml(parsed.engine)}`}`;
      const blocks = periods.map((p) =>
        statsBlock(
          PERIOD_TITLE[p],
          d.statRows({
            chatId: m.chatId,
            ...(parsed.engine === undefined ? {} : { engine: parsed.engine }),
            ...periodRange(p, now),
          }),
          parsed.engine === undefined,
        ),
      );
      await d.kit.reply(chat, [head, ...blocks].join("\n\n"), { replyTo: m.messageId });
    },
  };
}
