// Builds Message objects the way Telegram shapes them, for bot and user messages alike.
import type { ParsedText } from "./html.ts";
import { type ChatState, replySnapshot } from "./store.ts";
import type { TgDocument, TgInlineKeyboardMarkup, TgMessage, TgUser } from "./types.ts";

export interface MessageParts {
  threadId?: number;
  replyTo?: TgMessage;
  text?: ParsedText;
  caption?: ParsedText;
  document?: TgDocument;
  markup?: TgInlineKeyboardMarkup;
}

export function composeMessage(
  state: ChatState,
  from: TgUser,
  id: number,
  date: number,
  parts: MessageParts,
): TgMessage {
  const message: TgMessage = { message_id: id, from: { ...from }, chat: { ...state.chat }, date };
  if (parts.threadId !== undefined) {
    message.message_thread_id = parts.threadId;
    message.is_topic_message = true;
  }
  // Telegram quirk kept on purpose: a message in a forum topic that replies to nothing still carries
  // reply_to_message = the topic's creation message. Bots must not mistake it for a real reply.
  const topicStart = parts.threadId !== undefined ? state.messages.get(parts.threadId)?.message : undefined;
  const replyTo = parts.replyTo ?? topicStart;
  if (replyTo) message.reply_to_message = replySnapshot(replyTo);
  if (parts.text) {
    message.text = parts.text.text;
    if (parts.text.entities.length > 0) message.entities = parts.text.entities;
  }
  if (parts.document) message.document = { ...parts.document };
  if (parts.caption) {
    message.caption = parts.caption.text;
    if (parts.caption.entities.length > 0) message.caption_entities = parts.caption.entities;
  }
  if (parts.markup) message.reply_markup = parts.markup;
  return message;
}
