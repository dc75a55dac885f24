// What people do in the emulated chats: post messages (text, replies, forum topics, documents),
// press inline buttons and open topics. Each produces the update Telegram would send the bot.
import { EmulatorError } from "./api-error.ts";
import { composeMessage } from "./compose.ts";
import type { ParsedText } from "./html.ts";
import { MAX_CAPTION, MAX_TEXT } from "./message-text.ts";
import type { ChatState, Store } from "./store.ts";
import type {
  TgCallbackQuery,
  TgMessage,
  TgMessageEntity,
  TgMessageOrigin,
  TgPhotoSize,
  TgUser,
  TgVideo,
  TgVoice,
} from "./types.ts";

export interface UserDocument {
  fileName: string;
  data: Uint8Array;
  mimeType?: string;
}

/** A photo as a phone sends it: Telegram stores it in several sizes, the largest being these bytes. */
export interface UserPhoto {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface UserVideo extends UserDocument {
  width?: number;
  height?: number;
  durationSec?: number;
}

/** Where a forwarded message came from: a known user, a user hiding their account, or a chat. */
export interface UserForward {
  fromUserId?: number;
  hiddenName?: string;
  /** A group or supergroup of the emulator (MessageOriginChat). */
  chatId?: number;
  /** Unix seconds the original was sent (default: a minute ago). */
  date?: number;
}

export interface UserMessageInput {
  chatId: number;
  /** Sender's user id (in a private chat, the chat's own user). */
  from: number;
  text?: string;
  /** message_id this message replies to. */
  replyTo?: number;
  /** Forum topic (message_thread_id). */
  threadId?: number;
  document?: UserDocument;
  photo?: UserPhoto;
  video?: UserVideo;
  caption?: string;
  /** Forwarded from elsewhere (forward_origin). */
  forward?: UserForward;
  /** Set by postUserAlbum on each item. */
  mediaGroupId?: string;
}

export interface UserAlbumItem {
  document?: UserDocument;
  photo?: UserPhoto;
  video?: UserVideo;
  caption?: string;
}

export interface UserAlbumInput {
  chatId: number;
  from: number;
  threadId?: number;
  /** 2–10 items; documents cannot be mixed with photos and videos (as in the app). */
  items: UserAlbumItem[];
}

export interface UserVoiceInput {
  chatId: number;
  from: number;
  /** The recorded audio (any bytes; the emulator does not decode it). */
  data: Uint8Array;
  durationSec: number;
  mimeType?: string;
  threadId?: number;
}

export interface PressInput {
  chatId: number;
  messageId: number;
  from: number;
  /** The button's callback_data; or give its visible `text` instead. */
  data?: string;
  text?: string;
}

export const TOPIC_ICON_COLOR = 7322096;

function sender(store: Store, state: ChatState, userId: number): TgUser {
  const user = store.requireUser(userId);
  if (state.chat.type === "private") {
    if (userId !== state.chat.id)
      throw new EmulatorError(
        "emulator.not_member",
        `user ${userId} is not the user of private chat ${state.chat.id}`,
        403,
      );
    return user;
  }
  const status = store.memberStatus(state, userId);
  if (status === "left" || status === "kicked")
    throw new EmulatorError("emulator.not_member", `user ${userId} is not a member of chat ${state.chat.id}`, 403);
  return user;
}

/** Entities a Telegram client adds on its own: /commands (bot_command). */
function clientEntities(text: string): TgMessageEntity[] {
  const out: TgMessageEntity[] = [];
  for (const m of text.matchAll(/(^|\s)(\/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?)/g)) {
    const lead = m[1] ?? "";
    const cmd = m[2] ?? "";
    out.push({ type: "bot_command", offset: (m.index ?? 0) + lead.length, length: cmd.length });
  }
  return out;
}

function plain(text: string, limit: number, what: string): ParsedText {
  const trimmed = text.trim();
  if (trimmed.length > limit) throw new EmulatorError("emulator.too_long", `${what} longer than ${limit} characters`);
  return { text: trimmed, entities: clientEntities(trimmed) };
}

/** With privacy mode on, a group bot only sees commands, replies to itself and mentions (unless admin). */
function botSees(store: Store, state: ChatState, message: TgMessage, privacyMode: boolean): boolean {
  if (!privacyMode || state.chat.type === "private") return true;
  const status = store.memberStatus(state, store.bot.id);
  if (status === "administrator" || status === "creator") return true;
  if (message.reply_to_message?.from.id === store.bot.id && !message.reply_to_message.forum_topic_created) return true;
  const text = message.text ?? message.caption ?? "";
  return text.startsWith("/") || (store.bot.username !== undefined && text.includes(`@${store.bot.username}`));
}

export function postUserMessage(store: Store, input: UserMessageInput, privacyMode = false): TgMessage {
  const state = store.requireChat(input.chatId);
  const from = sender(store, state, input.from);
  if (input.threadId !== undefined && !state.topics.has(input.threadId)) {
    throw new EmulatorError("emulator.no_such_topic", `chat ${state.chat.id} has no topic ${input.threadId}`, 404);
  }
  const text = input.text !== undefined && input.text.trim() !== "" ? plain(input.text, MAX_TEXT, "text") : undefined;
  const caption =
    input.caption !== undefined && input.caption.trim() !== ""
      ? plain(input.caption, MAX_CAPTION, "caption")
      : undefined;
  const media = [input.document, input.photo, input.video].filter((x) => x !== undefined).length;
  if (!text && media === 0) throw new EmulatorError("emulator.empty_message", "a message needs text or a document");
  if (media > 1) throw new EmulatorError("emulator.bad_message", "a message carries one document, photo or video");
  if (text && media > 0)
    throw new EmulatorError("emulator.bad_message", "a document message carries a caption, not text");
  let replyTo: TgMessage | undefined;
  if (input.replyTo !== undefined) {
    replyTo = store.liveMessage(state, input.replyTo)?.message;
    if (!replyTo)
      throw new EmulatorError("emulator.no_such_message", `chat ${state.chat.id} has no message ${input.replyTo}`, 404);
  }
  const document = input.document
    ? store.files.put(input.document.data, input.document.fileName, input.document.mimeType)
    : undefined;
  const photo = input.photo ? photoSizes(store, input.photo) : undefined;
  const video = input.video ? storeVideo(store, input.video) : undefined;
  const forwardOrigin = input.forward ? originOf(store, input.forward) : undefined;
  const stored = store.appendMessage(state, false, (id, date) => ({
    ...composeMessage(state, from, id, date, { threadId: input.threadId, replyTo, text, caption, document }),
    ...(photo ? { photo } : {}),
    ...(video ? { video } : {}),
    ...(input.mediaGroupId !== undefined ? { media_group_id: input.mediaGroupId } : {}),
    ...(forwardOrigin ? { forward_origin: forwardOrigin } : {}),
  }));
  if (botSees(store, state, stored.message, privacyMode))
    store.updates.push("message", { message: structuredClone(stored.message) });
  return structuredClone(stored.message);
}

/** Telegram's standard photo sizes (longest side); the sizes are those not larger than the original. */
const PHOTO_SIDES = [90, 320, 800, 1280];

/**
 * The PhotoSize array Telegram sends for a photo: smaller renditions first, then the original size,
 * whose bytes are the photo's. Smaller renditions get bytes of their own (a prefix stands in for a
 * re-encoded image), so a bot that picks a thumbnail is caught.
 */
function photoSizes(store: Store, p: UserPhoto): TgPhotoSize[] {
  if (p.data.byteLength === 0) throw new EmulatorError("emulator.bad_message", "a photo needs bytes");
  const longest = Math.max(p.width, p.height);
  const sizes: TgPhotoSize[] = [];
  const add = (data: Uint8Array, width: number, height: number) => {
    const f = store.files.put(data, "photo.jpg", "image/jpeg");
    sizes.push({ file_id: f.file_id, file_unique_id: f.file_unique_id, width, height, file_size: f.file_size });
  };
  for (const side of PHOTO_SIDES) {
    if (side >= longest) break;
    const scale = side / longest;
    const bytes = Math.max(1, Math.min(p.data.byteLength - 1, Math.floor(p.data.byteLength * scale * scale)));
    add(p.data.slice(0, bytes), Math.round(p.width * scale), Math.round(p.height * scale));
  }
  add(p.data, p.width, p.height);
  return sizes;
}

function storeVideo(store: Store, v: UserVideo): TgVideo {
  const f = store.files.put(v.data, v.fileName, v.mimeType ?? "video/mp4");
  return {
    file_id: f.file_id,
    file_unique_id: f.file_unique_id,
    width: v.width ?? 1280,
    height: v.height ?? 720,
    duration: v.durationSec ?? 1,
    file_name: f.file_name,
    mime_type: f.mime_type,
    file_size: f.file_size,
  };
}

function originOf(store: Store, f: UserForward): TgMessageOrigin {
  const date = f.date ?? store.unixNow() - 60;
  if (f.fromUserId !== undefined) return { type: "user", date, sender_user: { ...store.requireUser(f.fromUserId) } };
  if (f.hiddenName !== undefined) return { type: "hidden_user", date, sender_user_name: f.hiddenName };
  if (f.chatId !== undefined) return { type: "chat", date, sender_chat: { ...store.requireChat(f.chatId).chat } };
  throw new EmulatorError("emulator.bad_message", "a forward names a user, a hidden name or a chat");
}

let albumSeq = 0;

/** An album: each item is its own message and update, all with one media_group_id; the caption rides on its item. */
export function postUserAlbum(store: Store, input: UserAlbumInput, privacyMode = false): TgMessage[] {
  if (input.items.length < 2 || input.items.length > 10)
    throw new EmulatorError("emulator.bad_message", "an album has 2 to 10 items");
  const docs = input.items.filter((i) => i.document !== undefined).length;
  if (docs > 0 && docs < input.items.length)
    throw new EmulatorError("emulator.bad_message", "an album of documents cannot hold photos or videos");
  const mediaGroupId = String(13_000_000_000_000_000n + BigInt(++albumSeq) * 7919n);
  return input.items.map((item) =>
    postUserMessage(
      store,
      { chatId: input.chatId, from: input.from, threadId: input.threadId, ...item, mediaGroupId },
      privacyMode,
    ),
  );
}

/** A voice note: its bytes go to the file store so getFile and the download serve them. */
export function postUserVoice(store: Store, input: UserVoiceInput, privacyMode = false): TgMessage {
  const state = store.requireChat(input.chatId);
  const from = sender(store, state, input.from);
  if (input.threadId !== undefined && !state.topics.has(input.threadId)) {
    throw new EmulatorError("emulator.no_such_topic", `chat ${state.chat.id} has no topic ${input.threadId}`, 404);
  }
  const file = store.files.put(input.data, "voice.oga", input.mimeType ?? "audio/ogg");
  const voice: TgVoice = {
    file_id: file.file_id,
    file_unique_id: file.file_unique_id,
    duration: input.durationSec,
    mime_type: file.mime_type,
    file_size: file.file_size,
  };
  const stored = store.appendMessage(state, false, (id, date) => ({
    ...composeMessage(state, from, id, date, { threadId: input.threadId }),
    voice,
  }));
  if (botSees(store, state, stored.message, privacyMode))
    store.updates.push("message", { message: structuredClone(stored.message) });
  return structuredClone(stored.message);
}

export function pressButton(store: Store, input: PressInput): TgCallbackQuery {
  const state = store.requireChat(input.chatId);
  const from = sender(store, state, input.from);
  const stored = store.liveMessage(state, input.messageId);
  if (!stored)
    throw new EmulatorError("emulator.no_such_message", `chat ${state.chat.id} has no message ${input.messageId}`, 404);
  const buttons = stored.message.reply_markup?.inline_keyboard.flat() ?? [];
  const button = buttons.find(
    (b) =>
      b.callback_data !== undefined &&
      (input.data !== undefined ? b.callback_data === input.data : b.text === input.text),
  );
  if (!button?.callback_data) {
    const wanted = input.data !== undefined ? `data "${input.data}"` : `text "${input.text ?? ""}"`;
    throw new EmulatorError(
      "emulator.no_such_button",
      `message ${input.messageId} has no callback button with ${wanted}`,
      404,
    );
  }
  const data = button.callback_data;
  const query = store.addCallback((id) => ({
    id,
    from: { ...from },
    message: structuredClone(stored.message),
    chat_instance: String(7_000_000_000_000 + Math.abs(state.chat.id)),
    data,
  }));
  store.updates.push("callback_query", { callback_query: structuredClone(query) });
  return structuredClone(query);
}

/** Opens a forum topic; returns its message_thread_id (the id of its creation message). */
export function addTopic(store: Store, chatId: number, name: string, fromUserId?: number): number {
  const state = store.requireChat(chatId);
  if (!state.chat.is_forum) throw new EmulatorError("emulator.not_forum", `chat ${chatId} is not a forum`);
  const creatorId = fromUserId ?? [...state.members].find(([, s]) => s === "creator")?.[0] ?? store.bot.id;
  const from = store.requireUser(creatorId);
  const stored = store.appendMessage(state, creatorId === store.bot.id, (id, date) => ({
    message_id: id,
    message_thread_id: id,
    from: { ...from },
    chat: { ...state.chat },
    date,
    is_topic_message: true,
    forum_topic_created: { name, icon_color: TOPIC_ICON_COLOR },
  }));
  state.topics.set(stored.message.message_id, name);
  if (creatorId !== store.bot.id) store.updates.push("message", { message: structuredClone(stored.message) });
  return stored.message.message_id;
}
