// One run's log as it will be stored for /export: the normalised engine events the run manager sees,
// folded per action id (an action's last state is its result), bounded in count and bytes. An engine
// may emit 100 000 events: each is O(1) here, the oldest actions past the bounds are counted by kind
// instead of kept, and every stored text goes through the log redactor (no token reaches the database).
import type { EngineEvent } from "../engines/events.ts";
import { redactSecrets } from "../log/redact.ts";
import type { LoggedAction, LoggedActionStatus, RunLogEnd } from "../state/history.ts";

export interface RunLogBounds {
  /** Most actions kept. */
  maxActions: number;
  /** Most bytes (UTF-16 code units, close enough) of prompt, actions and answer together. */
  maxBytes: number;
}

/** A single action's detail is cut to this many characters. */
const DETAIL_MAX = 2000;
const TITLE_MAX = 500;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function statusOf(
  phase: "started" | "updated" | "completed",
  ok: boolean | undefined,
  detail: Record<string, unknown>,
) {
  if (phase === "started") return "running";
  if (phase === "updated") return "updated";
  const exit = detail.exit_code ?? detail.exitCode;
  return ok === false || (typeof exit === "number" && exit !== 0) ? "failed" : "done";
}

/** As stored (JSON, with the separating comma); bounded by TITLE_MAX and DETAIL_MAX. */
function sizeOf(a: LoggedAction): number {
  return JSON.stringify(a).length + 1;
}

/** Stored text: secrets redacted (known patterns and the config's secret values). */
export function storedText(text: string): string {
  return redactSecrets(text);
}

/** The prompt as stored: redacted, and at most a quarter of the byte bound. */
export function storedPrompt(prompt: string, bounds: RunLogBounds): string {
  return cut(storedText(prompt), Math.max(1, Math.floor(bounds.maxBytes / 4)));
}

export class RunLogRecorder {
  readonly #bounds: RunLogBounds;
  readonly #promptBytes: number;
  readonly #actions = new Map<string, LoggedAction>();
  readonly #omitted: Record<string, number> = {};
  #bytes = 0;
  #answer: string | undefined;
  #error: string | undefined;

  /** `prompt`: the stored (redacted) prompt, counted against the byte bound. */
  constructor(bounds: RunLogBounds, prompt: string) {
    this.#bounds = bounds;
    this.#promptBytes = prompt.length;
  }

  apply(e: EngineEvent): void {
    if (e.type === "completed") {
      this.#answer = e.answer;
      this.#error = e.error;
      return;
    }
    if (e.type !== "action") return;
    const known = this.#actions.get(e.action.id);
    const detail = Object.keys(e.action.detail).length === 0 ? undefined : safeJson(e.action.detail);
    const next: LoggedAction = {
      kind: e.action.kind,
      title: storedText(cut(e.action.title || known?.title || "", TITLE_MAX)),
      status: statusOf(e.phase, e.ok, e.action.detail) as LoggedActionStatus,
      ...(detail === undefined ? {} : { detail: storedText(cut(detail, DETAIL_MAX)) }),
    };
    if (known) {
      this.#bytes -= sizeOf(known);
      // Updated in place: the Map keeps its first-seen order.
      Object.assign(known, next);
      if (next.detail === undefined) delete known.detail;
      this.#bytes += sizeOf(known);
    } else {
      this.#actions.set(e.action.id, next);
      this.#bytes += sizeOf(next);
    }
    this.#evict();
  }

  /** The run ended without a completed event of its own (cancelled, launch failure). */
  fail(error: string): void {
    this.#error ??= error;
  }

  /** What is stored: the kept actions, oldest first, and the answer cut to what the bound leaves. */
  end(): RunLogEnd {
    const room = Math.max(0, this.#bounds.maxBytes - this.#promptBytes - this.#bytes);
    const answer = this.#answer === undefined ? undefined : storedText(this.#answer);
    const answerCut = answer !== undefined && answer.length > room;
    return {
      ...(answer === undefined ? {} : { answer: answerCut ? answer.slice(0, room) : answer }),
      ...(this.#error === undefined ? {} : { error: storedText(cut(this.#error, DETAIL_MAX)) }),
      actions: [...this.#actions.values()].map((a) => ({ ...a })),
      omitted: { ...this.#omitted },
      cut: answerCut,
    };
  }

  #evict(): void {
    // Half the byte bound is for actions: the answer is what a reader of an export wants most.
    const actionBytes = Math.max(0, this.#bounds.maxBytes / 2 - this.#promptBytes);
    while (this.#actions.size > this.#bounds.maxActions || (this.#bytes > actionBytes && this.#actions.size > 0)) {
      const oldest = this.#actions.entries().next();
      if (oldest.done) return;
      const [id, a] = oldest.value;
      this.#actions.delete(id);
      this.#bytes -= sizeOf(a);
      this.#omitted[a.kind] = (this.#omitted[a.kind] ?? 0) + 1;
    }
  }
}

function safeJson(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}
