// The Telegram face of a run: a ProgressState rendered as the live progress message and, at the end,
// as the final answer split to Telegram's limit (footer and resume line on the last part only).
import type { PendingApproval } from "../core/approvals.ts";
import { formatStall } from "../core/liveness.ts";
import { ProgressState } from "../core/progress.ts";
import type { BlockingRun, ProgressNotes, RunInfo, RunStatus, RunView } from "../core/runs.ts";
import type { EngineEvent } from "../engines/events.ts";
import { redactSecrets } from "../log/redact.ts";
import { escapeHtml, renderHeader, renderProgress, renderResumeLine, splitForTelegram } from "./render.ts";

export interface PresenterSettings {
  maxActions: number;
  verbose: boolean;
  showResumeLine: boolean;
  /** "split": long answers become several messages; "trim": one message, the answer cut short. */
  messageOverflow: "split" | "trim";
  /** `[footer] show_api_cost`: the run's cost, when the engine reports one. */
  showCost: boolean;
}

/** Room for a trimmed answer: under Telegram's 4096 with the header and footer around it. */
const TRIM_CHARS = 3000;

const PENDING_MAX = 400;

function pendingText(p: PendingApproval): string {
  if (p.question) return `❓ <b>${escapeHtml(p.question.slice(0, PENDING_MAX))}</b>`;
  const input = p.request.input;
  const what =
    typeof input.command === "string"
      ? input.command
      : typeof input.file_path === "string"
        ? input.file_path
        : typeof input.plan === "string"
          ? input.plan
          : "";
  const detail = what ? `\n<code>${escapeHtml(what.slice(0, PENDING_MAX))}</code>` : "";
  return `⚠️ Permission needed: <b>${escapeHtml(p.request.toolName)}</b>${detail}`;
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

  finalParts(now: number): string[] {
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
    return splitForTelegram(body, { header, footer: fullFooter || undefined });
  }
}

export function createRunViewFactory(settings: () => PresenterSettings): (info: RunInfo) => RunView {
  return (info) => new TelegramRunView(info, settings);
}
