// A stored run as a Markdown document (/export): its facts, the prompt, the actions with their results
// and the answer. The prompt and action details are fenced (a fence longer than any backtick run in
// them), so nothing they contain changes the document's structure; the answer is the agent's Markdown.
import { formatUsd } from "../../core/cost-budget.ts";
import { formatDuration } from "../../core/run-stats.ts";
import type { LoggedAction, StoredRun } from "../../state/history.ts";

const STATUS_MARK: Record<LoggedAction["status"], string> = {
  done: "✅",
  failed: "❌",
  running: "⏳",
  updated: "⏳",
};

/** A code fence around `text` that `text` cannot close. */
export function fenced(text: string, lang = ""): string {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}

/** One line of Markdown: newlines folded so a title cannot start a heading or a list of its own. */
function inline(text: string): string {
  return text.replace(/\s*\n\s*/g, " ⏎ ");
}

function isoUtc(ms: number): string {
  return `${new Date(ms).toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

export function exportFileName(run: StoredRun): string {
  return `untether-run-${run.runId}.md`;
}

export function renderRunMarkdown(run: StoredRun): string {
  const out: string[] = [`# Untether run ${run.runId}`, ""];
  const where = [run.project, run.branch === undefined ? undefined : `@${run.branch}`].filter(Boolean).join(" ");
  out.push(`- Engine: ${run.engine}`);
  out.push(`- Status: ${run.status}`);
  out.push(`- Source: ${run.source}`);
  if (where) out.push(`- Project: ${where}`);
  out.push(`- Started: ${isoUtc(run.startedAt)}`);
  out.push(
    `- Duration: ${run.finishedAt === undefined ? "still running" : formatDuration(run.finishedAt - run.startedAt)}`,
  );
  out.push(`- Cost: ${run.costUsd === undefined ? "not reported by the engine" : formatUsd(run.costUsd)}`);
  out.push("", "## Prompt", "");
  out.push(run.prompt === undefined ? "_Not stored (older than `history.retention_days`)._" : fenced(run.prompt));
  const omitted = Object.entries(run.omitted).filter(([, n]) => n > 0);
  const total = run.actions.length + omitted.reduce((a, [, n]) => a + n, 0);
  out.push("", `## Actions (${total})`, "");
  if (omitted.length > 0) {
    const kinds = omitted.map(([k, n]) => `${n} ${k}`).join(", ");
    out.push(`_${total - run.actions.length} earlier actions not kept (${kinds}); \`history.max_actions\`._`, "");
  }
  if (run.actions.length === 0 && omitted.length === 0) out.push("_None._");
  run.actions.forEach((a, i) => {
    out.push(`${i + 1}. ${STATUS_MARK[a.status]} ${a.kind}: ${inline(a.title)}`);
    if (a.detail !== undefined) out.push("", indent(fenced(a.detail, "json"), "   "), "");
  });
  out.push("", "## Answer", "");
  if (run.answer !== undefined && run.answer !== "") {
    out.push(run.answer);
    if (run.cut) out.push("", "_The answer was cut here: `history.max_bytes`._");
  } else out.push("_No answer._");
  if (run.error !== undefined) out.push("", "## Error", "", fenced(run.error));
  return `${out.join("\n")}\n`;
}

function indent(text: string, pad: string): string {
  return text
    .split("\n")
    .map((l) => pad + l)
    .join("\n");
}
