// The emulated world: users, chats (private, group, forum supergroup with topics), members, every
// message in order with its current text and keyboard, files, callback queries and the bot's update
// queue. Plain state with small invariant-keeping mutations; the Bot API and user actions live elsewhere.
import { EmulatorError } from "./api-error.ts";
import type { ChangeFeed } from "./changes.ts";
import { FileStore } from "./files.ts";
import type {
  ChatType,
  MemberStatus,
  TgBotCommand,
  TgBotUser,
  TgCallbackQuery,
  TgChat,
  TgDocument,
  TgInlineKeyboardMarkup,
  TgMessage,
  TgMessageEntity,
  TgUser,
} from "./types.ts";
import { UpdateQueue } from "./updates.ts";

export interface NewUser {
  id?: number;
  firstName?: string;
  lastName?: string;
  username?: string;
  languageCode?: string;
}

export interface NewMember {
  userId: number;
  status: MemberStatus;
}

export type NewChat =
  | { type: "private"; userId: number }
  | {
      type: "group" | "supergroup";
      id?: number;
      title?: string;
      username?: string;
      /** Supergroups only: topics (addTopic) and message_thread_id. */
      isForum?: boolean;
      members?: NewMember[];
      /** The bot's own status; default "member" ("administrator" lets it delete others' messages). */
      botStatus?: MemberStatus;
    };

export interface StoredMessage {
  message: TgMessage;
  fromBot: boolean;
  /** The text or caption exactly as the bot sent it (HTML source when parse_mode was HTML). */
  raw?: string;
  parseMode?: "HTML";
  deleted: boolean;
  edits: number;
}

export interface ChatAction {
  action: string;
  at: number;
  threadId?: number;
}

export interface ChatState {
  chat: TgChat;
  members: Map<number, MemberStatus>;
  /** Forum topics: message_thread_id → name. */
  topics: Map<number, string>;
  messages: Map<number, StoredMessage>;
  nextMessageId: number;
  /** ChangeFeed version of the last change in this chat. */
  version: number;
  lastAction?: ChatAction;
}

export interface CallbackAnswer {
  text?: string;
  showAlert: boolean;
  url?: string;
  cacheTime?: number;
  at: number;
}

export interface CallbackRecord {
  query: TgCallbackQuery;
  answer?: CallbackAnswer;
}

/** One message as the people in the chat see it now. */
export interface HistoryEntry {
  message_id: number;
  message_thread_id?: number;
  by: "bot" | "user";
  from: TgUser;
  date: number;
  edit_date?: number;
  /** Plain text (entities applied, tags gone), or the caption of a document. */
  text?: string;
  /** The bot's source HTML, when it used parse_mode HTML. */
  html?: string;
  entities?: TgMessageEntity[];
  document?: TgDocument;
  reply_markup?: TgInlineKeyboardMarkup;
  reply_to_message_id?: number;
  forum_topic_created?: { name: string };
  deleted: boolean;
  edits: number;
}

export interface StoreOptions {
  bot: TgBotUser;
  changes: ChangeFeed;
  /** Milliseconds since the epoch (injected so tests can pin dates). */
  now: () => number;
}

const FIRST_USER_ID = 100_000_001;
const FIRST_GROUP_ID = -4_000_000_001;
const FIRST_SUPERGROUP_ID = -1_002_000_000_001;

export class Store {
  readonly bot: TgBotUser;
  readonly updates: UpdateQueue;
  readonly files: FileStore;
  readonly callbacks = new Map<string, CallbackRecord>();
  /** setMyCommands by scope+language key. */
  readonly commands = new Map<string, TgBotCommand[]>();
  readonly #users = new Map<number, TgUser>();
  readonly #chatStates = new Map<number, ChatState>();
  readonly #changes: ChangeFeed;
  readonly #clock: () => number;
  #nextUserId = FIRST_USER_ID;
  #nextGroupId = FIRST_GROUP_ID;
  #nextSupergroupId = FIRST_SUPERGROUP_ID;
  #nextCallbackId = 1;

