// Long polling with the update offset kept in the state database, so a restart never handles an update
// twice. Updates that piled up while the bot was down are drained at start and handed back to the
// caller (which tells each chat how many were ignored) — they are never run.

import { TelegramApiError } from "../botapi/errors.ts";
import type { BotApiCall, BotParams, TelegramUpdate } from "../botapi/types.ts";
import { logger } from "../log/logger.ts";
import type { StateDb } from "../state/db.ts";

export type { TelegramUpdate };

export interface PollerOptions {
  call: BotApiCall;
  db: StateDb;
  /** Long-poll timeout in seconds. */
  timeoutSec?: number;
  allowedUpdates?: BotParams<"getUpdates">["allowed_updates"];
  onUpdate(update: TelegramUpdate): Promise<void>;
  /** Polling cannot go on (revoked token): the bot should stop with this error. */
  onFatal(error: TelegramApiError): void;
  sleep?: (ms: number) => Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;

export class Poller {
  readonly #opts: PollerOptions;
  readonly #sleep: (ms: number) => Promise<void>;
  #offset: number;
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(opts: PollerOptions) {
    this.#opts = opts;
    this.#sleep = opts.sleep ?? ((ms) => Bun.sleep(ms));
    this.#offset = opts.db.getUpdateOffset();
  }

  get offset(): number {
    return this.#offset;
  }

  /**
   * Acknowledges and returns every update already waiting. A flaky Telegram at boot (429, 5xx, a
   * 409 from an old poll still open) is retried a few times; a rejected token is not.
   */
  async drainBacklog(maxAttempts = 6): Promise<TelegramUpdate[]> {
    const dropped: TelegramUpdate[] = [];
    let failures = 0;
    for (;;) {
      const params: BotParams<"getUpdates"> = { timeout: 0, limit: 100 };
      if (this.#offset > 0) params.offset = this.#offset;
      let batch: TelegramUpdate[];
      try {
        batch = await this.#opts.call("getUpdates", params);
      } catch (e) {
        const fatal = e instanceof TelegramApiError && (e.errorCode === 401 || e.errorCode === 404);
        if (fatal || ++failures >= maxAttempts) throw e;
        const wait =
          e instanceof TelegramApiError && e.retryAfter
            ? e.retryAfter * 1000
            : Math.min(1000 * 2 ** (failures - 1), MAX_BACKOFF_MS);
        logger().warn(
          { error_code: e instanceof TelegramApiError ? e.errorCode : undefined, attempt: failures },
          "telegram.backlog_retry",
        );
        await this.#sleep(wait);
        continue;
      }
      if (batch.length === 0) break;
      dropped.push(...batch);
      const last = batch.at(-1);
      if (last) this.#advance(last.update_id);
    }
    return dropped;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops after the current request; handled updates are already saved. */
  async stop(): Promise<void> {
    this.#running = false;
    // The in-flight long poll is not awaited: it may hold for `timeout` seconds and its updates,
    // if any, are not acknowledged, so Telegram sends them again after a restart.
  }

  async #run(): Promise<void> {
    let backoff = 1000;
    while (this.#running) {
      let batch: TelegramUpdate[];
      try {
        batch = await this.#opts.call("getUpdates", {
          offset: this.#offset,
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
      for (const update of batch) {
        if (!this.#running) return;
        if (update.update_id < this.#offset) continue;
        try {
          await this.#opts.onUpdate(update);
        } catch (e) {
          logger().error({ update_id: update.update_id, error: (e as Error).message }, "telegram.update_failed");
        }
        this.#advance(update.update_id);
      }
    }
  }

  #advance(updateId: number): void {
    this.#offset = updateId + 1;
    try {
      this.#opts.db.setUpdateOffset(this.#offset);
    } catch (e) {
      // Keep polling with the offset in memory; the next successful save catches up. Stopping here
      // would leave a live process that silently ignores every message.
      logger().error({ offset: this.#offset, error: (e as Error).message }, "state.offset_save_failed");
    }
  }

  /** Resolves when the loop has ended (after stop() or a fatal error). */
  done(): Promise<void> {
    return this.#loop ?? Promise.resolve();
  }
}
