// The only path for Telegram writes. Operations are keyed by (kind, chat, message) and run one at a
// time per chat:
// - sends go out at once (a first render never waits), unless the chat is held after a 429;
// - an edit waits until `editIntervalMs` after the previous write to its message; a newer edit of the
//   same message replaces the pending payload; an unchanged text+keyboard is never sent;
// - a 429 holds the whole chat for retry_after, then the op is retried (unless superseded);
// - 5xx and network failures are retried with bounded backoff; other 4xx are dropped and logged;
// - a failed edit never becomes a new message, and edits of a deleted message are dropped.
import type {
  ButtonRows,
  ChatRef,
  DocumentInput,
  MessageRef,
  SendOptions,
  Transport,
} from "../core/transport.ts";
import { UntetherError } from "../errors.ts";
import { logger } from "../log/logger.ts";
import {
  type ApiCall,
  TelegramApiError,
  TelegramNetworkError,
  isMessageGone,
  isNotModified,
} from "./api.ts";
import { systemClock, type Clock } from "../core/clock.ts";

/** Injected so throttling and backoff are tested without sleeping (core's Clock; sleep unused here). */
export type OutboxClock = Pick<Clock, "now" | "setTimeout" | "clearTimeout">;

export interface OutboxOptions {
  call: ApiCall;
  clock?: OutboxClock;
  /** At most one edit per message per interval. Default 2000 ms. */
  editIntervalMs?: number | (() => number);
  /** Attempts for 5xx / network failures, the first included. Default 3. */
  maxAttempts?: number;
  /** First retry delay; doubled on each further attempt. Default 1000 ms. */
  backoffMs?: number;
  /** Wait on a 429 that carries no retry_after. Default 5 s. */
  defaultRetryAfterSec?: number;
}

type OpKind = "send" | "sendDocument" | "delete" | "edit" | "answerCallback" | "chatAction";

/** Lower runs first when several ops of a chat are ready. */
const PRIORITY: Record<OpKind, number> = {
  answerCallback: 0,
  send: 0,
  sendDocument: 0,
  delete: 1,
  chatAction: 1,
  edit: 2,
};

interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Op {
  readonly key: string;
  readonly kind: OpKind;
  readonly lane: Lane;
  readonly method: string;
  params: Record<string, unknown>;
  /** Text + keyboard, for "unchanged is never sent". */
  signature?: string;
  /** `${chat}:${message}` of an edited/deleted message. */
  readonly msgKey?: string;
  readonly chat?: ChatRef;
  readonly seq: number;
  attempts: number;
  notBefore: number;
  waiters: Waiter[];
}

interface Lane {
  readonly id: string;
  queue: Op[];
  busy: boolean;
  heldUntil: number;
  timer?: unknown;
  timerAt?: number;
}

/** Per-message memory is bounded: old messages fall out first. */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly cap: number) {
    super();
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > this.cap) {
      const oldest = this.keys().next();
      if (!oldest.done) super.delete(oldest.value);
    }
    return this;
  }
}

const MESSAGE_MEMORY = 10_000;

function markup(buttons: ButtonRows | undefined): { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> } | undefined {
  if (!buttons || buttons.length === 0) return undefined;
  return { inline_keyboard: buttons.map((row) => row.map((b) => ({ text: b.text, callback_data: b.data }))) };
}

function signatureOf(html: string, buttons: ButtonRows | undefined): string {
  return `${JSON.stringify(markup(buttons) ?? null)}\u0000${html}`;
}

function chatParams(chat: ChatRef, opts: SendOptions | undefined): Record<string, unknown> {
  const p: Record<string, unknown> = { chat_id: chat.chatId };
  if (chat.threadId !== undefined) p.message_thread_id = chat.threadId;
  if (opts?.replyTo !== undefined) p.reply_parameters = { message_id: opts.replyTo, allow_sending_without_reply: true };
  if (opts?.silent) p.disable_notification = true;
  const kb = markup(opts?.buttons);
  if (kb) p.reply_markup = kb;
  return p;
}

function isRetryable(e: unknown): boolean {
  return e instanceof TelegramNetworkError || (e instanceof TelegramApiError && e.errorCode >= 500);
}

export class OutboxTransport implements Transport {
  private readonly call: ApiCall;
  private readonly clock: OutboxClock;
  private readonly editIntervalMs: () => number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly defaultRetryAfterSec: number;

