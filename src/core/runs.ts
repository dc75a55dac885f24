// The run manager: a prompt becomes a queued job, the job runs an engine, its events drive one live
// progress message, and the answer arrives as the final message(s). Everything user-visible goes
// through the Transport (the outbox in production), everything textual through the RunView.
import type { CompletedEvent, EngineEvent, ResumeToken } from "../engines/events.ts";
import type {
  EngineDefinition,
  EngineJob,
  PermissionDecision,
  PermissionRequest,
  PromptImage,
} from "../engines/types.ts";
import { logger } from "../log/logger.ts";
import type { StateDb } from "../state/db.ts";
import { type AdmissionLimits, decideAdmission, type MemAvailableReader, procMemAvailableMb } from "./admission.ts";
import { ApprovalCenter, approvalButtons, type PendingApproval, type PressOutcome } from "./approvals.ts";
import { type Clock, systemClock } from "./clock.ts";
import { escapeHtml } from "./html.ts";
import { JobQueue, type QueuedJob } from "./jobs.ts";
import { formatStall, type LivenessSettings, RunLiveness, type StallNotice } from "./liveness.ts";
import { composePrompt } from "./preamble.ts";
import { type RunLogBounds, RunLogRecorder, storedPrompt } from "./run-log.ts";
import { isUnattended, type RunSource, sourceLabel } from "./run-source.ts";
import type { ButtonRows, ChatRef, DocumentInput, MessageRef, Transport } from "./transport.ts";

export type RunStatus = "queued" | "running" | "done" | "error" | "cancelled" | "interrupted";

export interface RunInfo {
  runId: number;
  engine: EngineDefinition;
  source: string;
  startedAt: number;
  /** Shown in the footer (project / branch). */
  context?: string;
  /** The chat's /verbose for this run; absent: the presenter's setting. */
  verbose?: boolean;
}

/** The run another one waits behind: how to name it (prompt head or trigger label) and its message. */
export interface BlockingRun {
  label: string;
  chatId: number;
  /** The message that started it (the user's prompt or the trigger notice), when there is one. */
  messageId?: number;
}

/** What the progress message says besides the run's own state. */
export interface ProgressNotes {
  /** A queued run: the run that goes first, or "slot" when only the engine-run cap holds it. */
  waitingFor?: BlockingRun | "slot";
  /** The engine has been silent this long, past `liveness_timeout` (ms). */
  silentMs?: number;
}

/** Turns a run's state into Telegram-ready HTML (implemented in telegram/, so core stays transport-neutral). */
export interface RunView {
  apply(event: EngineEvent): void;
  setStatus(status: RunStatus): void;
  progressHtml(now: number, pending: readonly PendingApproval[], notes?: ProgressNotes): string;
  finalAnswer(now: number): FinalAnswer;
  /** A pending request's long text as a file (a plan as plan.md), sent as a reply to the progress message. */
  approvalDocument?(p: PendingApproval): DocumentInput | undefined;
}

/** The answer as messages, and the whole of it as a file when it is too long to read as messages. */
export interface FinalAnswer {
  parts: string[];
  document?: DocumentInput;
  /** The answer as messages, sent if the document cannot be. */
  fallbackParts?: string[];
}

export interface LaunchedRun {
  readonly pid: number | undefined;
  cancel(reason: "cancelled" | "interrupted"): void;
  /** Resolves after the engine exited and its (single) completed event was delivered. */
  readonly done: Promise<void>;
}

export interface EngineLauncher {
  launch(
    def: EngineDefinition,
    job: EngineJob,
    hooks: { onEvent(e: EngineEvent): void; ask(req: PermissionRequest): Promise<PermissionDecision> },
  ): LaunchedRun;
}

export interface RunRequest {
  chat: ChatRef;
  /** The user's message (or trigger notice) the progress and answer reply to. */
  replyTo?: number;
  prompt: string;
  engineId: string;
  /** A known session to continue (or `isContinue`: the engine's newest in cwd). */
  resume?: ResumeToken;
  /**
   * A run still working (or queued) that this one continues: it waits for that run to end, then
   * resumes the session that run reported — one session, one process.
   */
  follows?: number;
  cwd: string;
  project?: string;
  branch?: string;
  source: RunSource;
  /** Who asked for it (chat messages and /at): their runs end when they lose access. */
  userId?: number;
  /** Chat-mode session key: the session is read here when the run starts and stored when it ends. */
  sessionScope?: string;
  model?: string;
  /** The chat's /reasoning level (engines/types.ts EngineJob.reasoning). */
  reasoning?: string;
  permissionMode?: string;
  /** The chat's /verbose: progress shows each action's output; absent: `[progress] verbosity`. */
  verbose?: boolean;
  /** Images for the engine with the prompt (EngineJob.images). */
  images?: readonly PromptImage[];
}

