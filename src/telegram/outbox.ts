// The only path for Telegram writes. Operations are keyed by (kind, chat, message) and run one at a
// time per chat:
// - sends go out at once (a first render never waits), unless the chat is held after a 429 or paced;
// - with `chatRps`, the messages (sends, documents, edits) of one chat are spaced at least 1/rps apart
//   across all its messages — Telegram's per-chat limits (about 1/s in a private chat, 20/min in a
//   group) are never hit, so a burst of runs in a group draws no 429; when a slot comes, sends (a
//   final answer, a first render) go before edits of progress messages, so edits never starve them;
// - an edit waits until `editIntervalMs` after the previous write to its message; a newer edit of the
//   same message replaces the pending payload; an unchanged text+keyboard is never sent;
// - a 429 holds the whole chat for retry_after, then the op is retried (unless superseded);
// - 5xx and network failures are retried with bounded backoff; other 4xx are dropped and logged;
// - a failed edit never becomes a new message, and edits of a deleted message are dropped.

import { isMessageGone, isNotModified, TelegramApiError, TelegramNetworkError } from "../botapi/errors.ts";
import type { BotApiCall, BotParams, BotRequest, BotResult } from "../botapi/types.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import type { ButtonRows, ChatRef, DocumentInput, MessageRef, SendOptions, Transport } from "../core/transport.ts";
import { UntetherError } from "../errors.ts";
import { logger } from "../log/logger.ts";

/** Injected so throttling and backoff are tested without sleeping (core's Clock; sleep unused here). */
export type OutboxClock = Pick<Clock, "now" | "setTimeout" | "clearTimeout">;

export interface OutboxOptions {
  call: BotApiCall;
  clock?: OutboxClock;
  /** At most one edit per message per interval. Default 2000 ms. */
  editIntervalMs?: number | (() => number);
  /** Attempts for 5xx / network failures, the first included. Default 3. */
  maxAttempts?: number;
  /** First retry delay; doubled on each further attempt. Default 1000 ms. */
  backoffMs?: number;
  /** Wait on a 429 that carries no retry_after. Default 5 s. */
  defaultRetryAfterSec?: number;
  /**
   * Messages per second allowed to one chat (sends, documents and edits together), read at each
   * write; undefined (or no function) = no pacing.
   */
  chatRps?: (chatId: number) => number | undefined;
}

/** Writes that count against a chat's message rate; deletes, chat actions and callback answers do not. */
const PACED: ReadonlySet<OpKind> = new Set<OpKind>(["send", "sendDocument", "edit"]);

type OpKind = "send" | "sendDocument" | "delete" | "edit" | "answerCallback" | "chatAction";

/** The Bot API methods the outbox writes with. */
type OutboxMethod =
  | "sendMessage"
  | "sendDocument"
  | "editMessageText"
  | "deleteMessage"
  | "answerCallbackQuery"
  | "sendChatAction";
type OutboxRequest = BotRequest<OutboxMethod>;

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
  /** A send resolves with its message; every other write with undefined. */
  resolve(value: MessageRef | undefined): void;
  reject(error: unknown): void;
}

interface Op {
  readonly key: string;
  readonly kind: OpKind;
  readonly lane: Lane;
  /** Method and parameters; an edit's are replaced by a newer edit of the same message. */
  req: OutboxRequest;
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
  /** When the lane's last paced write went out. */
  lastPacedAt: number;
  timer?: unknown;
  timerAt?: number;
}

/** Per-message memory is bounded: old messages fall out first. */
class BoundedMap<K, V> extends Map<K, V> {
  readonly #cap: number;

  constructor(cap: number) {
    super();
    this.#cap = cap;
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > this.#cap) {
      const oldest = this.keys().next();
      if (!oldest.done) super.delete(oldest.value);
    }
    return this;
  }
}

const MESSAGE_MEMORY = 10_000;

type InlineMarkup = NonNullable<BotParams<"editMessageText">["reply_markup"]>;

