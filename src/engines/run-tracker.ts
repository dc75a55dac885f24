// The started/completed bookkeeping that keeps the event invariant in one place, for every parser.
import type { Action, ActionEvent, CompletedEvent, EngineEvent, ResumeToken, StartedEvent, Usage } from "./events.ts";
import { truncate } from "./json.ts";

/**
 * Holds one run's invariant: exactly one `started` (first) and exactly one `completed` (last).
 * Parsers call `start` as soon as the session id is known and `complete` once; anything after
 * `completed` is dropped.
 */
const MAX_OPEN_ACTIONS = 1000;

export class RunTracker {
  readonly engine: string;
  #startedToken: ResumeToken | undefined;
  #done = false;
  readonly #open = new Map<string, Action>();

  /** `expected` = the session being resumed: the stream must report the same one (or a longer id it prefixes). */
  readonly #expected: string | undefined;

  /** `trackOpen = false` for parsers that never call `opened()` (codex): a Map write per action saved. */

  readonly #trackOpen;
  constructor(engine: string, resume?: ResumeToken, trackOpen = true) {
    this.#trackOpen = trackOpen;
    this.engine = engine;
    const v = resume?.isContinue ? "" : (resume?.value ?? "");
    // A file-path token (pi before promotion) cannot be compared with the id in the stream.
    this.#expected = v === "" || v.includes("/") ? undefined : v;
  }

  get resume(): ResumeToken | undefined {
    return this.#startedToken;
  }

  get isStarted(): boolean {
    return this.#startedToken !== undefined;
  }

  get isDone(): boolean {
    return this.#done;
  }

  start(value: string, meta?: StartedEvent["meta"], title?: string): EngineEvent[] {
    if (this.#startedToken !== undefined || this.#done || value === "") return [];
    this.#startedToken = { engine: this.engine, value };
    const ev: StartedEvent = { type: "started", engine: this.engine, resume: this.#startedToken };
    if (title !== undefined) ev.title = title;
    if (meta !== undefined) {
      const clean = Object.fromEntries(Object.entries(meta).filter(([, v]) => v !== undefined));
      if (Object.keys(clean).length > 0) ev.meta = clean;
    }
    if (this.#expected !== undefined && !value.startsWith(this.#expected)) {
      // Continuing in a different session would silently lose the conversation the user asked for.
      const error = `asked to resume session ${this.#expected} but ${this.engine} reported session ${value}`;
      return [ev, ...this.complete({ ok: false, answer: "", error })];
    }
    return [ev];
  }

  /** Action events are only valid between started and completed. */
  action(action: Action, phase: ActionEvent["phase"], ok?: boolean): EngineEvent[] {
    if (!this.isStarted || this.#done) return [];
    if (!this.#trackOpen) {
      // nothing to remember
    } else if (phase === "completed") this.#open.delete(action.id);
    else {
      this.#open.set(action.id, action);
      // Actions whose completion never comes must not pile up over a long run (with their inputs).
      // Cleared wholesale: evicting the oldest one by one walks the map's tombstones on every call.
      if (this.#open.size > MAX_OPEN_ACTIONS) this.#open.clear();
    }
    const ev: ActionEvent = { type: "action", engine: this.engine, action, phase };
    if (ok !== undefined) ev.ok = ok;
    return [ev];
  }

  /** The action started under `id`, if still open. */
  opened(id: string): Action | undefined {
    return this.#open.get(id);
  }

  complete(fields: { ok: boolean; answer: string; error?: string; usage?: Usage }): EngineEvent[] {
    if (this.#done || !this.isStarted) return [];
    this.#done = true;
    const ev: CompletedEvent = { type: "completed", engine: this.engine, ok: fields.ok, answer: fields.answer };
    if (this.#startedToken !== undefined) ev.resume = this.#startedToken;
    if (fields.error !== undefined) ev.error = fields.error;
    if (fields.usage !== undefined) ev.usage = fields.usage;
    return [ev];
  }
}

/** The end-of-stream message for every engine: "<name> exited (code N) without a final result". */
export function missingCompletionText(displayName: string, exitCode: number | null, lastError?: string): string {
  const how = exitCode === null ? "was stopped" : `exited (code ${exitCode})`;
  const base = `${displayName} ${how} without a final result`;
  return lastError ? `${base}: ${truncate(lastError, 300)}` : base;
}
