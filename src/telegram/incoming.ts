// Raw Telegram updates → the few fields we act on, validated with TypeBox at the edge. Anything that
// does not fit (an edited message, a channel post, a sticker) is ignored, never half-handled.
import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { TelegramUpdate } from "../botapi/types.ts";

const User = Type.Object({
  id: Type.Integer(),
  is_bot: Type.Optional(Type.Boolean()),
  username: Type.Optional(Type.String()),
  first_name: Type.Optional(Type.String()),
});
const Chat = Type.Object({
  id: Type.Integer(),
  type: Type.String(),
  title: Type.Optional(Type.String()),
  is_forum: Type.Optional(Type.Boolean()),
});
const Document = Type.Object({
  file_id: Type.String(),
  file_name: Type.Optional(Type.String()),
  file_size: Type.Optional(Type.Integer()),
  mime_type: Type.Optional(Type.String()),
});
const Voice = Type.Object({
  file_id: Type.String(),
  duration: Type.Integer(),
  file_size: Type.Optional(Type.Integer()),
  mime_type: Type.Optional(Type.String()),
});
const PhotoSize = Type.Object({
  file_id: Type.String(),
  width: Type.Integer(),
  height: Type.Integer(),
  file_size: Type.Optional(Type.Integer()),
});
const Video = Type.Object({
  file_id: Type.String(),
  file_name: Type.Optional(Type.String()),
  file_size: Type.Optional(Type.Integer()),
  mime_type: Type.Optional(Type.String()),
});
const OriginChat = Type.Object({
  title: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  first_name: Type.Optional(Type.String()),
});
// Bot API 7.0+ MessageOrigin: user, hidden_user, chat (sender_chat) and channel (chat).
const ForwardOrigin = Type.Object({
  type: Type.String(),
  date: Type.Integer(),
  sender_user: Type.Optional(User),
  sender_user_name: Type.Optional(Type.String()),
  sender_chat: Type.Optional(OriginChat),
  chat: Type.Optional(OriginChat),
  author_signature: Type.Optional(Type.String()),
});
const ReplyTarget = Type.Object({
  message_id: Type.Integer(),
  from: Type.Optional(User),
  text: Type.Optional(Type.String()),
  caption: Type.Optional(Type.String()),
});
const Message = Type.Object({
  message_id: Type.Integer(),
  date: Type.Optional(Type.Integer()),
  chat: Chat,
  from: Type.Optional(User),
  message_thread_id: Type.Optional(Type.Integer()),
  is_topic_message: Type.Optional(Type.Boolean()),
  text: Type.Optional(Type.String()),
  caption: Type.Optional(Type.String()),
  document: Type.Optional(Document),
  voice: Type.Optional(Voice),
  photo: Type.Optional(Type.Array(PhotoSize)),
  video: Type.Optional(Video),
  media_group_id: Type.Optional(Type.String()),
  forward_origin: Type.Optional(ForwardOrigin),
  reply_to_message: Type.Optional(ReplyTarget),
});
const CallbackQuery = Type.Object({
  id: Type.String(),
  from: User,
  data: Type.Optional(Type.String()),
  message: Type.Optional(
    Type.Object({ message_id: Type.Integer(), chat: Chat, message_thread_id: Type.Optional(Type.Integer()) }),
  ),
});

type TgDocument = Static<typeof Document>;
type TgVoice = Static<typeof Voice>;
type TgPhotoSize = Static<typeof PhotoSize>;
type TgVideo = Static<typeof Video>;
type TgForwardOrigin = Static<typeof ForwardOrigin>;

/** Where a forwarded message came from, as shown to the agent. */
export interface ForwardInfo {
  /** "Alice (@alice)", "Ops chat", "a hidden user"… */
  from: string;
  /** Unix seconds of the original message. */
  date: number;
}

export interface IncomingMessage {
  kind: "message";
  updateId: number;
  chatId: number;
  chatType: string;
  threadId?: number;
  messageId: number;
  /** When Telegram received the message (epoch seconds), when it says. */
  date?: number;
  userId?: number;
  text: string;
  document?: TgDocument;
  voice?: TgVoice;
  /** Every size Telegram offers of a photo; files.ts picks the largest within the download limit. */
  photo?: TgPhotoSize[];
  video?: TgVideo;
  /** Items of one album share it (telegram/coalescer.ts joins them). */
  mediaGroupId?: string;
  /** Set on a forwarded message. */
  forward?: ForwardInfo;
  replyTo?: { messageId: number; text: string; fromBot: boolean };
  /** A whole album (coalescer.ts): every item, this message first among them. */
  album?: IncomingMessage[];
  /** Forwarded messages that came just before this one (coalescer.ts), oldest first. */
  forwarded?: IncomingMessage[];
}

