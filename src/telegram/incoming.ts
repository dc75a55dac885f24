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

export type TgMessage = Static<typeof Message>;
export type TgCallbackQuery = Static<typeof CallbackQuery>;
export type TgDocument = Static<typeof Document>;
export type TgVoice = Static<typeof Voice>;

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
  replyTo?: { messageId: number; text: string; fromBot: boolean };
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
