// Engine events → the view state of one run's progress message. Knows nothing about Telegram:
// telegram/render.ts turns a ProgressState into HTML.
//
// An engine may emit 100 000 events in a run, so every event is O(1): only the newest
// `retain` actions are kept (a Map in insertion order, updated in place by id) plus counters.
import type { Action, ActionKind, EngineEvent, ResumeToken, Usage } from "../engines/events.ts";

export type ProgressLabel = "starting" | "working" | "done" | "error" | "cancelled" | "interrupted";

export type ActionStatus = "running" | "updated" | "done" | "failed";

export interface ActionView {
  readonly id: string;
  kind: ActionKind;
  title: string;
  detail: Record<string, unknown>;
  status: ActionStatus;
  /** From `detail.exit_code` (or `exitCode`) when the engine reports one. */
  exitCode?: number;
  /** When this action was first seen (ms, same clock as `apply`). */
  startedAtMs: number;
}

export interface ProgressMeta {
  model?: string;
  permissionMode?: string;
}

export interface ProgressOptions {
  engine: string;
  startedAtMs: number;
  /** How many newest actions to keep (≥ what the renderer shows). Default 50. */
  retain?: number;
  /** What started the run ("cron:nightly", "webhook:github"), shown in the footer. */
  trigger?: string;
}

const DEFAULT_RETAIN = 50;
const FINAL_LABELS: ReadonlySet<ProgressLabel> = new Set(["done", "error", "cancelled", "interrupted"]);

function exitCodeOf(detail: Record<string, unknown>): number | undefined {
  const v = detail.exit_code ?? detail.exitCode;
  return typeof v === "number" && Number.isInteger(v) ? v : undefined;
}

function statusOf(
  phase: "started" | "updated" | "completed",
  ok: boolean | undefined,
  exit: number | undefined,
): ActionStatus {
  if (phase === "started") return "running";
  if (phase === "updated") return "updated";
  return ok === false || (exit !== undefined && exit !== 0) ? "failed" : "done";
}

export class ProgressState {
  readonly startedAtMs: number;
  readonly trigger: string | undefined;
  engine: string;
  label: ProgressLabel = "starting";
  /** Distinct actions seen (an id evicted from the window and seen again counts again). */
  steps = 0;
  /** Every action event applied, for benchmarks and logs. */
  actionEvents = 0;
  resume: ResumeToken | undefined;
  title: string | undefined;
  meta: ProgressMeta = {};
  answer: string | undefined;
  error: string | undefined;
  usage: Usage | undefined;
  /** Set when the run reaches a final label; elapsed time stops there. */
  endedAtMs: number | undefined;
  /** Bumped on every change, so a caller can skip re-rendering an unchanged state. */
  revision = 0;

  readonly #retain: number;
  readonly #window = new Map<string, ActionView>();

  constructor(opts: ProgressOptions) {
    this.engine = opts.engine;
    this.startedAtMs = opts.startedAtMs;
    this.trigger = opts.trigger;
    this.#retain = Math.max(1, opts.retain ?? DEFAULT_RETAIN);
  }

  get isFinal(): boolean {
    return FINAL_LABELS.has(this.label);
  }

  elapsedMs(nowMs: number): number {
    return Math.max(0, (this.endedAtMs ?? nowMs) - this.startedAtMs);
  }

  /** The retained actions, oldest first. */
  actions(): ActionView[] {
    return [...this.#window.values()];
  }

  /** The newest `n` actions, oldest first (O(retain), never O(events)). */
  lastActions(n: number): ActionView[] {
    if (n <= 0) return [];
    const all = this.actions();
    return all.length <= n ? all : all.slice(all.length - n);
  }

  apply(event: EngineEvent, nowMs: number): void {
    if (this.isFinal) return; // a cancelled run may still flush events; the final view stays
    this.revision++;
    switch (event.type) {
      case "started":
        this.engine = event.engine;
        this.resume = event.resume;
        this.title = event.title;
        this.meta = { ...event.meta };
        return;
      case "action":
        this.#applyAction(event.action, event.phase, event.ok, nowMs);
        return;
      case "completed":
        this.label = event.ok ? "done" : "error";
        this.answer = event.answer;
        if (event.resume) this.resume = event.resume;
        this.error = event.error;
        this.usage = event.usage;
        this.endedAtMs = nowMs;
        return;
    }
  }

  /** The user cancelled the run (/cancel or the button). */
  cancel(nowMs: number): void {
    this.#finish("cancelled", nowMs);
  }

  /** The run died without a `completed` (process killed, bot shut down). */
  interrupt(nowMs: number): void {
    this.#finish("interrupted", nowMs);
  }

  #finish(label: ProgressLabel, nowMs: number): void {
    if (this.isFinal) return;
    this.revision++;
    this.label = label;
    this.endedAtMs = nowMs;
  }

  #applyAction(
    action: Action,
    phase: "started" | "updated" | "completed",
    ok: boolean | undefined,
    nowMs: number,
  ): void {
    this.actionEvents++;
    this.label = "working";
    const exit = exitCodeOf(action.detail);
    const status = statusOf(phase, ok, exit);
    const known = this.#window.get(action.id);
    if (known) {
      known.kind = action.kind;
      known.title = action.title || known.title;
      known.detail = action.detail;
      known.status = status;
      if (exit !== undefined) known.exitCode = exit;
      return;
    }
    this.steps++;
    const view: ActionView = {
      id: action.id,
      kind: action.kind,
      title: action.title,
      detail: action.detail,
      status,
      startedAtMs: nowMs,
    };
    if (exit !== undefined) view.exitCode = exit;
    this.#window.set(action.id, view);
    if (this.#window.size > this.#retain) {
      const oldest = this.#window.keys().next();
      if (!oldest.done) this.#window.delete(oldest.value);
    }
  }
}