export interface IncomingCallback {
  kind: "callback";
  updateId: number;
  callbackId: string;
  userId: number;
  data: string;
  chatId?: number;
  chatType?: string;
  threadId?: number;
  messageId?: number;
}

export type Incoming = IncomingMessage | IncomingCallback;

export function parseUpdate(update: TelegramUpdate): Incoming | undefined {
  const updateId = typeof update.update_id === "number" ? update.update_id : -1;
  // Checked as untrusted input: the types say what Telegram promises, the schema what we rely on.
  const message: unknown = update.message;
  const callback: unknown = update.callback_query;
  if (message !== undefined && Value.Check(Message, message)) {
    const m = message;
    const reply = m.reply_to_message;
    // In forum topics every message "replies" to the topic root; that is not a real reply.
    const realReply = reply && !(m.is_topic_message && reply.message_id === m.message_thread_id);
    return {
      kind: "message",
      updateId,
      chatId: m.chat.id,
      chatType: m.chat.type,
      threadId: m.is_topic_message ? m.message_thread_id : undefined,
      messageId: m.message_id,
      ...(m.date === undefined ? {} : { date: m.date }),
      userId: m.from?.id,
      text: m.text ?? m.caption ?? "",
      document: m.document,
      voice: m.voice,
      ...(m.photo && m.photo.length > 0 ? { photo: m.photo } : {}),
      ...(m.video ? { video: m.video } : {}),
      ...(m.media_group_id ? { mediaGroupId: m.media_group_id } : {}),
      ...(m.forward_origin ? { forward: forwardInfo(m.forward_origin) } : {}),
      replyTo:
        realReply && reply
          ? {
              messageId: reply.message_id,
              text: reply.text ?? reply.caption ?? "",
              fromBot: reply.from?.is_bot === true,
            }
          : undefined,
    };
  }
  if (callback !== undefined && Value.Check(CallbackQuery, callback)) {
    const q = callback;
    return {
      kind: "callback",
      updateId,
      callbackId: q.id,
      userId: q.from.id,
      data: q.data ?? "",
      chatId: q.message?.chat.id,
      chatType: q.message?.chat.type,
      threadId: q.message?.message_thread_id,
      messageId: q.message?.message_id,
    };
  }
  return undefined;
}

function forwardInfo(o: TgForwardOrigin): ForwardInfo {
  const person = (u: { first_name?: string; username?: string } | undefined): string | undefined => {
    const name = u?.first_name?.trim();
    const handle = u?.username ? `@${u.username}` : undefined;
    if (name && handle) return `${name} (${handle})`;
    return name || handle;
  };
  const chat = o.sender_chat ?? o.chat;
  const chatName = chat ? (chat.title ?? person(chat)) : undefined;
  const signed = o.author_signature ? ` (${o.author_signature})` : "";
  const from =
    (o.sender_user ? person(o.sender_user) : undefined) ??
    o.sender_user_name ??
    (chatName !== undefined ? `${chatName}${signed}` : undefined) ??
    "an unknown sender";
  return { from, date: o.date };
}

function isObject(v: unknown): v is object {
  return typeof v === "object" && v !== null;
}

/** The origin fields the access gate needs, from any raw update (also ones we do not handle). */
export function originOf(update: TelegramUpdate): {
  chatId?: number;
  chatType?: string;
  userId?: number;
  isCallback: boolean;
} {
  const parsed = parseUpdate(update);
  if (parsed)
    return {
      chatId: parsed.chatId,
      chatType: parsed.chatType,
      userId: parsed.userId,
      isCallback: parsed.kind === "callback",
    };
  for (const v of Object.values(update)) {
    if (isObject(v) && "chat" in v) {
      const chat = isObject(v.chat) ? v.chat : {};
      const from = "from" in v && isObject(v.from) ? v.from : {};
      return {
        chatId: "id" in chat && typeof chat.id === "number" ? chat.id : undefined,
        chatType: "type" in chat && typeof chat.type === "string" ? chat.type : undefined,
        userId: "id" in from && typeof from.id === "number" ? from.id : undefined,
        isCallback: false,
      };
    }
  }
  return { isCallback: false };
}