  private readonly lanes = new Map<string, Lane>();
  /** Pending (queued, not in flight) ops by key: where a newer edit finds the one it replaces. */
  private readonly pending = new Map<string, Op>();
  private readonly lastWriteAt = new BoundedMap<string, number>(MESSAGE_MEMORY);
  private readonly lastSignature = new BoundedMap<string, string>(MESSAGE_MEMORY);
  private readonly deleted = new BoundedMap<string, true>(MESSAGE_MEMORY);
  private readonly counts = new Map<string, number>();
  private idleWaiters: Array<() => void> = [];
  private inFlight = 0;
  private queued = 0;
  private seq = 0;
  private closed = false;

  constructor(opts: OutboxOptions) {
    this.call = opts.call;
    this.clock = opts.clock ?? systemClock;
    // A function so a reloaded [progress] min_render_interval applies to the next edit.
    const interval = opts.editIntervalMs ?? 2000;
    this.editIntervalMs = typeof interval === "number" ? () => interval : interval;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
    this.backoffMs = opts.backoffMs ?? 1000;
    this.defaultRetryAfterSec = opts.defaultRetryAfterSec ?? 5;
  }

  /** API calls made per method (retries included). */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  totalCalls(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  send(chat: ChatRef, html: string, opts?: SendOptions): Promise<MessageRef> {
    const params = { ...chatParams(chat, opts), text: html, parse_mode: "HTML", link_preview_options: { is_disabled: true } };
    return this.enqueue({ kind: "send", method: "sendMessage", chat, params, signature: signatureOf(html, opts?.buttons) }) as Promise<MessageRef>;
  }

  sendDocument(chat: ChatRef, doc: DocumentInput, opts?: SendOptions): Promise<MessageRef> {
    const params: Record<string, unknown> = { ...chatParams(chat, opts), document: new File([doc.data], doc.fileName) };
    if (doc.caption !== undefined) {
      params.caption = doc.caption;
      params.parse_mode = "HTML";
    }
    return this.enqueue({ kind: "sendDocument", method: "sendDocument", chat, params }) as Promise<MessageRef>;
  }

  /** Resolves once delivered, coalesced into a newer edit, unchanged, or given up (logged). */
  async edit(msg: MessageRef, html: string, buttons?: ButtonRows): Promise<void> {
    const msgKey = `${msg.chatId}:${msg.messageId}`;
    const signature = signatureOf(html, buttons);
    const params: Record<string, unknown> = {
      chat_id: msg.chatId,
      message_id: msg.messageId,
      text: html,
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
    };
    const kb = markup(buttons);
    if (kb) params.reply_markup = kb;
    const key = `edit:${msgKey}`;
    const waiting = this.pending.get(key);
    if (waiting) {
      // Only the latest payload is ever sent.
      waiting.params = params;
      waiting.signature = signature;
      await new Promise((resolve, reject) => waiting.waiters.push({ resolve, reject }));
      return;
    }
    if (this.deleted.has(msgKey) || this.lastSignature.get(msgKey) === signature) return;
    await this.enqueue({ kind: "edit", method: "editMessageText", key, msgKey, chat: msg, params, signature });
  }

  async delete(msg: MessageRef): Promise<void> {
    const msgKey = `${msg.chatId}:${msg.messageId}`;
    if (this.deleted.has(msgKey)) return;
    this.deleted.set(msgKey, true);
    this.dropPending(`edit:${msgKey}`);
    await this.enqueue({
      kind: "delete",
      method: "deleteMessage",
      key: `delete:${msgKey}`,
      msgKey,
      chat: msg,
      params: { chat_id: msg.chatId, message_id: msg.messageId },
    });
  }

  async answerCallback(callbackQueryId: string, text?: string, showAlert?: boolean): Promise<void> {
    const params: Record<string, unknown> = { callback_query_id: callbackQueryId };
    if (text !== undefined) params.text = text;
    if (showAlert) params.show_alert = true;
    await this.enqueue({ kind: "answerCallback", method: "answerCallbackQuery", key: `answerCallback:${callbackQueryId}`, lane: "callbacks", params });
  }

  /** "typing…" and friends; a repeat while one is queued is coalesced. */
  async chatAction(chat: ChatRef, action = "typing"): Promise<void> {
    const params: Record<string, unknown> = { chat_id: chat.chatId, action };
    if (chat.threadId !== undefined) params.message_thread_id = chat.threadId;
    const key = `chatAction:${chat.chatId}:${chat.threadId ?? ""}:${action}`;
    const waiting = this.pending.get(key);
    if (waiting) {
      await new Promise((resolve, reject) => waiting.waiters.push({ resolve, reject }));
      return;
    }
    await this.enqueue({ kind: "chatAction", method: "sendChatAction", key, chat, params });
  }

  /** Resolves when everything queued so far has been delivered or given up. */
  flush(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuses new writes, then waits for the queued ones. */
  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }

  private isIdle(): boolean {
    return this.inFlight === 0 && this.queued === 0;
  }

  private enqueue(spec: {
    kind: OpKind;
    method: string;
    params: Record<string, unknown>;
    key?: string;
    msgKey?: string;
    chat?: ChatRef;
    lane?: string;
    signature?: string;
  }): Promise<unknown> {
    if (this.closed) return Promise.reject(new UntetherError("outbox.closed", "The outbox is closed"));
    const seq = ++this.seq;
    const laneId = spec.lane ?? String(spec.chat?.chatId ?? "");
    let lane = this.lanes.get(laneId);
    if (!lane) {
      lane = { id: laneId, queue: [], busy: false, heldUntil: 0 };
      this.lanes.set(laneId, lane);
    }
    const key = spec.key ?? `${spec.kind}:${laneId}:#${seq}`;
    const existing = this.pending.get(key);
    if (existing) return new Promise((resolve, reject) => existing.waiters.push({ resolve, reject }));
    return new Promise((resolve, reject) => {
      const op: Op = {
        key,
        kind: spec.kind,
        lane: lane,
        method: spec.method,
        params: spec.params,
        seq,
        attempts: 0,
        notBefore: 0,
        waiters: [{ resolve, reject }],
        ...(spec.signature !== undefined && { signature: spec.signature }),
        ...(spec.msgKey !== undefined && { msgKey: spec.msgKey }),
        ...(spec.chat !== undefined && { chat: spec.chat }),
      };
      this.queue(op);
      this.pump(lane);
    });
  }

  private queue(op: Op): void {
    op.lane.queue.push(op);
    this.pending.set(op.key, op);
    this.queued++;
  }

  private unqueue(op: Op): void {
    const q = op.lane.queue;
    const at = q.indexOf(op);
    if (at >= 0) q.splice(at, 1);
    if (this.pending.get(op.key) === op) this.pending.delete(op.key);
    this.queued--;
  }

  private dropPending(key: string): void {
    const op = this.pending.get(key);
    if (!op) return;
    this.unqueue(op);
    settle(op, undefined);
    this.checkIdle();
  }

  private readyAt(op: Op): number {
    let at = Math.max(op.lane.heldUntil, op.notBefore);
    if (op.kind === "edit" && op.msgKey !== undefined) {
      const last = this.lastWriteAt.get(op.msgKey);
      if (last !== undefined) at = Math.max(at, last + this.editIntervalMs());
    }
    return at;
  }

  private pump(lane: Lane): void {
    while (!lane.busy) {
      const now = this.clock.now();
      let best: Op | undefined;
      let nextAt = Number.POSITIVE_INFINITY;
      for (const op of lane.queue) {
        const at = this.readyAt(op);
        if (at > now) {
          nextAt = Math.min(nextAt, at);
        } else if (!best || PRIORITY[op.kind] < PRIORITY[best.kind]) {
          best = op; // queue is in arrival order, so ties keep it
        }
      }
      if (!best) {
        this.schedule(lane, nextAt);
        return;
      }
      this.unqueue(best);
      if (!this.skip(best)) {
        this.dispatch(best);
        return;
      }
      settle(best, undefined);
      this.checkIdle();
    }
  }

  /** An edit that can no longer matter: its message is gone, or it would change nothing. */
  private skip(op: Op): boolean {
    if (op.kind !== "edit" || op.msgKey === undefined) return false;
    return this.deleted.has(op.msgKey) || this.lastSignature.get(op.msgKey) === op.signature;
  }

  private schedule(lane: Lane, at: number): void {
    if (!Number.isFinite(at)) return;
    if (lane.timer !== undefined && lane.timerAt !== undefined && lane.timerAt <= at) return;
    if (lane.timer !== undefined) this.clock.clearTimeout(lane.timer);
    lane.timerAt = at;
    lane.timer = this.clock.setTimeout(() => {
      lane.timer = undefined;
      lane.timerAt = undefined;
      this.pump(lane);
    }, Math.max(0, at - this.clock.now()));
  }

  private dispatch(op: Op): void {
    const lane = op.lane;
    lane.busy = true;
    this.inFlight++;
    op.attempts++;
    const startedAt = this.clock.now();
    if (op.msgKey !== undefined && op.kind === "edit") this.lastWriteAt.set(op.msgKey, startedAt);
    this.counts.set(op.method, (this.counts.get(op.method) ?? 0) + 1);
    this.call(op.method, op.params).then(
      (result) => this.onSuccess(op, result, startedAt),
      (error: unknown) => this.onError(op, error),
    ).finally(() => {
      lane.busy = false;
      this.inFlight--;
      this.pump(lane);
      this.checkIdle();
    });
  }

  private onSuccess(op: Op, result: unknown, startedAt: number): void {
    if (op.kind === "send" || op.kind === "sendDocument") {
      const ref = messageRefOf(result, op.chat);
      if (!ref) {
        logger().warn({ method: op.method }, "outbox.bad_response");
        settle(op, undefined, new UntetherError("telegram.bad_response", `Telegram ${op.method} returned no message`));
        return;
      }
      const msgKey = `${ref.chatId}:${ref.messageId}`;
      this.lastWriteAt.set(msgKey, startedAt);
      if (op.signature !== undefined) this.lastSignature.set(msgKey, op.signature);
      settle(op, ref);
      return;
    }
    if (op.kind === "edit" && op.msgKey !== undefined && op.signature !== undefined) {
      this.lastSignature.set(op.msgKey, op.signature);
    }
    settle(op, undefined);
  }

  private onError(op: Op, error: unknown): void {
    if (op.kind === "edit" && isNotModified(error)) return this.onSuccess(op, true, 0);
    if ((op.kind === "edit" || op.kind === "delete") && isMessageGone(error) && op.msgKey !== undefined) {
      this.deleted.set(op.msgKey, true);
      logger().debug({ method: op.method }, "outbox.message_gone");
      return settle(op, undefined);
    }
    const now = this.clock.now();
    if (error instanceof TelegramApiError && error.errorCode === 429) {
      const waitSec = error.retryAfter ?? this.defaultRetryAfterSec;
      op.lane.heldUntil = Math.max(op.lane.heldUntil, now + waitSec * 1000);
      logger().warn({ method: op.method, retry_after: waitSec }, "outbox.rate_limited");
      return this.retry(op);
    }
    if (isRetryable(error) && op.attempts < this.maxAttempts) {
      op.notBefore = now + this.backoffMs * 2 ** (op.attempts - 1);
      logger().debug({ method: op.method, attempt: op.attempts }, "outbox.retry");
      return this.retry(op);
    }
    logger().warn(
      {
        method: op.method,
        error_code: error instanceof TelegramApiError ? error.errorCode : undefined,
        error: error instanceof UntetherError ? error.code : "unknown",
      },
      "outbox.op_failed",
    );
    // Only a send has a result to withhold; other writes are best effort and resolve.
    settle(op, undefined, op.kind === "send" || op.kind === "sendDocument" ? error : undefined);
  }

  /** Re-queues an op, unless a newer edit of the same message has taken its place meanwhile. */
  private retry(op: Op): void {
    const newer = this.pending.get(op.key);
    if (newer) {
      newer.waiters.push(...op.waiters);
      return;
    }
    if (op.msgKey !== undefined && op.kind === "edit" && this.deleted.has(op.msgKey)) return settle(op, undefined);
    this.queue(op);
  }

  private checkIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

function settle(op: Op, value: unknown, error?: unknown): void {
  const waiters = op.waiters;
  op.waiters = [];
  for (const w of waiters) {
    if (error !== undefined) w.reject(error);
    else w.resolve(value);
  }
}

function messageRefOf(result: unknown, chat: ChatRef | undefined): MessageRef | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  const r = result as { message_id?: unknown; chat?: { id?: unknown }; message_thread_id?: unknown };
  if (typeof r.message_id !== "number") return undefined;
  const chatId = typeof r.chat?.id === "number" ? r.chat.id : chat?.chatId;
  if (chatId === undefined) return undefined;
  const ref: MessageRef = { chatId, messageId: r.message_id };
  const threadId = chat?.threadId ?? (typeof r.message_thread_id === "number" ? r.message_thread_id : undefined);
  if (threadId !== undefined) ref.threadId = threadId;
  return ref;
}
