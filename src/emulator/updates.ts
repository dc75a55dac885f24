// The bot's update queue with getUpdates semantics: offset confirms (negative offset keeps only the
// last -offset), limit 1..100, a true long poll woken by new updates, allowed_updates remembered
// between calls and applied when an update is created, and a newer poll ending an older one with 409.
import { ApiError } from "./api-error.ts";
import type { TgUpdate, UpdateType } from "./types.ts";

export const CONFLICT_DESCRIPTION =
  "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
const ALL_TYPES: readonly UpdateType[] = ["message", "edited_message", "callback_query"];

export interface GetUpdatesOptions {
  offset?: number;
  limit?: number;
  /** Seconds to hold the request when nothing is pending. */
  timeout?: number;
  allowedUpdates?: string[];
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

interface Poll {
  limit: number;
  resolve(updates: TgUpdate[]): void;
  reject(err: ApiError): void;
  timer: ReturnType<typeof setTimeout>;
}

type UpdateBody = Omit<TgUpdate, "update_id">;

export class UpdateQueue {
  #pending: TgUpdate[] = [];
  #nextId: number;
  #allowed = new Set<string>(ALL_TYPES);
  #poll: Poll | undefined;
  readonly #onPollChange: () => void;

  /** `onPollChange` runs when a long poll starts or ends (so waiters can watch `polling`). */
  constructor(onPollChange: () => void = () => {}, firstUpdateId = 1) {
    this.#onPollChange = onPollChange;
    this.#nextId = firstUpdateId;
  }

  /** Queues an update unless allowed_updates excludes its type; returns it (with its id) when queued. */
  push(type: UpdateType, body: UpdateBody): TgUpdate | undefined {
    if (!this.#allowed.has(type)) return undefined;
    const update: TgUpdate = { update_id: this.#nextId++, ...body };
    this.#pending.push(update);
    this.#wake();
    return update;
  }

  /** True while a getUpdates request is being held. */
  get polling(): boolean {
    return this.#poll !== undefined;
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Unconfirmed updates, oldest first (what the next getUpdates without offset would see). */
  peek(): readonly TgUpdate[] {
    return this.#pending;
  }

  dropPending(): void {
    this.#pending = [];
  }

  get(opts: GetUpdatesOptions): Promise<TgUpdate[]> {
    if (opts.allowedUpdates !== undefined) {
      this.#allowed = new Set(opts.allowedUpdates.length > 0 ? opts.allowedUpdates : ALL_TYPES);
    }
    this.#confirm(opts.offset ?? 0);
    this.#endPoll(new ApiError(409, CONFLICT_DESCRIPTION));
    const limit = Math.min(100, Math.max(1, opts.limit ?? 100));
    const timeout = Math.max(0, opts.timeout ?? 0);
    if (this.#pending.length > 0 || timeout === 0) return Promise.resolve(this.#pending.slice(0, limit));
    return new Promise<TgUpdate[]>((resolve, reject) => {
      const poll: Poll = {
        limit,
        resolve,
        reject,
        timer: setTimeout(() => this.#finish(poll, []), timeout * 1000),
      };
      this.#poll = poll;
      this.#onPollChange();
      opts.signal?.addEventListener("abort", () => this.#finish(poll, []), { once: true });
    });
  }

  /** Answers a held poll with nothing (used on stop). */
  close(): void {
    if (this.#poll) this.#finish(this.#poll, []);
  }

  #confirm(offset: number): void {
    if (offset > 0) this.#pending = this.#pending.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.#pending = this.#pending.slice(offset);
  }

  #wake(): void {
    if (this.#poll) this.#finish(this.#poll, this.#pending.slice(0, this.#poll.limit));
  }

  #endPoll(err: ApiError): void {
    const poll = this.#poll;
    if (!poll) return;
    clearTimeout(poll.timer);
    this.#poll = undefined;
    poll.reject(err);
    this.#onPollChange();
  }

  #finish(poll: Poll, updates: TgUpdate[]): void {
    if (this.#poll !== poll) return;
    clearTimeout(poll.timer);
    this.#poll = undefined;
    poll.resolve(updates);
    this.#onPollChange();
  }
}
