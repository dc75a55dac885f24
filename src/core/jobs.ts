// Job scheduling: a job holds keys (its run, its conversation, its engine session once known) and
// starts only when no running job holds any of them — one session, one process. Jobs without a
// shared key run in parallel under a global cap. FIFO among jobs that could start.

export interface QueuedJob {
  readonly id: number;
  /** True once the job started running. */
  readonly started: boolean;
  /** Adds a key (e.g. the session id the engine just reported): later jobs with it wait for this one. */
  addKey(key: string): void;
  /** Removes a job that has not started yet; returns false if it already started or finished. */
  drop(): boolean;
}

interface Entry {
  id: number;
  keys: Set<string>;
  run: () => Promise<void>;
  started: boolean;
  dropped: boolean;
  done: boolean;
}

export class JobQueue {
  readonly #maxConcurrent: number;
  readonly #waiting: Entry[] = [];
  /** Keys held by running jobs (a key is held by at most one running job). */
  readonly #busy = new Set<string>();
  readonly #idle: Array<() => void> = [];
  readonly #started = new Set<Entry>();
  #running = 0;
  #nextId = 1;

  /** maxConcurrent 0 = no global cap. */
  constructor(maxConcurrent: number) {
    this.#maxConcurrent = maxConcurrent;
  }

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** True when a job with these keys would wait for a running or waiting job that holds one of them. */
  wouldWait(keys: readonly string[]): boolean {
    return keys.some((k) => this.#busy.has(k) || this.#waiting.some((e) => e.keys.has(k)));
  }

  enqueue(keys: readonly string[], run: () => Promise<void>): QueuedJob {
    const entry: Entry = { id: this.#nextId++, keys: new Set(keys), run, started: false, dropped: false, done: false };
    this.#waiting.push(entry);
    this.#pump();
    return {
      id: entry.id,
      get started() {
        return entry.started;
      },
      addKey: (key) => {
        if (entry.done || entry.dropped || entry.keys.has(key)) return;
        entry.keys.add(key);
        if (entry.started) this.#busy.add(key);
      },
      drop: () => {
        if (entry.started || entry.dropped) return false;
        entry.dropped = true;
        const i = this.#waiting.indexOf(entry);
        if (i >= 0) this.#waiting.splice(i, 1);
        this.#pump();
        this.#notifyIdle();
        return true;
      },
    };
  }

  /**
   * What a job with these keys would wait for: the keys of the job right ahead of it (the last waiting
   * one it shares a key with, else a running one), or "cap" when only the global cap holds it; undefined when it could start now.
   */
  blocker(keys: readonly string[]): ReadonlySet<string> | "cap" | undefined {
    return this.#blockerAt(keys, this.#waiting.length);
  }

  /** The same for a job already waiting (only jobs ahead of it count); undefined once it started. */
  blockerOf(jobId: number): ReadonlySet<string> | "cap" | undefined {
    const at = this.#waiting.findIndex((e) => e.id === jobId);
    const entry = this.#waiting[at];
    return entry === undefined ? undefined : this.#blockerAt([...entry.keys], at);
  }

  #blockerAt(keys: readonly string[], ahead: number): ReadonlySet<string> | "cap" | undefined {
    const shares = (e: Entry) => keys.some((k) => e.keys.has(k));
    // The nearest job ahead: the last waiting one that shares a key, else the running one.
    for (const e of this.#waiting.slice(0, ahead).reverse()) if (shares(e)) return e.keys;
    for (const e of this.#started) if (shares(e)) return e.keys;
    return this.#maxConcurrent > 0 && this.#running >= this.#maxConcurrent ? "cap" : undefined;
  }

  /** Resolves when nothing is running or waiting. */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    // A waiting job also blocks later jobs that share a key with it: order within a conversation holds.
    const claimed = new Set<string>();
    for (let i = 0; i < this.#waiting.length; ) {
      if (this.#maxConcurrent > 0 && this.#running >= this.#maxConcurrent) return;
      const entry = this.#waiting[i] as Entry;
      const blocked = [...entry.keys].some((k) => this.#busy.has(k) || claimed.has(k));
      if (blocked) {
        for (const k of entry.keys) claimed.add(k);
        i++;
        continue;
      }
      this.#waiting.splice(i, 1);
      this.#start(entry);
    }
  }

  #start(entry: Entry): void {
    entry.started = true;
    this.#started.add(entry);
    this.#running++;
    for (const k of entry.keys) this.#busy.add(k);
    const finish = () => {
      entry.done = true;
      this.#started.delete(entry);
      this.#running--;
      for (const k of entry.keys) this.#busy.delete(k);
      this.#pump();
      this.#notifyIdle();
    };
    // A job's own errors are its business (the run manager reports them); never stall the queue.
    entry.run().then(finish, finish);
  }

  #notifyIdle(): void {
    if (this.#running !== 0 || this.#waiting.length !== 0) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
