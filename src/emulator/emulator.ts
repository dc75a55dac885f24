// The in-process face of the emulator: start it, shape the world (users, chats, topics), act as
// users, and read back what the bot did. See docs/emulator.md.
//
//   const emu = await startEmulator();                  // 127.0.0.1, ephemeral port
//   const bot = new Bot(emu.token, { api: { baseURL: emu.apiBaseUrl + "/bot" } });
//   const alice = emu.addUser({ firstName: "Alice" });
//   const dm = emu.addChat({ type: "private", userId: alice.id });
//   emu.sendUserMessage({ chatId: dm.id, from: alice.id, text: "hi" });
//   const reply = await emu.waitForBotMessage(dm.id);
//   await emu.stop();
import { randomBytes } from "node:crypto";
import type { Server } from "bun";
import { type ApiCall, type CallFilter, CallLog } from "./calls.ts";
import { ChangeFeed } from "./changes.ts";
import { type FaultSpec, Faults } from "./faults.ts";
import { PageAccess } from "./page-access.ts";
import { listen } from "./server.ts";
import { type CallbackAnswer, type ChatAction, type HistoryEntry, type NewChat, type NewUser, Store } from "./store.ts";
import type { MemberStatus, TgBotUser, TgCallbackQuery, TgChat, TgMessage, TgUpdate, TgUser } from "./types.ts";
import {
  addTopic,
  type PressInput,
  postUserAlbum,
  postUserMessage,
  postUserVoice,
  pressButton,
  type UserAlbumInput,
  type UserMessageInput,
  type UserVoiceInput,
} from "./user-side.ts";

export interface StaticPage {
  body: string;
  contentType: string;
}

export interface EmulatorOptions {
  /** Bot token "<bot id>:<secret>"; generated when absent. */
  token?: string;
  botUsername?: string;
  botName?: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Seed for probabilistic faults (default 1). */
  seed?: number;
  /** Clock in ms since the epoch (default Date.now). */
  now?: () => number;
  /** Telegram's group privacy mode: the bot sees only commands, replies to it and mentions (default false). */
  privacyMode?: boolean;
  /** Static files served on GET at these paths (the demo's chat page), e.g. { "/": {…} }. */
  pages?: Record<string, StaticPage>;
  /**
   * When set, the pages and the control API answer only a browser that opened `/?key=<accessKey>` or a
   * single-use `/?once=<nonce>` from `emu.pageAccess.issueNonce()` (it gets an HttpOnly, SameSite=Strict
   * cookie named after the port): other local users cannot drive the demo's agent.
   */
  accessKey?: string;
}

export const DEFAULT_WAIT_MS = 5000;

function makeToken(): string {
  const id = 7_000_000_000 + (randomBytes(4).readUInt32BE(0) % 1_000_000_000);
  return `${id}:AA${randomBytes(24).toString("base64url").slice(0, 33)}`;
}

function botFromToken(token: string, opts: EmulatorOptions): TgBotUser {
  const id = Number(token.split(":")[0]);
  return {
    id: Number.isSafeInteger(id) && id > 0 ? id : 7_000_000_001,
    is_bot: true,
    first_name: opts.botName ?? "Untether",
    username: opts.botUsername ?? "untether_emulator_bot",
    can_join_groups: true,
    can_read_all_group_messages: !(opts.privacyMode ?? false),
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  };
}

export class Emulator {
  readonly token: string;
  readonly bot: TgBotUser;
  readonly privacyMode: boolean;
  /** @internal shared with the HTTP layer */
  readonly changes = new ChangeFeed();
  /** @internal */
  readonly store: Store;
  /** @internal */
  readonly callLog = new CallLog();
  /** @internal */
  readonly faultRules: Faults;
  /** Access control of the pages and control API (set when started with `accessKey`). */
  readonly pageAccess: PageAccess | undefined;
  #server: Server<undefined> | undefined;

  constructor(opts: EmulatorOptions = {}) {
    this.token = opts.token ?? makeToken();
    this.bot = botFromToken(this.token, opts);
    this.privacyMode = opts.privacyMode ?? false;
    this.store = new Store({ bot: this.bot, changes: this.changes, now: opts.now ?? Date.now });
    this.faultRules = new Faults(opts.seed ?? 1);
    this.pageAccess = opts.accessKey !== undefined ? new PageAccess(opts.accessKey) : undefined;
  }

  /** @internal used by startEmulator */
  attach(server: Server<undefined>): void {
    this.#server = server;
  }

  get port(): number {
    return this.#server?.port ?? 0;
  }

  /** "http://127.0.0.1:PORT"; the bot calls `${apiBaseUrl}/bot<token>/<method>`. */
  get apiBaseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Global change counter; every message, edit, call and answer increases it. */
  get version(): number {
    return this.changes.version;
  }

  // ── the world ──────────────────────────────────────────────────────────────

  addUser(input: NewUser = {}): TgUser {
    return this.store.addUser(input);
  }

  addChat(input: NewChat): TgChat {
    return { ...this.store.addChat(input) };
  }

  /** The private chat with a user, created on first use. */
  privateChat(userId: number): TgChat {
    return { ...(this.store.chat(userId)?.chat ?? this.store.addChat({ type: "private", userId })) };
  }

  setMember(chatId: number, userId: number, status: MemberStatus): void {
    this.store.setMember(chatId, userId, status);
  }

  /** Opens a forum topic (the bot receives the forum_topic_created message); returns message_thread_id. */
  addTopic(chatId: number, name: string, fromUserId?: number): number {
    return addTopic(this.store, chatId, name, fromUserId);
  }

  /** A forum topic's current name (createForumTopic / editForumTopic), or undefined. */
  topicName(chatId: number, threadId: number): string | undefined {
    return this.store.chat(chatId)?.topics.get(threadId);
  }

