// The run manager: a prompt becomes a queued job, the job runs an engine, its events drive one live
// progress message, and the answer arrives as the final message(s). Everything user-visible goes
// through the Transport (the outbox in production), everything textual through the RunView.
import type { CompletedEvent, EngineEvent, ResumeToken } from "../engines/events.ts";
import type { EngineDefinition, EngineJob, PermissionDecision, PermissionRequest } from "../engines/types.ts";
import { logger } from "../log/logger.ts";
import type { StateDb } from "../state/db.ts";
import { ApprovalCenter, approvalButtons, type PendingApproval } from "./approvals.ts";
import { JobQueue, type QueuedJob } from "./jobs.ts";
import { composePrompt } from "./preamble.ts";
import type { ButtonRows, ChatRef, MessageRef, Transport } from "./transport.ts";

export type RunStatus = "queued" | "running" | "done" | "error" | "cancelled" | "interrupted";

export interface RunInfo {
  runId: number;
  engine: EngineDefinition;
  source: string;
  startedAt: number;
  /** Shown in the footer (project / branch). */
  context?: string;
}

/** Turns a run's state into Telegram-ready HTML (implemented in telegram/, so core stays transport-neutral). */
export interface RunView {
  apply(event: EngineEvent): void;
  setStatus(status: RunStatus): void;
  progressHtml(now: number, pending: readonly PendingApproval[]): string;
  finalParts(now: number): string[];
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
  resume?: ResumeToken;
  cwd: string;
  /** "telegram", "webhook:<id>", "cron:<id>", "at:<id>". */
  source: string;
  /** Chat-mode session key: the resume token is stored here when the run ends. */
  sessionScope?: string;
  context?: string;
  model?: string;
  permissionMode?: string;
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
  approvalTimeoutMs: number;
  /** Called after a run ended and its answer was sent (outbox delivery of agent files, …). */
  afterRun?(req: RunRequest, result: RunResult): Promise<void>;
  /** Text put before the prompt for this engine (`[preamble]`), or undefined for none. */
  preamble?(engineId: string): string | undefined;
  budget?: RunBudget;
  now?: () => number;
  /** How often the progress view is re-rendered at most (the outbox throttles edits further). */
  renderEveryMs?: number;
}

export const CANCEL_DATA = "run:cancel";

interface ActiveRun {
  id: number;
  req: RunRequest;
  view: RunView;
  progress: MessageRef;
  /** Set right after the run is queued. */
  job?: QueuedJob;
  launched?: LaunchedRun;
  status: RunStatus;
  renderTimer?: ReturnType<typeof setTimeout>;
  finished: Promise<RunResult>;
}

export class RunManager {
  readonly #o: RunManagerOptions;
  readonly #queue: JobQueue;
  readonly #approvals: ApprovalCenter;
  readonly #runs = new Map<number, ActiveRun>();
  readonly #now: () => number;
  #accepting = true;

