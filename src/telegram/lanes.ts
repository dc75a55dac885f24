// Per-chat lanes: the tasks of one key (a chat, or a forum topic) run one after another in the order
// they were submitted; tasks of different keys run concurrently, at most `maxActive` lanes at once.
// A lane holds at most `maxQueued` waiting tasks; past that, submit() refuses instead of growing.

export interface LaneOptions {
  /** Lanes running a task at the same time; the others wait their turn, in arrival order. */
  maxActive: number;
  /** Waiting tasks per lane (the running one not counted). */
  maxQueued: number;
  /** A task that threw: logged by the caller; the lane goes on with the next task. */
  onError(key: string, error: unknown): void;
}

/** What became of a task: it ran, was dropped by clearWaiting(), or never ran because of stop(). */
export type LaneOutcome = "ran" | "cleared" | "stopped";

interface Entry {
  run: () => Promise<void>;
  settle(outcome: LaneOutcome): void;
}

interface Lane {
  queue: Entry[];
  running: boolean;
}

/** The default bound on chats handled at once; see docs/architecture.md ("Update lanes"). */
export const MAX_ACTIVE_LANES = 8;
/** Messages one chat may have waiting behind its running update. */
export const MAX_QUEUED_PER_LANE = 50;

export class LaneScheduler {
  readonly #opts: LaneOptions;
  readonly #lanes = new Map<string, Lane>();
  /** Lanes with work waiting for a free slot, oldest first. */
  readonly #ready: string[] = [];
  #active = 0;
  #stopped = false;

  constructor(opts: LaneOptions) {
    this.#opts = opts;
  }

  /**
   * Queues `run` on lane `key`; the promise says what became of it. Undefined instead of a promise
   * when the lane already holds `maxQueued` waiting tasks.
   */
  submit(key: string, run: () => Promise<void>): Promise<LaneOutcome> | undefined {
    if (this.#stopped) return Promise.resolve("stopped");
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = { queue: [], running: false };
      this.#lanes.set(key, lane);
    }
    if (lane.queue.length >= this.#opts.maxQueued) return undefined;
    let settle!: (outcome: LaneOutcome) => void;
    const done = new Promise<LaneOutcome>((r) => (settle = r));
    lane.queue.push({ run, settle });
    if (!lane.running && lane.queue.length === 1) this.#ready.push(key);
    this.#pump();
    return done;
  }

  /** Drops the tasks waiting on lane `key` (not the running one); returns how many. */
  clearWaiting(key: string, outcome: LaneOutcome = "cleared"): number {
    const lane = this.#lanes.get(key);
    if (!lane) return 0;
    const dropped = lane.queue.splice(0);
    for (const e of dropped) e.settle(outcome);
    if (!lane.running) this.#forget(key);
    return dropped.length;
  }

  /** Tasks waiting on lane `key` (not counting a running one). */
  waiting(key: string): number {
    return this.#lanes.get(key)?.queue.length ?? 0;
  }

  get activeLanes(): number {
    return this.#active;
  }

  /** Starts nothing more; waiting tasks settle as dropped. Running tasks finish on their own. */
  stop(): void {
    this.#stopped = true;
    for (const key of [...this.#lanes.keys()]) this.clearWaiting(key, "stopped");
    this.#ready.length = 0;
  }

  #forget(key: string): void {
    this.#lanes.delete(key);
    const i = this.#ready.indexOf(key);
    if (i >= 0) this.#ready.splice(i, 1);
  }

  #pump(): void {
    while (!this.#stopped && this.#active < this.#opts.maxActive && this.#ready.length > 0) {
      const key = this.#ready.shift() as string;
      const lane = this.#lanes.get(key);
      const entry = lane?.queue.shift();
      if (!lane || !entry) continue;
      lane.running = true;
      this.#active++;
      void this.#runOne(key, lane, entry);
    }
  }

  async #runOne(key: string, lane: Lane, entry: Entry): Promise<void> {
    try {
      await entry.run();
    } catch (e) {
      this.#opts.onError(key, e);
    }
    entry.settle("ran");
    lane.running = false;
    this.#active--;
    if (lane.queue.length > 0 && !this.#stopped) this.#ready.push(key);
    else if (lane.queue.length === 0) this.#lanes.delete(key);
    this.#pump();
  }
}
