// The Telegram face of a run: a ProgressState rendered as the live progress message and, at the end,
// as the final answer split to Telegram's limit (footer and resume line on the last part only), or, past
// `max_answer_parts` messages, its first paragraph plus the whole answer as answer.md.
import type { PendingApproval } from "../core/approvals.ts";
import { formatStall } from "../core/liveness.ts";
import { ProgressState } from "../core/progress.ts";
import type { BlockingRun, FinalAnswer, ProgressNotes, RunInfo, RunStatus, RunView } from "../core/runs.ts";
import type { DocumentInput } from "../core/transport.ts";
import type { EngineEvent } from "../engines/events.ts";
import { redactSecrets } from "../log/redact.ts";
import { diffPreview } from "./diff-preview.ts";
import {
  escapeHtml,
  markdownToTelegramHtml,
  renderHeader,
  renderProgress,
  renderResumeLine,
  splitForTelegram,
} from "./render.ts";

export interface PresenterSettings {
  maxActions: number;
  verbose: boolean;
  showResumeLine: boolean;
  /** "split": long answers become several messages; "trim": one message, the answer cut short. */
  messageOverflow: "split" | "trim";
  /** `[footer] show_api_cost`: the run's cost, when the engine reports one. */
  showCost: boolean;
  /** `max_answer_parts`: a split answer needing more messages is sent as a head plus answer.md. */
  maxAnswerParts: number;
}

/** The head of an answer sent as a document: its first paragraph, at most this long. */
const HEAD_CHARS = 1200;

/** The first paragraph of a long answer, cut at a line or word end when it is itself long. */
export function answerHead(answer: string): string {
  const trimmed = answer.trim();
  const para = trimmed.split(/\n\s*\n/)[0] ?? trimmed;
  if (para.length <= HEAD_CHARS) return para;
  const cut = Math.max(para.lastIndexOf("\n", HEAD_CHARS), para.lastIndexOf(" ", HEAD_CHARS));
  return `${para.slice(0, cut > HEAD_CHARS / 2 ? cut : HEAD_CHARS)} …`;
}

/** Room for a trimmed answer: under Telegram's 4096 with the header and footer around it. */
const TRIM_CHARS = 3000;