  constructor(o: RunManagerOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#queue = new JobQueue(o.maxConcurrent);
    this.#approvals = new ApprovalCenter({
      timeoutMs: o.approvalTimeoutMs,
      now: this.#now,
      hooks: {
        onChange: (runId) => this.#scheduleRender(runId, true),
        onTimeout: (p) => void this.#noticeTimeout(p),
      },
    });
  }

  get approvals(): ApprovalCenter {
    return this.#approvals;
  }

  get activeCount(): number {
    return this.#runs.size;
  }

  /** Starts (or queues) a run. Resolves once the progress message exists; `finished` resolves at the end. */
  async submit(req: RunRequest): Promise<SubmitResult> {
    if (!this.#accepting) throw new Error("untether is shutting down");
    const engine = this.#o.engines.get(req.engineId);
    if (!engine) throw new Error(`unknown engine: ${req.engineId}`);
    const refusal = this.#o.budget?.refusal();
    if (refusal !== undefined) {
      logger().warn({ chat_id: req.chat.chatId, source: req.source }, "run.refused_by_budget");
      return { accepted: false, notice: await this.#o.transport.send(req.chat, refusal, { replyTo: req.replyTo }) };
    }
    const startedAt = this.#now();
    const runId = this.#o.db.startRun({ chatId: req.chat.chatId, engine: engine.id, source: req.source });
    const view = this.#o.createView({ runId, engine, source: req.source, startedAt, context: req.context });
    view.setStatus("queued");
    // The first render goes out at once, as a reply, with the cancel button.
    const progress = await this.#o.transport.send(req.chat, view.progressHtml(startedAt, []), {
      replyTo: req.replyTo,
      buttons: this.#buttons(runId),
      silent: true,
    });
    this.#o.db.setRunProgressMessage(runId, progress.messageId);

    let resolveFinished!: (r: RunResult) => void;
    const finished = new Promise<RunResult>((r) => (resolveFinished = r));
    const threadKey = req.resume && !req.resume.isContinue ? `${req.resume.engine}:${req.resume.value}` : req.sessionScope ? `${req.sessionScope}:${engine.id}` : `run:${runId}`;
    const run: ActiveRun = {
      id: runId,
      req,
      view,
      progress,
      status: "queued",
      finished,
    };
    this.#runs.set(runId, run);
    run.job = this.#queue.enqueue(threadKey, async () => {
      const result = await this.#execute(run, engine);
      resolveFinished(result);
    });
    return { accepted: true, runId, progress, finished };
  }

  /** Cancels the run whose progress message this is. Returns what happened, for the user. */
  cancelByMessage(chatId: number, messageId: number): "cancelling" | "dropped" | "none" {
    for (const run of this.#runs.values()) {
      if (run.progress.chatId === chatId && run.progress.messageId === messageId) return this.#cancel(run, "cancelled");
    }
    return "none";
  }

  /** Runs (running or queued) in a chat, newest last. */
  runsInChat(chatId: number): Array<{ runId: number; progress: MessageRef; status: RunStatus }> {
    return [...this.#runs.values()]
      .filter((r) => r.req.chat.chatId === chatId)
      .map((r) => ({ runId: r.id, progress: r.progress, status: r.status }));
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
    const timedOut = await Promise.race([idle.then(() => false), Bun.sleep(graceMs).then(() => true)]);
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
      void this.#o.transport.edit(run.progress, run.view.progressHtml(this.#now(), []), []);
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
    let completed: CompletedEvent | undefined;
    const job: EngineJob = {
      prompt: composePrompt(this.#o.preamble?.(engine.id), run.req.prompt),
      cwd: run.req.cwd,
      resume: run.req.resume,
      model: run.req.model,
      permissionMode: run.req.permissionMode,
    };
    try {
      run.launched = this.#o.launcher.launch(engine, job, {
        onEvent: (e) => {
          if (e.type === "completed") completed = e;
          run.view.apply(e);
          this.#scheduleRender(run.id, false);
        },
        ask: (req) => this.#approvals.ask(run.id, req),
      });
      await run.launched.done;
    } catch (e) {
      logger().error({ run_id: run.id, error: (e as Error).message }, "run.launch_failed");
      completed = { type: "completed", engine: engine.id, ok: false, answer: "", error: `could not start ${engine.displayName}: ${(e as Error).message}` };
      run.view.apply(completed);
    }
    this.#approvals.cancelRun(run.id);
    if (run.renderTimer) clearTimeout(run.renderTimer);
    // #cancel may have changed the status while we awaited.
    const current = run.status as RunStatus;
    const cancelledAs = current === "cancelled" || current === "interrupted" ? current : undefined;
    const status: RunStatus = cancelledAs ?? (completed?.ok ? "done" : "error");
    run.status = status;
    run.view.setStatus(status);
    await this.#deliverFinal(run, status);
    const resume = completed?.resume;
    if (resume && run.req.sessionScope && status === "done") {
      this.#o.db.setSession(run.req.sessionScope, resume.engine, resume.value);
    }
    const costUsd = completed?.usage?.costUsd;
    this.#o.db.finishRun(run.id, status, { resumeToken: resume?.value, costUsd, finishedAt: this.#now() });
    this.#runs.delete(run.id);
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
    logger().info({ run_id: run.id, engine: engine.id, status, source: run.req.source }, "run.finished");
    return result;
  }

  async #deliverFinal(run: ActiveRun, status: RunStatus): Promise<void> {
    const now = this.#now();
    if (status === "interrupted") {
      // Shutdown: keep the progress message, marked interrupted, without buttons.
      await this.#o.transport.edit(run.progress, run.view.progressHtml(now, []), []);
      return;
    }
    const parts = run.view.finalParts(now);
    for (const html of parts) {
      await this.#o.transport.send(run.req.chat, html, { replyTo: run.req.replyTo });
    }
    await this.#o.transport.delete(run.progress);
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
      void this.#o.transport.edit(run.progress, run.view.progressHtml(this.#now(), pending), this.#buttons(runId));
    };
    if (immediate) {
      if (run.renderTimer) clearTimeout(run.renderTimer);
      render();
      return;
    }
    run.renderTimer ??= setTimeout(render, this.#o.renderEveryMs ?? 250);
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

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
