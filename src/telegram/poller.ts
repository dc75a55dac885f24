// Long polling with the update offset kept in the state database, so a restart never handles an update
// twice. Updates that piled up while the bot was down are drained at start and handed back to the
// caller (which tells each chat how many were ignored) — they are never run.
//
// Updates are handled concurrently (the caller puts them in per-chat lanes), so fetching goes on while
// older updates are still being handled. Fetching confirms the fetched updates to Telegram, which will
// not send them again; the poller therefore keeps its own ledger of updates taken but not finished,
// saved with the offset. The saved offset is the lowest unfinished update id (everything below it is
// done); the ledger names the chat of each unfinished one, so after a crash or a stop those are told
// as missed at the next start, like the backlog — at most once, never silently lost.

import { TelegramApiError } from "../botapi/errors.ts";
import type { BotApiCall, BotParams, TelegramUpdate } from "../botapi/types.ts";
import { logger } from "../log/logger.ts";
import type { StateDb } from "../state/db.ts";
import { isTransientStartFailure } from "./connect.ts";

export type { TelegramUpdate };

export interface PollerOptions {
  call: BotApiCall;
  db: StateDb;
  /** Long-poll timeout in seconds. */
  timeoutSec?: number;
  allowedUpdates?: BotParams<"getUpdates">["allowed_updates"];
  /**
   * Takes an update; must return at once (the poller does not wait before fetching more). The promise
   * settles when the update is finished: "unhandled" means it never ran (it stays in the ledger and is
   * reported as missed at the next start); any other value means done (handled, refused or dropped).
   */
  onUpdate(update: TelegramUpdate): Promise<unknown>;
  /** The chat to tell at the next start when this update is still unfinished at a stop or a crash. */
  reportChat?(update: TelegramUpdate): number | undefined;
  /** Most updates taken and not finished before fetching pauses (default 1000). */
  maxInFlight?: number;
  /** Polling cannot go on (revoked token): the bot should stop with this error. */
  onFatal(error: TelegramApiError): void;
  sleep?: (ms: number) => Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;
const LEDGER_KEY = "telegram.updates_in_flight";

/** An update taken but not finished when Untether last stopped. */
export interface LeftoverUpdate {
  updateId: number;
  chatId?: number;
}

function readLedger(db: StateDb): LeftoverUpdate[] {
  let raw: unknown;
  try {
    raw = JSON.parse(db.getKv(LEDGER_KEY) ?? "[]");
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const out: LeftoverUpdate[] = [];
  for (const e of raw) {
    if (!Array.isArray(e) || typeof e[0] !== "number") continue;
    out.push(typeof e[1] === "number" ? { updateId: e[0], chatId: e[1] } : { updateId: e[0] });
  }
  return out;
}

export class Poller {
  readonly #opts: PollerOptions;
  readonly #sleep: (ms: number) => Promise<void>;
  /** The next update id to fetch (getUpdates' offset). */
  #frontier: number;
  /** Updates taken and not finished: id → chat to tell if it never finishes. */
  readonly #inFlight = new Map<number, number | undefined>();
  readonly #leftovers: LeftoverUpdate[];
  #freed: (() => void) | undefined;
  #running = false;
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(opts: PollerOptions) {
    this.#opts = opts;
    this.#sleep = opts.sleep ?? ((ms) => Bun.sleep(ms));
    this.#frontier = opts.db.getUpdateOffset();
    this.#leftovers = readLedger(opts.db).filter((l) => l.updateId >= this.#frontier);
  }

  /** The saved offset: the lowest update id not finished (or the next one to fetch). */
  get offset(): number {
    let low = this.#frontier;
    for (const id of this.#inFlight.keys()) low = Math.min(low, id);
    return low;
  }

  /** Updates still unfinished when Untether last stopped (read at construction). */
  get leftovers(): readonly LeftoverUpdate[] {
    return this.#leftovers;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Acknowledges and returns every update already waiting. A flaky Telegram at boot (429, 5xx, a
   * 409 from an old poll still open) is retried a few times; a rejected token is not.
   */
  /**
   * The first getUpdates of a start. The network, Telegram's 5xx and 429s are waited out for as long
   * as they last (a boot with slow DNS must not exhaust systemd's start limit); other refusals are
   * tried `maxAttempts` times; a rejected token stops at once. Resolves undefined when `stopped`
   * resolves during a wait.
   */
  async drainBacklog(maxAttempts = 6, stopped?: Promise<unknown>): Promise<TelegramUpdate[] | undefined> {
    const dropped: TelegramUpdate[] = [];
    let failures = 0;
    let stop = false;
    const stopWait = stopped?.then(() => {
      stop = true;
    });
    for (;;) {
      if (stop) return undefined;
      const params: BotParams<"getUpdates"> = { timeout: 0, limit: 100 };
      if (this.#frontier > 0) params.offset = this.#frontier;
      let batch: TelegramUpdate[];
      try {
        batch = await this.#opts.call("getUpdates", params);
      } catch (e) {
        const fatal = e instanceof TelegramApiError && (e.errorCode === 401 || e.errorCode === 404);
        failures++;
        const transient = isTransientStartFailure(e) || (e instanceof TelegramApiError && e.errorCode === 429);
        if (fatal || (!transient && failures >= maxAttempts)) throw e;
        const wait =
          e instanceof TelegramApiError && e.retryAfter
            ? e.retryAfter * 1000
            : Math.min(1000 * 2 ** (failures - 1), MAX_BACKOFF_MS);
        logger().warn(
          { error_code: e instanceof TelegramApiError ? e.errorCode : undefined, attempt: failures },
          "telegram.backlog_retry",
        );
        await Promise.race([this.#sleep(wait), ...(stopWait ? [stopWait] : [])]);
        continue;
      }
      if (batch.length === 0) break;
      dropped.push(...batch);
      const last = batch.at(-1);
      if (last) this.#frontier = Math.max(this.#frontier, last.update_id + 1);
    }
    // The leftovers are the caller's to report now: the ledger starts empty past them.
    for (const l of this.#leftovers) this.#frontier = Math.max(this.#frontier, l.updateId + 1);
    this.#persist();
    return dropped;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops after the current request; finished updates are already saved, unfinished ones stay in the ledger. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#stopped = true;
    this.#freed?.();
    // The in-flight long poll is not awaited: it may hold for `timeout` seconds and its updates,
    // if any, are not acknowledged, so Telegram sends them again after a restart.
  }

  async #run(): Promise<void> {
    let backoff = 1000;
    const maxInFlight = this.#opts.maxInFlight ?? 1000;
    while (this.#running) {
      if (this.#inFlight.size >= maxInFlight) {
        await new Promise<void>((r) => (this.#freed = r));
        this.#freed = undefined;
        continue;
      }
      let batch: TelegramUpdate[];
      try {
        batch = await this.#opts.call("getUpdates", {
          offset: this.#frontier,
          timeout: this.#opts.timeoutSec ?? 30,
          allowed_updates: this.#opts.allowedUpdates ?? ["message", "callback_query"],
        });
        backoff = 1000;
      } catch (e) {
        if (!this.#running) return;
        if (e instanceof TelegramApiError) {
          if (e.errorCode === 401 || e.errorCode === 404) {
            this.#running = false;
            logger().error({ error_code: e.errorCode }, "telegram.token_rejected");
            this.#opts.onFatal(e);
            return;
          }
          if (e.errorCode === 429) {
            await this.#sleep((e.retryAfter ?? 5) * 1000);
            continue;
          }
          if (e.errorCode === 409) {
            logger().error({ error_code: 409 }, "telegram.polling_conflict");
          } else {
            logger().warn({ error_code: e.errorCode }, "telegram.poll_failed");
          }
        } else {
          logger().warn({ error: (e as Error).message }, "telegram.poll_network_error");
        }
        await this.#sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      // Not handled: a stop while the poll was held. They are not confirmed (no later getUpdates).
      if (!this.#running) return;
      const fresh = batch.filter((u) => u.update_id >= this.#frontier);
      if (fresh.length === 0) continue;
      for (const update of fresh) {
        this.#inFlight.set(update.update_id, this.#opts.reportChat?.(update));
        this.#frontier = Math.max(this.#frontier, update.update_id + 1);
      }
      // Saved before the next getUpdates confirms them to Telegram.
      this.#persist();
      for (const update of fresh) this.#take(update);
    }
  }

  #take(update: TelegramUpdate): void {
    let taken: Promise<unknown>;
    try {
      taken = this.#opts.onUpdate(update);
    } catch (e) {
      taken = Promise.reject(e);
    }
    taken.then(
      (outcome) => this.#finish(update.update_id, outcome === "unhandled" ? "unhandled" : "done"),
      (e: unknown) => {
        logger().error({ update_id: update.update_id, error: (e as Error).message }, "telegram.update_failed");
        this.#finish(update.update_id, "done");
      },
    );
  }

  #finish(updateId: number, outcome: "done" | "unhandled"): void {
    if (outcome === "unhandled") return;
    this.#inFlight.delete(updateId);
    this.#persist();
    this.#freed?.();
  }

  #persist(): void {
    const offset = this.offset;
    const ledger = [...this.#inFlight].map(([id, chat]) => (chat === undefined ? [id] : [id, chat]));
    try {
      this.#opts.db.setUpdateOffset(offset);
      this.#opts.db.setKv(LEDGER_KEY, JSON.stringify(ledger));
    } catch (e) {
      // Keep polling with the offset in memory; the next successful save catches up. Stopping here
      // would leave a live process that silently ignores every message. After stop() the database
      // may already be closed: the updates then count as unfinished at the next start.
      const fields = { offset, error: (e as Error).message };
      if (this.#stopped) logger().debug(fields, "state.offset_save_after_stop");
      else logger().error(fields, "state.offset_save_failed");
    }
  }

  /** Resolves when the loop has ended (after stop() or a fatal error). */
  done(): Promise<void> {
    return this.#loop ?? Promise.resolve();
  }
}