  constructor(opts: StoreOptions) {
    this.bot = opts.bot;
    this.#changes = opts.changes;
    this.#clock = opts.now;
    this.files = new FileStore(opts.bot.id);
    this.updates = new UpdateQueue(() => this.#changes.bump());
    this.#users.set(opts.bot.id, botAsUser(opts.bot));
  }

  now(): number {
    return this.#clock();
  }

  /** Unix seconds, as Telegram dates are. */
  unixNow(): number {
    return Math.floor(this.#clock() / 1000);
  }

  addUser(input: NewUser = {}): TgUser {
    const id = input.id ?? this.#nextUserId++;
    if (this.#users.has(id)) throw new EmulatorError("emulator.duplicate_user", `user ${id} already exists`);
    const user: TgUser = { id, is_bot: false, first_name: input.firstName ?? `User ${id}` };
    if (input.lastName) user.last_name = input.lastName;
    if (input.username) user.username = input.username;
    if (input.languageCode) user.language_code = input.languageCode;
    this.#users.set(id, user);
    this.#changes.bump();
    return user;
  }

  user(id: number): TgUser | undefined {
    return this.#users.get(id);
  }

  requireUser(id: number): TgUser {
    const user = this.#users.get(id);
    if (!user) throw new EmulatorError("emulator.no_such_user", `no user ${id}`, 404);
    return user;
  }

  allUsers(): TgUser[] {
    return [...this.#users.values()];
  }

  addChat(input: NewChat): TgChat {
    const state = input.type === "private" ? this.#privateState(input.userId) : this.#groupState(input);
    if (this.#chatStates.has(state.chat.id))
      throw new EmulatorError("emulator.duplicate_chat", `chat ${state.chat.id} already exists`);
    this.#chatStates.set(state.chat.id, state);
    this.touch(state);
    return state.chat;
  }

  chat(id: number): ChatState | undefined {
    return this.#chatStates.get(id);
  }

  requireChat(id: number): ChatState {
    const state = this.#chatStates.get(id);
    if (!state) throw new EmulatorError("emulator.no_such_chat", `no chat ${id}`, 404);
    return state;
  }

  chatByUsername(username: string): ChatState | undefined {
    const name = username.replace(/^@/, "").toLowerCase();
    for (const state of this.#chatStates.values()) if (state.chat.username?.toLowerCase() === name) return state;
    return undefined;
  }

  allChats(): TgChat[] {
    return [...this.#chatStates.values()].map((s) => s.chat);
  }

  setMember(chatId: number, userId: number, status: MemberStatus): void {
    const state = this.requireChat(chatId);
    this.requireUser(userId);
    if (state.chat.type === "private" && userId !== this.bot.id && userId !== state.chat.id) {
      throw new EmulatorError("emulator.private_chat", "a private chat has only its user and the bot");
    }
    state.members.set(userId, status);
    this.touch(state);
  }

  memberStatus(state: ChatState, userId: number): MemberStatus {
    return state.members.get(userId) ?? "left";
  }

  /** Stores a new message with the chat's next id; `build` gets that id and the current date. */
  appendMessage(
    state: ChatState,
    fromBot: boolean,
    build: (id: number, date: number) => TgMessage,
    source?: { raw: string; parseMode?: "HTML" },
  ): StoredMessage {
    const id = state.nextMessageId++;
    const stored: StoredMessage = { message: build(id, this.unixNow()), fromBot, deleted: false, edits: 0 };
    if (source) {
      stored.raw = source.raw;
      if (source.parseMode) stored.parseMode = source.parseMode;
    }
    state.messages.set(id, stored);
    this.touch(state);
    return stored;
  }

  /** A live (not deleted) message. */
  liveMessage(state: ChatState, id: number | undefined): StoredMessage | undefined {
    if (id === undefined) return undefined;
    const m = state.messages.get(id);
    return m && !m.deleted ? m : undefined;
  }

  addCallback(build: (id: string) => TgCallbackQuery): TgCallbackQuery {
    const query = build(String(4_000_000_000_000_000 + this.#nextCallbackId++));
    this.callbacks.set(query.id, { query });
    this.#changes.bump();
    return query;
  }

  /** Records a chat-visible change: bumps the global version and stamps the chat with it. */
  touch(state: ChatState): void {
    state.version = this.#changes.bump();
  }

  bump(): void {
    this.#changes.bump();
  }

  history(chatId: number, threadId?: number): HistoryEntry[] {
    const state = this.requireChat(chatId);
    const out: HistoryEntry[] = [];
    for (const stored of state.messages.values()) {
      if (threadId !== undefined && stored.message.message_thread_id !== threadId) continue;
      out.push(historyEntry(stored));
    }
    return out;
  }

  #privateState(userId: number): ChatState {
    const user = this.requireUser(userId);
    const chat: TgChat = { id: user.id, type: "private", first_name: user.first_name };
    if (user.last_name) chat.last_name = user.last_name;
    if (user.username) chat.username = user.username;
    const members = new Map<number, MemberStatus>([
      [user.id, "member"],
      [this.bot.id, "member"],
    ]);
    return newState(chat, members);
  }

  #groupState(input: Exclude<NewChat, { type: "private" }>): ChatState {
    const type: ChatType = input.type;
    if (input.isForum && type !== "supergroup")
      throw new EmulatorError("emulator.bad_chat", "only a supergroup can be a forum");
    const id = input.id ?? (type === "group" ? this.#nextGroupId-- : this.#nextSupergroupId--);
    const chat: TgChat = { id, type, title: input.title ?? `Chat ${id}` };
    if (input.username) chat.username = input.username;
    if (input.isForum) chat.is_forum = true;
    const members = new Map<number, MemberStatus>([[this.bot.id, input.botStatus ?? "member"]]);
    for (const m of input.members ?? []) {
      this.requireUser(m.userId);
      members.set(m.userId, m.status);
    }
    return newState(chat, members);
  }
}

function newState(chat: TgChat, members: Map<number, MemberStatus>): ChatState {
  return { chat, members, topics: new Map(), messages: new Map(), nextMessageId: 1, version: 0 };
}

export function botAsUser(bot: TgBotUser): TgUser {
  const user: TgUser = { id: bot.id, is_bot: true, first_name: bot.first_name };
  if (bot.username) user.username = bot.username;
  return user;
}

/** The message as it appears inside reply_to_message (Telegram does not nest replies further). */
export function replySnapshot(message: TgMessage): TgMessage {
  const { reply_to_message: _nested, ...rest } = message;
  return structuredClone(rest);
}

function historyEntry(stored: StoredMessage): HistoryEntry {
  const m = stored.message;
  const entry: HistoryEntry = {
    message_id: m.message_id,
    by: stored.fromBot ? "bot" : "user",
    from: m.from,
    date: m.date,
    deleted: stored.deleted,
    edits: stored.edits,
  };
  if (m.message_thread_id !== undefined) entry.message_thread_id = m.message_thread_id;
  if (m.edit_date !== undefined) entry.edit_date = m.edit_date;
  const text = m.text ?? m.caption;
  if (text !== undefined) entry.text = text;
  if (stored.parseMode === "HTML" && stored.raw !== undefined) entry.html = stored.raw;
  const entities = m.entities ?? m.caption_entities;
  if (entities && entities.length > 0) entry.entities = entities;
  if (m.document) entry.document = m.document;
  if (m.reply_markup) entry.reply_markup = m.reply_markup;
  if (m.reply_to_message && !m.reply_to_message.forum_topic_created)
    entry.reply_to_message_id = m.reply_to_message.message_id;
  if (m.forum_topic_created) entry.forum_topic_created = { name: m.forum_topic_created.name };
  return structuredClone(entry);
}
