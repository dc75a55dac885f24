// Job scheduling: one run per thread at a time (a thread = one conversation with an engine session),
// threads in parallel, and a global cap on concurrent runs. FIFO within a thread and for the cap.

export interface QueuedJob {
  readonly id: number;
  readonly threadKey: string;
  /** True once the job started running. */
  readonly started: boolean;
  /** Removes a job that has not started yet; returns false if it already started or finished. */
  drop(): boolean;
}

interface Entry {
  id: number;
  threadKey: string;
  run: () => Promise<void>;
  started: boolean;
  dropped: boolean;
  done: boolean;
}

export class JobQueue {
  readonly #maxConcurrent: number;
  readonly #waiting: Entry[] = [];
  readonly #busyThreads = new Set<string>();
  readonly #idle: Array<() => void> = [];
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

  enqueue(threadKey: string, run: () => Promise<void>): QueuedJob {
    const entry: Entry = { id: this.#nextId++, threadKey, run, started: false, dropped: false, done: false };
    this.#waiting.push(entry);
    this.#pump();
    return {
      id: entry.id,
      threadKey,
      get started() {
        return entry.started;
      },
      drop: () => {
        if (entry.started || entry.dropped) return false;
        entry.dropped = true;
        const i = this.#waiting.indexOf(entry);
        if (i >= 0) this.#waiting.splice(i, 1);
        this.#notifyIdle();
        return true;
      },
    };
  }

  /** Resolves when nothing is running or waiting. */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    for (let i = 0; i < this.#waiting.length; ) {
      if (this.#maxConcurrent > 0 && this.#running >= this.#maxConcurrent) return;
      const entry = this.#waiting[i] as Entry;
      if (this.#busyThreads.has(entry.threadKey)) {
        i++;
        continue;
      }
      this.#waiting.splice(i, 1);
      this.#start(entry);
    }
  }

  #start(entry: Entry): void {
    entry.started = true;
    this.#running++;
    this.#busyThreads.add(entry.threadKey);
    const finish = () => {
      entry.done = true;
      this.#running--;
      this.#busyThreads.delete(entry.threadKey);
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