/** The footer tag of a run: "project @branch". */
export function contextLabel(req: Pick<RunRequest, "project" | "branch">): string | undefined {
  if (req.project === undefined) return req.branch === undefined ? undefined : `@${req.branch}`;
  return req.branch === undefined ? req.project : `${req.project} @${req.branch}`;
}

export interface RunResult {
  status: RunStatus;
  completed?: CompletedEvent;
}

/** Cost limits (the `[cost_budget]`, see cost-budget.ts): may refuse a run, may warn after one. */
export interface RunBudget {
  refusal(): string | undefined;
  afterRun(costUsd: number | undefined): string[];
}

export type SubmitResult =
  | { accepted: true; runId: number; progress: MessageRef; finished: Promise<RunResult> }
  /** Refused before it started (the budget); the user was told in `notice`. */
  | { accepted: false; notice: MessageRef };

export interface RunManagerOptions {
  transport: Transport;
  engines: ReadonlyMap<string, EngineDefinition>;
  launcher: EngineLauncher;
  createView(info: RunInfo): RunView;
  db: StateDb;
  maxConcurrent: number;
  /** The RAM guard's thresholds (`[watchdog]`); without them only the cap applies. */
  admission?: () => Omit<AdmissionLimits, "maxConcurrent">;
  /** Free memory in MiB (tests fake it); /proc/meminfo by default. */
  memAvailableMb?: MemAvailableReader;
  approvalTimeoutMs: number;
  /** Called after a run ended and its answer was sent (outbox delivery of agent files, …). */
  afterRun?(req: RunRequest, result: RunResult): Promise<void>;
  /** Text put before the prompt for this engine (`[preamble]`), or undefined for none. */
  preamble?(engineId: string): string | undefined;
  budget?: RunBudget;
  /** Time and timers (tests step a manual clock). */
  clock?: Clock;
  /** How often the progress view is re-rendered at most (the outbox throttles edits further). */
  renderEveryMs?: number;
  /** Heartbeat and stall watchdog; without it a run is re-rendered only on its events. */
  liveness?(): LivenessOptions;
  /** Bounds of the run log kept for /export (`[history]`); without it no log is stored. */
  history?(): RunLogBounds;
}

/** Runs by state, for /health. */
export interface RunCounts {
  running: number;
  queued: number;
  /** Engine processes alive now, by engine id. */
  processes: Record<string, number>;
}

export const CANCEL_DATA = "run:cancel";

/** Heartbeat, typing and the stall watchdog, re-read on every tick (a reloaded config applies). */
export interface LivenessOptions extends LivenessSettings {
  /** Re-render a working run's progress message at least this often, ms. */
  heartbeatMs: number;
  /** Cancel a stalled run instead of sending the stall notice. */
  autoKill: boolean;
}

/** How often a working run checks its heartbeat, typing and watchdog. */
const TICK_MS = 1000;
/** Telegram shows "typing…" for about 5 s: renewed this often per chat (topic), whatever the number of runs. */
export const TYPING_EVERY_MS = 4500;
const PROMPT_HEAD_MAX = 40;

interface ActiveRun {
  id: number;
  req: RunRequest;
  view: RunView;
  progress: MessageRef;
  /** Set right after the run is queued. */
  job?: QueuedJob;
  launched?: LaunchedRun;
  status: RunStatus;
  renderTimer?: unknown;
  /** The heartbeat / typing / watchdog timer of a working run. */
  tickTimer?: unknown;
  lastRenderAt: number;
  liveness?: RunLiveness;
  /** Stall notices sent for this run: their Cancel button cancels it too. */
  notices: Set<number>;
  /** Its log for /export (prompt, actions, answer), written to the state database at the end. */
  log?: RunLogRecorder;
  /** Documents sent for a pending request (plan.md), by message id → approval id: a reply to one answers it. */
  approvalDocs?: Map<number, string>;
  finished: Promise<RunResult>;
  settle(r: RunResult): void;
}