const PENDING_MAX = 400;
const DESCRIPTION_MAX = 160;
/** A plan longer than this shows its head in the progress message and comes whole as plan.md. */
export const PLAN_INLINE_MAX = 1500;
const PLAN_HEAD_CHARS = 900;

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The first lines of a long plan, whole lines up to PLAN_HEAD_CHARS. */
export function planHead(plan: string): string {
  const lines = plan.trim().split("\n");
  const out: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (size + line.length > PLAN_HEAD_CHARS && out.length > 0) break;
    out.push(cut(line, PLAN_HEAD_CHARS));
    size += line.length + 1;
  }
  // An unclosed code fence would swallow the note after it: close it.
  const fences = out.filter((l) => /^ {0,3}(`{3,}|~{3,})/.test(l)).length;
  if (fences % 2 === 1) out.push("```");
  return `${out.join("\n")}\n…`;
}

const REPLY_HINT = "✍️ <i>Reply to this message with your answer.</i>";

function questionsText(p: PendingApproval): string {
  const many = p.questions.length > 1;
  const blocks = p.questions.map((q, qi) => {
    const head = `${many ? `${qi + 1}. ` : ""}${q.header ? `[${escapeHtml(cut(q.header, 24))}] ` : ""}`;
    const lines = [
      `<b>${head}${escapeHtml(cut(q.question, PENDING_MAX))}</b>${q.multiSelect ? " <i>(choose any, then Send)</i>" : ""}`,
    ];
    const answer = p.answers[qi];
    if (answer !== undefined) {
      lines.push(`→ ${escapeHtml(cut(answer, PENDING_MAX))}`);
      return lines.join("\n");
    }
    q.options.forEach((o, oi) => {
      const mark = q.multiSelect && p.selected[qi]?.has(oi) ? "✓ " : "• ";
      const desc = o.description ? ` — ${escapeHtml(cut(o.description, DESCRIPTION_MAX))}` : "";
      lines.push(`${mark}<b>${escapeHtml(cut(o.label, 80))}</b>${desc}`);
    });
    if (p.awaiting === qi) lines.push(REPLY_HINT);
    return lines.join("\n");
  });
  return `❓ <b>Claude asks</b>\n${blocks.join("\n\n")}`;
}

function planText(p: PendingApproval): string {
  const plan = p.plan?.trim() ?? "";
  const body =
    plan === ""
      ? "<i>(the request carries no plan text)</i>"
      : plan.length <= PLAN_INLINE_MAX
        ? markdownToTelegramHtml(plan)
        : `${markdownToTelegramHtml(planHead(plan))}\n<i>📎 The whole plan (${plan.length.toLocaleString("en-US")} characters) is in plan.md.</i>`;
  const discuss =
    p.awaiting === "discuss" ? `\n${"💬 <i>Reply to this message with what to discuss; the plan waits.</i>"}` : "";
  return `📋 <b>Plan review</b> — approve to let the agent start\n${body}${discuss}`;
}

function pendingText(p: PendingApproval): string {
  if (p.kind === "questions") return questionsText(p);
  if (p.kind === "plan") return planText(p);
  const input = p.request.input;
  const diff = diffPreview(p.request.toolName, input);
  if (diff) return `⚠️ Permission needed: <b>${escapeHtml(p.request.toolName)}</b> ${diff}`;
  const what =
    typeof input.command === "string" ? input.command : typeof input.file_path === "string" ? input.file_path : "";
  const detail = what ? `\n<code>${escapeHtml(what.slice(0, PENDING_MAX))}</code>` : "";
  return `⚠️ Permission needed: <b>${escapeHtml(p.request.toolName)}</b>${detail}`;
}

/** A long plan as plan.md (sent next to the progress message); undefined when it fits there. */
export function planDocument(p: PendingApproval): DocumentInput | undefined {
  const plan = p.plan?.trim() ?? "";
  if (p.kind !== "plan" || plan.length <= PLAN_INLINE_MAX) return undefined;
  return { fileName: "plan.md", data: new TextEncoder().encode(`${plan}\n`) };
}

/** A link to a message, where Telegram has one (supergroups and channels: ids -100…). */
function messageLink(chatId: number, messageId: number | undefined): string | undefined {
  if (messageId === undefined) return undefined;
  const s = String(chatId);
  return s.startsWith("-100") && s.length > 4 ? `https://t.me/c/${s.slice(4)}/${messageId}` : undefined;
}

function waitingText(w: BlockingRun | "slot"): string {
  if (w === "slot") return "queued — waiting for a free engine slot (<code>max_concurrent_engine_runs</code>)";
  const label = `“${escapeHtml(w.label)}”`;
  const link = messageLink(w.chatId, w.messageId);
  return `queued behind the run of ${link === undefined ? label : `<a href="${link}">${label}</a>`}`;
}

class TelegramRunView implements RunView {
  readonly #state: ProgressState;
  readonly #info: RunInfo;
  readonly #settings: () => PresenterSettings;
  #status: RunStatus = "queued";

  constructor(info: RunInfo, settings: () => PresenterSettings) {
    this.#info = info;
    this.#settings = settings;
    this.#state = new ProgressState({
      engine: info.engine.id,
      startedAtMs: info.startedAt,
      trigger: info.source === "telegram" ? undefined : info.source,
    });
  }

  apply(event: EngineEvent): void {
    this.#state.apply(event, Date.now());
  }

  setStatus(status: RunStatus): void {
    this.#status = status;
    if (status === "cancelled") this.#state.cancel(Date.now());
    if (status === "interrupted") this.#state.interrupt(Date.now());
  }

  #resumeLine(): string | undefined {
    const resume = this.#state.resume;
    if (!resume?.value || !this.#settings().showResumeLine) return undefined;
    return this.#info.engine.resume.format(resume);
  }

  progressHtml(now: number, pending: readonly PendingApproval[], notes: ProgressNotes = {}): string {
    const s = this.#settings();
    const html = renderProgress(this.#state, {
      maxActions: s.maxActions,
      verbose: this.#info.verbose ?? s.verbose,
      now,
      resumeLine: this.#resumeLine(),
      footerContext: this.#info.context,
    });
    const queued =
      this.#status === "queued" && notes.waitingFor !== undefined ? `\n\n<i>${waitingText(notes.waitingFor)}</i>` : "";
    const silent =
      this.#status === "running" && notes.silentMs !== undefined
        ? `\n\n⏸ <i>no output for ${formatStall(notes.silentMs)}</i>`
        : "";
    const asks = pending.length ? `\n\n${pending.map(pendingText).join("\n\n")}` : "";
    return `${html}${queued}${silent}${asks}`;
  }

  approvalDocument(p: PendingApproval): DocumentInput | undefined {
    return planDocument(p);
  }

  finalAnswer(now: number): FinalAnswer {
    const st = this.#state;
    const header = renderHeader(st, now);
    const resume = this.#resumeLine();
    // What started the run (webhook:<id>, cron:<id>, at:<id>) and where it ran, on the last part.
    const tags = [this.#info.context, st.trigger].filter((t): t is string => !!t);
    const footer = [tags.length ? `🏷 ${escapeHtml(tags.join(" · "))}` : "", resume ? renderResumeLine(resume) : ""]
      .filter(Boolean)
      .join("\n");
    let body: string;
    if (this.#status === "cancelled") body = "_Cancelled._";
    else if (st.label === "error") {
      // An engine's error text quotes what it was given (headers, URLs, keys): redacted like a log line.
      const error = st.error !== undefined ? redactSecrets(st.error) : "the run failed";
      body = st.answer?.trim() ? `${st.answer}\n\n**Error:** ${error}` : `**Error:** ${error}`;
    } else body = st.answer?.trim() ? st.answer : "_(no answer text)_";
    const cost =
      this.#settings().showCost && st.usage?.costUsd !== undefined ? `💰 $${st.usage.costUsd.toFixed(4)}` : "";
    const fullFooter = [cost, footer].filter(Boolean).join("\n");
    if (this.#settings().messageOverflow === "trim" && body.length > TRIM_CHARS) {
      const cut = body.lastIndexOf("\n", TRIM_CHARS);
      body = `${body.slice(0, cut > TRIM_CHARS / 2 ? cut : TRIM_CHARS)}\n\n_…(answer trimmed; set message_overflow = "split" to get all of it)_`;
    }
    const split = { header, footer: fullFooter || undefined };
    const parts = splitForTelegram(body, split);
    if (this.#settings().messageOverflow === "trim" || parts.length <= this.#settings().maxAnswerParts)
      return { parts };
    // Many parts are unreadable on a phone: the first paragraph here, the whole answer as a file.
    const note = `_📎 The whole answer (${body.length.toLocaleString("en-US")} characters) is in answer.md._`;
    return {
      parts: splitForTelegram(`${answerHead(body)}\n\n${note}`, split),
      document: { fileName: "answer.md", data: new TextEncoder().encode(`${body}\n`) },
      fallbackParts: parts,
    };
  }
}

export function createRunViewFactory(settings: () => PresenterSettings): (info: RunInfo) => RunView {
  return (info) => new TelegramRunView(info, settings);
}