function markup(buttons: ButtonRows | undefined): InlineMarkup | undefined {
  if (!buttons || buttons.length === 0) return undefined;
  return { inline_keyboard: buttons.map((row) => row.map((b) => ({ text: b.text, callback_data: b.data }))) };
}

function signatureOf(html: string, buttons: ButtonRows | undefined): string {
  return `${JSON.stringify(markup(buttons) ?? null)}\u0000${html}`;
}

/** What a send and a document share: chat, topic, reply, silence, buttons. */
type ChatParams = Pick<
  BotParams<"sendMessage">,
  "chat_id" | "message_thread_id" | "reply_parameters" | "disable_notification" | "reply_markup"
>;

function chatParams(chat: ChatRef, opts: SendOptions | undefined): ChatParams {
  const p: ChatParams = { chat_id: chat.chatId };
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
  readonly #call: BotApiCall;
  readonly #clock: OutboxClock;
  readonly #editIntervalMs: () => number;
  readonly #maxAttempts: number;
  readonly #backoffMs: number;
  readonly #defaultRetryAfterSec: number;
  readonly #chatRps: ((chatId: number) => number | undefined) | undefined;

  readonly #lanes = new Map<string, Lane>();
  /** Pending (queued, not in flight) ops by key: where a newer edit finds the one it replaces. */
  readonly #pending = new Map<string, Op>();
  readonly #lastWriteAt = new BoundedMap<string, number>(MESSAGE_MEMORY);
  readonly #lastSignature = new BoundedMap<string, string>(MESSAGE_MEMORY);
  readonly #deleted = new BoundedMap<string, true>(MESSAGE_MEMORY);
  readonly #counts = new Map<string, number>();
  #idleWaiters: Array<() => void> = [];
  #inFlight = 0;
  #queued = 0;
  #seq = 0;
  #closed = false;

  constructor(opts: OutboxOptions) {
    this.#call = opts.call;
    this.#clock = opts.clock ?? systemClock;
    // A function so a reloaded [progress] min_render_interval applies to the next edit.
    const interval = opts.editIntervalMs ?? 2000;
    this.#editIntervalMs = typeof interval === "number" ? () => interval : interval;
    this.#maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
    this.#backoffMs = opts.backoffMs ?? 1000;
    this.#defaultRetryAfterSec = opts.defaultRetryAfterSec ?? 5;
    this.#chatRps = opts.chatRps;
  }

  /** API calls made per method (retries included). */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  totalCalls(): number {
    let n = 0;
    for (const v of this.#counts.values()) n += v;
    return n;
  }

  send(chat: ChatRef, html: string, opts?: SendOptions): Promise<MessageRef> {
    const params: BotParams<"sendMessage"> = {
      ...chatParams(chat, opts),
      text: html,
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
    };
    return this.#enqueueSend({
      kind: "send",
      req: { method: "sendMessage", params },
      chat,
      signature: signatureOf(html, opts?.buttons),
    });
  }

  sendDocument(chat: ChatRef, doc: DocumentInput, opts?: SendOptions): Promise<MessageRef> {
    const params: BotParams<"sendDocument"> = {
      ...chatParams(chat, opts),
      document: new File([doc.data], doc.fileName),
    };
    if (doc.caption !== undefined) {
      params.caption = doc.caption;
      params.parse_mode = "HTML";
    }
    return this.#enqueueSend({ kind: "sendDocument", req: { method: "sendDocument", params }, chat });
  }

  /** Resolves once delivered, coalesced into a newer edit, unchanged, or given up (logged). */
  async edit(msg: MessageRef, html: string, buttons?: ButtonRows): Promise<void> {
    const msgKey = `${msg.chatId}:${msg.messageId}`;
    const signature = signatureOf(html, buttons);
    const params: BotParams<"editMessageText"> = {
      chat_id: msg.chatId,
      message_id: msg.messageId,
      text: html,
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
    };
    const kb = markup(buttons);
    if (kb) params.reply_markup = kb;
    const key = `edit:${msgKey}`;
    const waiting = this.#pending.get(key);
    if (waiting) {
      // Only the latest payload is ever sent.
      waiting.req = { method: "editMessageText", params };
      waiting.signature = signature;
      await new Promise((resolve, reject) => waiting.waiters.push({ resolve, reject }));
      return;
    }
    if (this.#deleted.has(msgKey) || this.#lastSignature.get(msgKey) === signature) return;
    await this.#enqueue({
      kind: "edit",
      req: { method: "editMessageText", params },
      key,
      msgKey,
      chat: msg,
      signature,
    });
  }

  async delete(msg: MessageRef): Promise<void> {
    const msgKey = `${msg.chatId}:${msg.messageId}`;
    if (this.#deleted.has(msgKey)) return;
    this.#deleted.set(msgKey, true);
    this.#dropPending(`edit:${msgKey}`);
    await this.#enqueue({
      kind: "delete",
      req: { method: "deleteMessage", params: { chat_id: msg.chatId, message_id: msg.messageId } },
      key: `delete:${msgKey}`,
      msgKey,
      chat: msg,
    });
  }

  async answerCallback(callbackQueryId: string, text?: string, showAlert?: boolean): Promise<void> {
    const params: BotParams<"answerCallbackQuery"> = { callback_query_id: callbackQueryId };
    if (text !== undefined) params.text = text;
    if (showAlert) params.show_alert = true;
    await this.#enqueue({
      kind: "answerCallback",
      req: { method: "answerCallbackQuery", params },
      key: `answerCallback:${callbackQueryId}`,
      lane: "callbacks",
    });
  }

  /** "typing…" and friends; a repeat while one is queued is coalesced. */
  async chatAction(chat: ChatRef, action: BotParams<"sendChatAction">["action"] = "typing"): Promise<void> {
    const params: BotParams<"sendChatAction"> = { chat_id: chat.chatId, action };
    if (chat.threadId !== undefined) params.message_thread_id = chat.threadId;
    const key = `chatAction:${chat.chatId}:${chat.threadId ?? ""}:${action}`;
    const waiting = this.#pending.get(key);
    if (waiting) {
      await new Promise((resolve, reject) => waiting.waiters.push({ resolve, reject }));
      return;
    }
    await this.#enqueue({ kind: "chatAction", req: { method: "sendChatAction", params }, key, chat });
  }

  /** Resolves when everything queued so far has been delivered or given up. */
  flush(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Refuses new writes, then waits for the queued ones. */
  close(): Promise<void> {
    this.#closed = true;
    return this.flush();
  }

  #isIdle(): boolean {
    return this.#inFlight === 0 && this.#queued === 0;
  }

  /** A send settles with the new message's reference (see onSuccess). */
  async #enqueueSend(spec: {
    kind: "send" | "sendDocument";
    req: OutboxRequest;
    chat: ChatRef;
    signature?: string;
  }): Promise<MessageRef> {
    const ref = await this.#enqueue(spec);
    if (ref === undefined)
      throw new UntetherError("telegram.bad_response", `Telegram ${spec.req.method} returned no message`);
    return ref;
  }

  #enqueue(spec: {
    kind: OpKind;
    req: OutboxRequest;
    key?: string;
    msgKey?: string;
    chat?: ChatRef;
    lane?: string;
    signature?: string;
  }): Promise<MessageRef | undefined> {
    if (this.#closed) return Promise.reject(new UntetherError("outbox.closed", "The outbox is closed"));
    const seq = ++this.#seq;
    const laneId = spec.lane ?? String(spec.chat?.chatId ?? "");
    let lane = this.#lanes.get(laneId);
    if (!lane) {
      lane = { id: laneId, queue: [], busy: false, heldUntil: 0, lastPacedAt: Number.NEGATIVE_INFINITY };
      this.#lanes.set(laneId, lane);
    }
    const key = spec.key ?? `${spec.kind}:${laneId}:#${seq}`;
    const existing = this.#pending.get(key);
    if (existing) return new Promise((resolve, reject) => existing.waiters.push({ resolve, reject }));
    return new Promise((resolve, reject) => {
      const op: Op = {
        key,
        kind: spec.kind,
        lane: lane,
        req: spec.req,
        seq,
        attempts: 0,
        notBefore: 0,
        waiters: [{ resolve, reject }],
        ...(spec.signature !== undefined && { signature: spec.signature }),
        ...(spec.msgKey !== undefined && { msgKey: spec.msgKey }),
        ...(spec.chat !== undefined && { chat: spec.chat }),
      };
      this.#queue(op);
      this.#pump(lane);
    });
  }

  #queue(op: Op): void {
    op.lane.queue.push(op);
    this.#pending.set(op.key, op);
    this.#queued++;
  }

  #unqueue(op: Op): void {
    const q = op.lane.queue;
    const at = q.indexOf(op);
    if (at >= 0) q.splice(at, 1);
    if (this.#pending.get(op.key) === op) this.#pending.delete(op.key);
    this.#queued--;
  }

  #dropPending(key: string): void {
    const op = this.#pending.get(key);
    if (!op) return;
    this.#unqueue(op);
    settle(op, undefined);
    this.#checkIdle();
  }

  #readyAt(op: Op): number {
    let at = Math.max(op.lane.heldUntil, op.notBefore);
    if (op.kind === "edit" && op.msgKey !== undefined) {
      const last = this.#lastWriteAt.get(op.msgKey);
      if (last !== undefined) at = Math.max(at, last + this.#editIntervalMs());
    }
    const gap = this.#pacingGapMs(op);
    if (gap > 0) at = Math.max(at, op.lane.lastPacedAt + gap);
    return at;
  }

  /** The least time between two paced writes to this op's chat; 0 when not paced. */
  #pacingGapMs(op: Op): number {
    if (!PACED.has(op.kind) || op.chat === undefined || this.#chatRps === undefined) return 0;
    const rps = this.#chatRps(op.chat.chatId);
    return rps !== undefined && rps > 0 ? 1000 / rps : 0;
  }

  #pump(lane: Lane): void {
    while (!lane.busy) {
      const now = this.#clock.now();
      let best: Op | undefined;
      let nextAt = Number.POSITIVE_INFINITY;
      for (const op of lane.queue) {
        const at = this.#readyAt(op);
        if (at > now) {
          nextAt = Math.min(nextAt, at);
        } else if (!best || PRIORITY[op.kind] < PRIORITY[best.kind]) {
          best = op; // queue is in arrival order, so ties keep it
        }
      }
      if (!best) {
        this.#schedule(lane, nextAt);
        return;
      }
      this.#unqueue(best);
      if (!this.#skip(best)) {
        this.#dispatch(best);
        return;
      }
      settle(best, undefined);
      this.#checkIdle();
    }
  }

  /** An edit that can no longer matter: its message is gone, or it would change nothing. */
  #skip(op: Op): boolean {
    if (op.kind !== "edit" || op.msgKey === undefined) return false;
    return this.#deleted.has(op.msgKey) || this.#lastSignature.get(op.msgKey) === op.signature;
  }

  #schedule(lane: Lane, at: number): void {
    if (!Number.isFinite(at)) return;
    if (lane.timer !== undefined && lane.timerAt !== undefined && lane.timerAt <= at) return;
    if (lane.timer !== undefined) this.#clock.clearTimeout(lane.timer);
    lane.timerAt = at;
    lane.timer = this.#clock.setTimeout(
      () => {
        lane.timer = undefined;
        lane.timerAt = undefined;
        this.#pump(lane);
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  #dispatch(op: Op): void {
    const lane = op.lane;
    lane.busy = true;
    this.#inFlight++;
    op.attempts++;
    const startedAt = this.#clock.now();
    if (op.msgKey !== undefined && op.kind === "edit") this.#lastWriteAt.set(op.msgKey, startedAt);
    if (PACED.has(op.kind)) lane.lastPacedAt = startedAt;
    this.#counts.set(op.req.method, (this.#counts.get(op.req.method) ?? 0) + 1);
    this.#call(op.req.method, op.req.params)
      .then(
        (result) => this.#onSuccess(op, result, startedAt),
        (error: unknown) => this.#onError(op, error),
      )
      .finally(() => {
        lane.busy = false;
        this.#inFlight--;
        this.#pump(lane);
        this.#checkIdle();
      });
  }

  #onSuccess(op: Op, result: BotResult<OutboxMethod>, startedAt: number): void {
    if (op.kind === "send" || op.kind === "sendDocument") {
      const ref = messageRefOf(result, op.chat);
      if (!ref) {
        logger().warn({ method: op.req.method }, "outbox.bad_response");
        settle(
          op,
          undefined,
          new UntetherError("telegram.bad_response", `Telegram ${op.req.method} returned no message`),
        );
        return;
      }
      const msgKey = `${ref.chatId}:${ref.messageId}`;
      this.#lastWriteAt.set(msgKey, startedAt);
      if (op.signature !== undefined) this.#lastSignature.set(msgKey, op.signature);
      settle(op, ref);
      return;
    }
    if (op.kind === "edit" && op.msgKey !== undefined && op.signature !== undefined) {
      this.#lastSignature.set(op.msgKey, op.signature);
    }
    settle(op, undefined);
  }

  #onError(op: Op, error: unknown): void {
    if (op.kind === "edit" && isNotModified(error)) {
      this.#onSuccess(op, true, 0);
      return;
    }
    if ((op.kind === "edit" || op.kind === "delete") && isMessageGone(error) && op.msgKey !== undefined) {
      this.#deleted.set(op.msgKey, true);
      logger().debug({ method: op.req.method }, "outbox.message_gone");
      settle(op, undefined);
      return;
    }
    const now = this.#clock.now();
    if (error instanceof TelegramApiError && error.errorCode === 429) {
      const waitSec = error.retryAfter ?? this.#defaultRetryAfterSec;
      op.lane.heldUntil = Math.max(op.lane.heldUntil, now + waitSec * 1000);
      logger().warn({ method: op.req.method, retry_after: waitSec }, "outbox.rate_limited");
      this.#retry(op);
      return;
    }
    if (isRetryable(error) && op.attempts < this.#maxAttempts) {
      op.notBefore = now + this.#backoffMs * 2 ** (op.attempts - 1);
      logger().debug({ method: op.req.method, attempt: op.attempts }, "outbox.retry");
      this.#retry(op);
      return;
    }
    logger().warn(
      {
        method: op.req.method,
        error_code: error instanceof TelegramApiError ? error.errorCode : undefined,
        error: error instanceof UntetherError ? error.code : "unknown",
      },
      "outbox.op_failed",
    );
    // Only a send has a result to withhold; other writes are best effort and resolve.
    settle(op, undefined, op.kind === "send" || op.kind === "sendDocument" ? error : undefined);
  }

  /** Re-queues an op, unless a newer edit of the same message has taken its place meanwhile. */
  #retry(op: Op): void {
    const newer = this.#pending.get(op.key);
    if (newer) {
      newer.waiters.push(...op.waiters);
      return;
    }
    if (op.msgKey !== undefined && op.kind === "edit" && this.#deleted.has(op.msgKey)) settle(op, undefined);
    else this.#queue(op);
  }

  #checkIdle(): void {
    if (!this.#isIdle() || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}

function settle(op: Op, value: MessageRef | undefined, error?: unknown): void {
  const waiters = op.waiters;
  op.waiters = [];
  for (const w of waiters) {
    if (error !== undefined) w.reject(error);
    else w.resolve(value);
  }
}

/** The sent message's reference; undefined when the answer (of a faulty proxy, say) has no message id. */
function messageRefOf(result: BotResult<OutboxMethod>, chat: ChatRef | undefined): MessageRef | undefined {
  if (typeof result !== "object" || typeof result.message_id !== "number") return undefined;
  const chatId = typeof result.chat?.id === "number" ? result.chat.id : chat?.chatId;
  if (chatId === undefined) return undefined;
  const ref: MessageRef = { chatId, messageId: result.message_id };
  const threadId =
    chat?.threadId ?? (typeof result.message_thread_id === "number" ? result.message_thread_id : undefined);
  if (threadId !== undefined) ref.threadId = threadId;
  return ref;
}