  /** Forum topics of a chat: message_thread_id → name. */
  topics(chatId: number): Map<number, string> {
    return new Map(this.store.chat(chatId)?.topics ?? []);
  }

  // ── acting as users ────────────────────────────────────────────────────────

  sendUserMessage(input: UserMessageInput): TgMessage {
    return postUserMessage(this.store, input, this.privacyMode);
  }

  /** An album: one message (and update) per item, sharing a media_group_id, as Telegram sends it. */
  sendUserAlbum(input: UserAlbumInput): TgMessage[] {
    return postUserAlbum(this.store, input, this.privacyMode);
  }

  sendUserVoice(input: UserVoiceInput): TgMessage {
    return postUserVoice(this.store, input, this.privacyMode);
  }

  pressButton(input: PressInput): TgCallbackQuery {
    return pressButton(this.store, input);
  }

  /**
   * Queues an update exactly as given (no validation): for updates a user cannot produce through
   * the app, such as a message without a sender (an anonymous admin, a channel post).
   */
  injectRawUpdate(type: "message" | "callback_query", body: Record<string, unknown>): void {
    this.store.updates.push(type, { [type]: body } as never);
  }

  /** The bot's answerCallbackQuery for a pressed button (the toast), once it answered. */
  callbackAnswer(queryId: string): CallbackAnswer | undefined {
    const answer = this.store.callbacks.get(queryId)?.answer;
    return answer ? { ...answer } : undefined;
  }

  waitForCallbackAnswer(queryId: string, timeoutMs = DEFAULT_WAIT_MS): Promise<CallbackAnswer> {
    return this.waitFor(() => this.callbackAnswer(queryId), timeoutMs, `answerCallbackQuery for ${queryId}`);
  }

  // ── what users see ─────────────────────────────────────────────────────────

  /** Every message in order, current text and keyboard, deleted ones flagged; optionally one topic. */
  history(chatId: number, threadId?: number): HistoryEntry[] {
    return this.store.history(chatId, threadId);
  }

  /** The bot's messages that are still visible. */
  botMessages(chatId: number, threadId?: number): HistoryEntry[] {
    return this.history(chatId, threadId).filter((m) => m.by === "bot" && !m.deleted);
  }

  /** The last sendChatAction in the chat ("typing", …), if any. */
  chatAction(chatId: number): ChatAction | undefined {
    const action = this.store.requireChat(chatId).lastAction;
    return action ? { ...action } : undefined;
  }

  /** Updates queued and not yet confirmed by the bot. */
  pendingUpdates(): TgUpdate[] {
    return structuredClone([...this.store.updates.peek()]);
  }

  /** True while the bot holds a getUpdates long poll. */
  isPolling(): boolean {
    return this.store.updates.polling;
  }

  fileBytes(fileId: string): Uint8Array | undefined {
    return this.store.files.bytesById(fileId)?.slice();
  }

  // ── what the bot did ───────────────────────────────────────────────────────

  calls(filter: CallFilter = {}): ApiCall[] {
    return this.callLog.list(filter);
  }

  callCount(filter: CallFilter = {}): number {
    return this.callLog.count(filter);
  }

  /** Requests for `method` ("file" for downloads) that arrived and are not answered yet (e.g. held by a delay fault). */
  unansweredCalls(method: string): number {
    return this.callLog.unanswered(method);
  }

  /** Seq of the latest recorded call; pass as `afterSeq` to look only at what comes next. */
  lastCallSeq(): number {
    return this.callLog.lastSeq();
  }

  clearCalls(): void {
    this.callLog.clear();
  }

  // ── waiting ────────────────────────────────────────────────────────────────

  /** Resolves with the first truthy `check()` value, re-checked on every change; rejects after timeoutMs. */
  waitFor<T>(check: () => T | undefined | null | false, timeoutMs = DEFAULT_WAIT_MS, what?: string): Promise<T> {
    return this.changes.waitFor(check, timeoutMs, what);
  }

  /** The first recorded call matching the filter (use afterSeq to skip earlier ones). */
  waitForCall(filter: CallFilter, timeoutMs = DEFAULT_WAIT_MS): Promise<ApiCall> {
    return this.waitFor(() => this.callLog.list(filter)[0], timeoutMs, `call ${JSON.stringify(filter)}`);
  }

  /** The first visible bot message (after message id `afterId`, default 0) matching `predicate`. */
  waitForBotMessage(
    chatId: number,
    predicate: (m: HistoryEntry) => boolean = () => true,
    timeoutMs = DEFAULT_WAIT_MS,
    afterId = 0,
  ): Promise<HistoryEntry> {
    return this.waitFor(
      () => this.botMessages(chatId).find((m) => m.message_id > afterId && predicate(m)),
      timeoutMs,
      `a bot message in chat ${chatId}`,
    );
  }

  // ── faults ─────────────────────────────────────────────────────────────────

  /** Adds a fault rule; returns its id for removeFault. */
  injectFault(spec: FaultSpec): number {
    return this.faultRules.add(spec);
  }

  removeFault(id: number): void {
    this.faultRules.remove(id);
  }

  clearFaults(): void {
    this.faultRules.clear();
  }

  faults(): Array<FaultSpec & { id: number; remaining: number }> {
    return this.faultRules.active();
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────

  /** Ends held long polls and waits, then closes the server and its connections. */
  async stop(): Promise<void> {
    this.store.updates.close();
    this.changes.close();
    // Graceful: in-flight answers (the polls just ended) are still written before sockets close.
    await this.#server?.stop();
    this.#server = undefined;
  }
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const emu = new Emulator(opts);
  emu.attach(listen(emu, opts.port ?? 0, opts.pages ?? {}, emu.pageAccess));
  return emu;
}
