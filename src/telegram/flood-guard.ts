// The inbound flood guard: a token bucket per user on the updates that reach the bot (a stuck client
// or a stolen phone sending hundreds of messages). Over it, the user's updates are dropped; the chat
// gets one notice a minute at most, and the drop is logged at info without the message text.
// Button presses and /cancel have their own bucket, BUTTON_RATE_FACTOR times as large: they are quick
// and idempotent, and a user slowed down for messages can still stop a run.
import { logger } from "../log/logger.ts";
import { TokenBucketLimiter } from "../security/rate-limit.ts";

export const BUTTON_RATE_FACTOR = 4;
const NOTICE_INTERVAL_MS = 60_000;
const MAX_TRACKED_CHATS = 1000;

export interface FloodGuardOptions {
  now: () => number;
  /** Sends the notice to a chat (fire and forget: the guard never waits on Telegram). */
  notify(chatId: number, threadId: number | undefined, html: string): void;
}

export type InboundKind = "message" | "control";

interface ChatDrops {
  lastNoticeAt: number;
  droppedSinceNotice: number;
}

export class FloodGuard {
  readonly #opts: FloodGuardOptions;
  // The limiter takes the rate on every call, so a reloaded config applies at once.
  readonly #messages: TokenBucketLimiter;
  readonly #controls: TokenBucketLimiter;
  readonly #chats = new Map<number, ChatDrops>();

  constructor(opts: FloodGuardOptions) {
    this.#opts = opts;
    this.#messages = new TokenBucketLimiter({ ratePerMinute: 1, now: opts.now });
    this.#controls = new TokenBucketLimiter({ ratePerMinute: 1, now: opts.now });
  }

  /**
   * Spends a token of `userId` for one update; false when it must be dropped. `ratePerMinute` 0 turns
   * the guard off. Updates without a sender (anonymous group admins) share one bucket.
   */
  admit(
    ratePerMinute: number,
    kind: InboundKind,
    userId: number | undefined,
    chatId: number | undefined,
    threadId?: number,
  ): boolean {
    if (ratePerMinute <= 0) return true;
    const key = String(userId ?? "anonymous");
    const limiter = kind === "message" ? this.#messages : this.#controls;
    const rate = kind === "message" ? ratePerMinute : ratePerMinute * BUTTON_RATE_FACTOR;
    if (limiter.take(key, rate).ok) return true;
    if (chatId !== undefined) this.#dropped(ratePerMinute, kind, userId, chatId, threadId);
    return false;
  }

  #dropped(rate: number, kind: InboundKind, userId: number | undefined, chatId: number, threadId?: number): void {
    const now = this.#opts.now();
    let drops = this.#chats.get(chatId);
    if (drops === undefined) {
      if (this.#chats.size >= MAX_TRACKED_CHATS) {
        const oldest = this.#chats.keys().next();
        if (oldest.done !== true) this.#chats.delete(oldest.value);
      }
      drops = { lastNoticeAt: Number.NEGATIVE_INFINITY, droppedSinceNotice: 0 };
      this.#chats.set(chatId, drops);
    }
    drops.droppedSinceNotice++;
    if (now - drops.lastNoticeAt < NOTICE_INTERVAL_MS) return;
    const dropped = drops.droppedSinceNotice;
    drops.lastNoticeAt = now;
    drops.droppedSinceNotice = 0;
    logger().info({ user_id: userId, chat_id: chatId, kind, dropped, rate_per_minute: rate }, "telegram.inbound_flood");
    this.#opts.notify(
      chatId,
      threadId,
      `⏳ Slow down: more than ${rate} messages a minute arrived here. ${dropped} message${dropped > 1 ? "s were" : " was"} dropped and not run; messages over the limit keep being dropped (this notice comes at most once a minute). Set by transports.telegram.inbound_rate_per_minute.`,
    );
  }
}