export class RunManager {
  readonly #o: RunManagerOptions;
  readonly #queue: JobQueue;
  readonly #approvals: ApprovalCenter;
  readonly #runs = new Map<number, ActiveRun>();
  readonly #clock: Clock;
  /** When "typing…" last went to a chat (topic), by `chat:thread`. */
  readonly #typingAt = new Map<string, number>();
  #accepting = true;
  /** Runs admitted to start now whose job is not enqueued yet (their progress message is on its way). */
  #admitting = 0;

  constructor(o: RunManagerOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#queue = new JobQueue(o.maxConcurrent);
    this.#approvals = new ApprovalCenter({
      timeoutMs: o.approvalTimeoutMs,
      clock: this.#clock,
      hooks: {
        onChange: (runId) => this.#scheduleRender(runId, true),
        onTimeout: (p) => void this.#noticeTimeout(p),
        onAsked: (p) => void this.#sendApprovalDocument(p),
        onAnswered: (p, answers) => this.#echoAnswers(p, answers),
      },
    });
  }

  /** True while the run is queued or running. */
  isActive(runId: number): boolean {
    return this.#runs.has(runId);
  }

  get activeCount(): number {
    return this.#runs.size;
  }

  counts(): RunCounts {
    const out: RunCounts = { running: 0, queued: 0, processes: {} };
    for (const r of this.#runs.values()) {
      if (r.status === "queued") out.queued++;
      else out.running++;
      if (r.launched?.pid !== undefined && r.status !== "queued")
        out.processes[r.req.engineId] = (out.processes[r.req.engineId] ?? 0) + 1;
    }
    return out;
  }

  /** Starts (or queues) a run. Resolves once the progress message exists; `finished` resolves at the end. */
  async submit(req: RunRequest): Promise<SubmitResult> {
    if (!this.#accepting) throw new Error("untether is shutting down");
    const engine = this.#o.engines.get(req.engineId);
    if (!engine) throw new Error(`unknown engine: ${req.engineId}`);
    const source = sourceLabel(req.source);
    const refusal = this.#o.budget?.refusal();
    if (refusal !== undefined) {
      logger().warn({ chat_id: req.chat.chatId, source }, "run.refused_by_budget");
      return { accepted: false, notice: await this.#o.transport.send(req.chat, refusal, { replyTo: req.replyTo }) };
    }
    const knownSession = req.resume && !req.resume.isContinue && req.resume.value ? req.resume.value : undefined;
    // One session, one process: a run waits for any run holding its conversation, its session, or
    // the run it continues; the session a run reports later is added to its keys when it arrives.
    const keys: string[] = [];
    if (req.follows !== undefined) keys.push(`run:${req.follows}`);
    if (req.sessionScope !== undefined) keys.push(`scope:${req.sessionScope}:${engine.id}`);
    if (knownSession !== undefined) keys.push(sessionKey(engine.id, knownSession));
    const inFlight = this.#queue.running + this.#admitting;
    const admission = decideAdmission(
      {
        maxConcurrent: this.#o.maxConcurrent,
        ...(this.#o.admission?.() ?? { ramWarnMb: 0, ramBlockMb: 0, ramReserveMb: 0 }),
      },
      inFlight,
      this.#queue.wouldWait(keys),
      (this.#o.memAvailableMb ?? procMemAvailableMb)(),
    );
    if (admission.kind === "refuse") {
      logger().warn(
        { chat_id: req.chat.chatId, source, reason: admission.reason, in_flight: inFlight },
        "run.refused_by_admission",
      );
      return {
        accepted: false,
        notice: await this.#o.transport.send(req.chat, admission.notice, { replyTo: req.replyTo }),
      };
    }
    this.#admitting++;
    try {
      return await this.#admit(req, engine, source, knownSession, keys, admission.warning);
    } finally {
      this.#admitting--;
    }
  }

  async #admit(
    req: RunRequest,
    engine: EngineDefinition,
    source: string,
    knownSession: string | undefined,
    convKeys: readonly string[],
    warning: string | undefined,
  ): Promise<SubmitResult> {
    if (warning !== undefined) {
      logger().warn({ chat_id: req.chat.chatId, source }, "run.low_memory");
      await this.#o.transport.send(req.chat, warning, { replyTo: req.replyTo, silent: true });
    }
    const startedAt = this.#clock.now();
    const runId = this.#o.db.startRun({
      chatId: req.chat.chatId,
      engine: engine.id,
      source,
      threadId: req.chat.threadId,
      project: req.project,
      branch: req.branch,
      cwd: req.cwd,
      session: knownSession,
      startedAt,
    });
    const log = this.#beginLog(runId, startedAt, req.prompt);
    const view = this.#o.createView({
      runId,
      engine,
      source,
      startedAt,
      context: contextLabel(req),
      ...(req.verbose === undefined ? {} : { verbose: req.verbose }),
    });
    view.setStatus("queued");
    const keys = [`run:${runId}`, ...convKeys];
    // The first render goes out at once, as a reply, with the cancel button: "starting", or queued
    // behind the run that really goes first.
    const firstNotes = { waitingFor: this.#waitingFor(this.#queue.blocker(keys)) };
    const progress = await this.#o.transport.send(req.chat, view.progressHtml(startedAt, [], firstNotes), {
      replyTo: req.replyTo,
      buttons: this.#buttons(runId),
      silent: true,
    });
    this.#o.db.setRunProgressMessage(runId, progress.messageId);
    this.#o.db.recordRunMessage(runId, progress.chatId, progress.messageId);

    let resolveFinished!: (r: RunResult) => void;
    const finished = new Promise<RunResult>((r) => (resolveFinished = r));
    const run: ActiveRun = {
      id: runId,
      req,
      view,
      progress,
      status: "queued",
      lastRenderAt: startedAt,
      notices: new Set(),
      finished,
      settle: resolveFinished,
      ...(log === undefined ? {} : { log }),
    };
    this.#runs.set(runId, run);
    run.job = this.#queue.enqueue(keys, async () => {
      const result = await this.#execute(run, engine);
      resolveFinished(result);
    });
    return { accepted: true, runId, progress, finished };
  }

  /** Cancels the run whose progress message this is. Returns what happened, for the user. */
  cancelByMessage(chatId: number, messageId: number): "cancelling" | "dropped" | "none" {
    for (const run of this.#runs.values()) {
      if (run.progress.chatId === chatId && (run.progress.messageId === messageId || run.notices.has(messageId)))
        return this.#cancel(run, "cancelled");
    }
    return "none";
  }

  /** Runs (running or queued) in a chat, newest last. */
  runsInChat(chatId: number): Array<{ runId: number; progress: MessageRef; status: RunStatus }> {
    return [...this.#runs.values()]
      .filter((r) => r.req.chat.chatId === chatId)
      .map((r) => ({ runId: r.id, progress: r.progress, status: r.status }));
  }

  /**
   * A press on an approval button: answered only when the press came from the message the request
   * is shown on (the run's progress message in its chat). Undefined when stale, unknown or elsewhere.
   */
  answerApproval(
    id: string,
    choice: string,
    pressedOn: { chatId: number; messageId: number },
  ): { pending: PendingApproval; outcome: PressOutcome } | undefined {
    const pending = this.#approvals.get(id);
    const run = pending === undefined ? undefined : this.#runs.get(pending.runId);
    if (pending === undefined || run === undefined) return undefined;
    if (run.progress.chatId !== pressedOn.chatId || run.progress.messageId !== pressedOn.messageId) {
      logger().warn({ run_id: run.id, chat_id: pressedOn.chatId }, "approval.wrong_message");
      return undefined;
    }
    const outcome = this.#approvals.answer(id, choice);
    return outcome === undefined ? undefined : { pending, outcome };
  }

  /**
   * A reply to a run's progress message (or its plan.md) while a request of that run waits for typed
   * text (a question's "Other…", a plan's "Let's discuss"): the text answers it. Undefined when no
   * request waits there; the reply then keeps its ordinary meaning.
   */
  answerByReply(chatId: number, repliedTo: number, text: string): PendingApproval | undefined {
    for (const run of this.#runs.values()) {
      if (run.req.chat.chatId !== chatId) continue;
      const onDoc = run.approvalDocs?.get(repliedTo);
      if (run.progress.messageId !== repliedTo && onDoc === undefined) continue;
      const waiting = this.#approvals.awaitingText(run.id);
      if (waiting === undefined || (onDoc !== undefined && onDoc !== waiting.id)) return undefined;
      return this.#approvals.answerText(waiting.id, text) ? waiting : undefined;
    }
    return undefined;
  }

  /** Cancels every queued or running run asked for by a user who may no longer use the bot; how many, by chat. */
  revokeUsers(isAllowed: (userId: number) => boolean): Map<number, number> {
    const byChat = new Map<number, number>();
    for (const run of [...this.#runs.values()]) {
      if (run.req.userId === undefined || isAllowed(run.req.userId) || this.#cancel(run, "cancelled") === "none")
        continue;
      byChat.set(run.req.chat.chatId, (byChat.get(run.req.chat.chatId) ?? 0) + 1);
    }
    return byChat;
  }

  cancelRun(runId: number): "cancelling" | "dropped" | "none" {
    const run = this.#runs.get(runId);
    return run ? this.#cancel(run, "cancelled") : "none";
  }

  /** Stops accepting runs, lets running ones finish for graceMs, then interrupts the rest. */
  async shutdown(graceMs: number): Promise<void> {
    this.#accepting = false;
    for (const run of this.#runs.values()) if (run.status === "queued") this.#cancel(run, "interrupted");
    const idle = this.#queue.idle();
    const timedOut = await Promise.race([idle.then(() => false), this.#clock.sleep(graceMs).then(() => true)]);
    if (timedOut) {
      for (const run of this.#runs.values()) this.#cancel(run, "interrupted");
      await this.#queue.idle();
    }
  }

  #cancel(run: ActiveRun, reason: "cancelled" | "interrupted"): "cancelling" | "dropped" | "none" {
    if (run.status === "queued" && run.job?.drop()) {
      run.status = reason;
      run.view.setStatus(reason);
      this.#runs.delete(run.id);
      this.#o.db.finishRun(run.id, reason);
      this.#endLog(run, `${reason} before it started`);
      void this.#o.transport.edit(run.progress, run.view.progressHtml(this.#clock.now(), []), []);
      run.settle({ status: reason });
      this.#renderQueued();
      return "dropped";
    }
    if (run.status !== "running" || !run.launched) return "none";
    run.status = reason;
    run.view.setStatus(reason);
    this.#approvals.cancelRun(run.id);
    run.launched.cancel(reason);
    return "cancelling";
  }

  async #execute(run: ActiveRun, engine: EngineDefinition): Promise<RunResult> {
    if (run.status !== "queued") return { status: run.status };
    run.status = "running";
    run.view.setStatus("running");
    this.#scheduleRender(run.id, true);
    this.#startTicking(run);
    let completed: CompletedEvent | undefined;
    const job: EngineJob = {
      prompt: composePrompt(this.#o.preamble?.(engine.id), run.req.prompt),
      cwd: run.req.cwd,
      resume: this.#resumeAtStart(run.req, engine),
      model: run.req.model,
      ...(run.req.reasoning === undefined ? {} : { reasoning: run.req.reasoning }),
      permissionMode: run.req.permissionMode,
      ...(run.req.images === undefined ? {} : { images: run.req.images }),
    };
    try {
      run.launched = this.#o.launcher.launch(engine, job, {
        onEvent: (e) => {
          if (e.type === "completed") completed = e;
          run.log?.apply(e);
          run.liveness?.observe(e, this.#clock.now());
          if (e.type === "started" && e.resume.value && !e.resume.isContinue)
            this.#sessionKnown(run, e.resume.engine, e.resume.value);
          run.view.apply(e);
          this.#scheduleRender(run.id, false);
        },
        ask: (req) => this.#approvals.ask(run.id, req),
      });
      await run.launched.done;
    } catch (e) {
      logger().error({ run_id: run.id, error: (e as Error).message }, "run.launch_failed");
      completed = {
        type: "completed",
        engine: engine.id,
        ok: false,
        answer: "",
        error: `could not start ${engine.displayName}: ${(e as Error).message}`,
      };
      run.view.apply(completed);
      run.log?.apply(completed);
    }
    this.#approvals.cancelRun(run.id);
    if (run.renderTimer !== undefined) this.#clock.clearTimeout(run.renderTimer);
    if (run.tickTimer !== undefined) this.#clock.clearTimeout(run.tickTimer);
    run.tickTimer = undefined;
    // #cancel may have changed the status while we awaited.
    const current = run.status as RunStatus;
    const cancelledAs = current === "cancelled" || current === "interrupted" ? current : undefined;
    const status: RunStatus = cancelledAs ?? (completed?.ok ? "done" : "error");
    run.status = status;
    run.view.setStatus(status);
    const resume = completed?.resume;
    const costUsd = completed?.usage?.costUsd;
    // Stored before the answer goes out: whatever the user does on seeing it (/export, /stats) finds the run over.
    this.#o.db.finishRun(run.id, status, { resumeToken: resume?.value, costUsd, finishedAt: this.#clock.now() });
    this.#endLog(run, status === "cancelled" || status === "interrupted" ? status : undefined);
    await this.#deliverFinal(run, status);
    if (resume && run.req.sessionScope && status === "done") {
      this.#o.db.setSession(run.req.sessionScope, resume.engine, resume.value);
    }
    this.#runs.delete(run.id);
    this.#renderQueued();
    // After finishRun: the budget's daily total includes this run.
    for (const warning of this.#o.budget?.afterRun(costUsd) ?? []) {
      await this.#o.transport.send(run.req.chat, warning, { replyTo: run.req.replyTo }).catch((e: unknown) => {
        logger().warn({ run_id: run.id, error: (e as Error).message }, "run.budget_warning_failed");
      });
    }
    const result: RunResult = { status, completed };
    try {
      await this.#o.afterRun?.(run.req, result);
    } catch (e) {
      logger().error({ run_id: run.id, error: (e as Error).message }, "run.after_run_failed");
    }
    logger().info({ run_id: run.id, engine: engine.id, status, source: sourceLabel(run.req.source) }, "run.finished");
    return result;
  }

  async #deliverFinal(run: ActiveRun, status: RunStatus): Promise<void> {
    const now = this.#clock.now();
    if (status === "interrupted") {
      // Shutdown: keep the progress message, marked interrupted, without buttons.
      await this.#o.transport.edit(run.progress, run.view.progressHtml(now, []), []);
      return;
    }
    const final = run.view.finalAnswer(now);
    for (const html of final.parts) {
      const sent = await this.#o.transport.send(run.req.chat, html, { replyTo: run.req.replyTo });
      this.#o.db.recordRunMessage(run.id, sent.chatId, sent.messageId);
    }
    if (final.document) {
      try {
        // A reply to the file continues the run like a reply to its message.
        const sent = await this.#o.transport.sendDocument(run.req.chat, final.document, { replyTo: run.req.replyTo });
        this.#o.db.recordRunMessage(run.id, sent.chatId, sent.messageId);
      } catch (e) {
        // Nothing lost: without the file, the answer comes as messages after all.
        logger().warn({ run_id: run.id, error: (e as Error).message }, "run.answer_document_failed");
        for (const html of final.fallbackParts ?? []) {
          const sent = await this.#o.transport.send(run.req.chat, html, { replyTo: run.req.replyTo });
          this.#o.db.recordRunMessage(run.id, sent.chatId, sent.messageId);
        }
      }
    }
    await this.#o.transport.delete(run.progress);
  }

  #beginLog(runId: number, startedAt: number, prompt: string): RunLogRecorder | undefined {
    const bounds = this.#o.history?.();
    if (bounds === undefined) return undefined;
    try {
      const stored = storedPrompt(prompt, bounds);
      this.#o.db.history.begin(runId, startedAt, stored);
      return new RunLogRecorder(bounds, stored);
    } catch (e) {
      logger().warn({ run_id: runId, error: (e as Error).message }, "run.log_failed");
      return undefined;
    }
  }

  /** Writes the run's log; `ended` says how a run without its own error ended (cancelled, …). */
  #endLog(run: ActiveRun, ended: string | undefined): void {
    if (run.log === undefined) return;
    if (ended !== undefined) run.log.fail(ended);
    try {
      this.#o.db.history.finish(run.id, run.log.end());
    } catch (e) {
      logger().warn({ run_id: run.id, error: (e as Error).message }, "run.log_failed");
    }
  }

  /**
   * The session this run continues, decided when it starts (not when it was queued): the run it
   * follows may have reported its session meanwhile, and a chat-mode conversation its newest one.
   */
  #resumeAtStart(req: RunRequest, engine: EngineDefinition): ResumeToken | undefined {
    if (req.resume) return req.resume;
    if (req.follows !== undefined) {
      const prev = this.#o.db.runContext(req.follows);
      if (prev?.session && prev.engine === engine.id) return { engine: engine.id, value: prev.session };
    }
    if (req.sessionScope !== undefined) {
      const stored = this.#o.db.getSession(req.sessionScope, engine.id);
      if (stored) return { engine: engine.id, value: stored };
    }
    return undefined;
  }

  #sessionKnown(run: ActiveRun, engineId: string, session: string): void {
    this.#o.db.setRunSession(run.id, session);
    run.job?.addKey(sessionKey(engineId, session));
  }

  #buttons(runId: number): ButtonRows {
    return [...approvalButtons(this.#approvals.pendingFor(runId)), [{ text: "✖ Cancel", data: CANCEL_DATA }]];
  }

  #scheduleRender(runId: number, immediate: boolean): void {
    const run = this.#runs.get(runId);
    if (!run || (run.status !== "running" && run.status !== "queued")) return;
    const render = () => {
      run.renderTimer = undefined;
      if (run.status !== "running" && run.status !== "queued") return;
      const pending = this.#approvals.pendingFor(runId);
      const now = this.#clock.now();
      run.lastRenderAt = now;
      void this.#o.transport.edit(
        run.progress,
        run.view.progressHtml(now, pending, this.#notes(run, now)),
        this.#buttons(runId),
      );
    };
    if (immediate) {
      if (run.renderTimer !== undefined) this.#clock.clearTimeout(run.renderTimer);
      render();
      return;
    }
    run.renderTimer ??= this.#clock.setTimeout(render, this.#o.renderEveryMs ?? 250);
  }

  /** The notes of a run's next render: what a queued run waits for, how long a working one has been silent. */
  #notes(run: ActiveRun, now: number): ProgressNotes {
    if (run.status === "queued")
      return { waitingFor: run.job === undefined ? undefined : this.#waitingFor(this.#queue.blockerOf(run.job.id)) };
    const settings = this.#o.liveness?.();
    const silentMs = run.liveness?.silentMs(now);
    if (settings === undefined || silentMs === undefined || silentMs < settings.livenessMs) return {};
    return { silentMs };
  }

  #waitingFor(blocker: ReadonlySet<string> | "cap" | undefined): BlockingRun | "slot" | undefined {
    if (blocker === undefined) return undefined;
    if (blocker === "cap") return "slot";
    // A job's first key is its own run.
    const first = blocker.values().next();
    const id = first.done ? Number.NaN : Number(first.value.replace(/^run:/, ""));
    const other = this.#runs.get(id);
    if (other === undefined) return undefined;
    const label = isUnattended(other.req.source) ? sourceLabel(other.req.source) : promptHead(other.req.prompt);
    return { label, chatId: other.req.chat.chatId, messageId: other.req.replyTo };
  }

  /** A run ended or left the queue: the queued ones say what they wait for now. */
  #renderQueued(): void {
    for (const r of this.#runs.values())
      if (r.status === "queued" && r.job !== undefined) this.#scheduleRender(r.id, true);
  }

  #startTicking(run: ActiveRun): void {
    if (this.#o.liveness === undefined) return;
    run.liveness = new RunLiveness(this.#clock.now());
    this.#typing(run, this.#clock.now());
    const tick = () => {
      run.tickTimer = undefined;
      if (run.status !== "running") return;
      this.#tick(run);
      if (run.status === "running") run.tickTimer = this.#clock.setTimeout(tick, TICK_MS);
    };
    run.tickTimer = this.#clock.setTimeout(tick, TICK_MS);
  }

  #tick(run: ActiveRun): void {
    const settings = this.#o.liveness?.();
    if (settings === undefined || run.liveness === undefined) return;
    const now = this.#clock.now();
    // Waiting for a person's answer is no stall, and nobody is typing: the approval has its own timeout.
    if (this.#approvals.pendingFor(run.id).length > 0) {
      run.liveness.touch(now);
      if (now - run.lastRenderAt >= settings.heartbeatMs) this.#scheduleRender(run.id, true);
      return;
    }
    this.#typing(run, now);
    const due = run.liveness.due(now, settings);
    // The heartbeat: the elapsed time (and a silence line) moves even while the engine says nothing.
    // The outbox keeps it within the edit budget and never re-sends an unchanged text.
    if (due.length > 0 || now - run.lastRenderAt >= settings.heartbeatMs) this.#scheduleRender(run.id, true);
    for (const notice of due) {
      if (run.status !== "running") break;
      void this.#stallNotice(run, notice, settings);
    }
  }

  /** "typing…" while a run works, renewed at most every TYPING_EVERY_MS per chat (topic), not per run. */
  #typing(run: ActiveRun, now: number): void {
    const chatAction = this.#o.transport.chatAction;
    if (chatAction === undefined) return;
    const key = `${run.req.chat.chatId}:${run.req.chat.threadId ?? ""}`;
    const last = this.#typingAt.get(key);
    if (last !== undefined && now - last < TYPING_EVERY_MS) return;
    this.#typingAt.set(key, now);
    if (this.#typingAt.size > 1000) {
      const oldest = this.#typingAt.keys().next();
      if (!oldest.done) this.#typingAt.delete(oldest.value);
    }
    chatAction.call(this.#o.transport, run.req.chat).catch((e: unknown) => {
      logger().debug({ run_id: run.id, error: (e as Error).message }, "run.typing_failed");
    });
  }

  async #stallNotice(run: ActiveRun, notice: StallNotice, settings: LivenessOptions): Promise<void> {
    const what =
      notice.kind === "silence"
        ? `No output from ${escapeHtml(this.#o.engines.get(run.req.engineId)?.displayName ?? run.req.engineId)} for ${formatStall(notice.silentMs)}`
        : `The ${notice.mcp ? "MCP tool" : "tool"} <b>${escapeHtml(notice.tool)}</b> has been running for ${formatStall(notice.runningMs)} (${notice.mcp ? "mcp_tool_timeout" : "tool_timeout"} is ${formatStall(notice.limitMs)})`;
    logger().warn(
      {
        run_id: run.id,
        kind: notice.kind,
        auto_kill: settings.autoKill,
        ...(notice.kind === "tool" ? { tool: notice.tool } : {}),
      },
      "run.stalled",
    );
    const chat = run.req.chat;
    try {
      if (settings.autoKill) {
        this.#cancel(run, "cancelled");
        await this.#o.transport.send(chat, `⏹ ${what}: cancelled (<code>stall_auto_kill</code>).`, {
          replyTo: run.req.replyTo,
        });
        return;
      }
      const every = formatStall(settings.repeatMs);
      const sent = await this.#o.transport.send(
        chat,
        `⏸ ${what}. It may be stuck: cancel it, or let it work (reminder every ${every}).`,
        { replyTo: run.progress.messageId, buttons: [[{ text: "✖ Cancel", data: CANCEL_DATA }]] },
      );
      run.notices.add(sent.messageId);
    } catch (e) {
      logger().warn({ run_id: run.id, error: (e as Error).message }, "run.stall_notice_failed");
    }
  }

  async #sendApprovalDocument(p: PendingApproval): Promise<void> {
    const run = this.#runs.get(p.runId);
    const doc = run?.view.approvalDocument?.(p);
    if (run === undefined || doc === undefined) return;
    try {
      const sent = await this.#o.transport.sendDocument(run.req.chat, doc, { replyTo: run.progress.messageId });
      run.approvalDocs ??= new Map();
      run.approvalDocs.set(sent.messageId, p.id);
      this.#o.db.recordRunMessage(run.id, sent.chatId, sent.messageId);
    } catch (e) {
      logger().warn({ run_id: run.id, error: (e as Error).message }, "run.approval_document_failed");
    }
  }

  /** The answers to Claude's questions stay in the progress message once the buttons are gone. */
  #echoAnswers(p: PendingApproval, answers: Record<string, string>): void {
    const run = this.#runs.get(p.runId);
    if (run === undefined) return;
    const text = p.questions
      .map((q) => `${q.header ?? q.question}: ${answers[q.question] ?? ""}`)
      .join(" · ")
      .slice(0, 400);
    run.view.apply({
      type: "action",
      engine: run.req.engineId,
      action: { id: `answers:${p.id}`, kind: "note", title: `💬 ${text}`, detail: {} },
      phase: "completed",
      ok: true,
    });
  }

  async #noticeTimeout(p: PendingApproval): Promise<void> {
    const run = this.#runs.get(p.runId);
    if (!run) return;
    await this.#o.transport.send(
      run.req.chat,
      `⏱ Nobody answered the permission request for <b>${escapeHtml(p.request.toolName)}</b> in time, so it was denied.`,
      { replyTo: run.progress.messageId },
    );
  }
}

function promptHead(prompt: string): string {
  const line = prompt.trim().split("\n", 1)[0] ?? "";
  return line.length > PROMPT_HEAD_MAX ? `${line.slice(0, PROMPT_HEAD_MAX - 1)}…` : line;
}

function sessionKey(engineId: string, session: string): string {
  return `session:${engineId}:${session}`;
}
