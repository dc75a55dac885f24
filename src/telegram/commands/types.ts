// The shape of a chat command. Commands are small modules registered in one CommandRegistry, which is
// also the one list /help, setMyCommands and the unknown-command hint read.

import type { ChatOrigin } from "../../core/dispatch.ts";
import type { ButtonRows, ChatRef, DocumentInput, MessageRef } from "../../core/transport.ts";
import type { IncomingCallback, IncomingMessage } from "../incoming.ts";

export interface CommandRequest {
  m: IncomingMessage;
  /** Text after the command name, trimmed. */
  args: string;
  chat: ChatRef;
}

export interface ChatCommand {
  name: string;
  /** How it is typed, for /help: "/model [name|clear]". */
  usage: string;
  /** One line for /help and the Telegram command menu (at most 256 characters). */
  summary: string;
  /** Kept out of the Telegram command menu (still in /help). */
  unlisted?: boolean;
  run(req: CommandRequest): Promise<void>;
}

/** Button presses whose callback_data starts with `${prefix}:`; `rest` is what follows. */
export interface CallbackRoute {
  prefix: string;
  handle(q: IncomingCallback, rest: string): Promise<void>;
}

/** What commands need of the chat, implemented over the outbox by the composition root. */
export interface CommandKit {
  reply(chat: ChatRef, html: string, opts?: { replyTo?: number; buttons?: ButtonRows }): Promise<MessageRef>;
  edit(msg: MessageRef, html: string, buttons?: ButtonRows): Promise<void>;
  toast(callbackId: string, text: string, alert?: boolean): Promise<void>;
  /** A file in the chat (through the outbox), e.g. /export's Markdown document. */
  sendDocument(chat: ChatRef, doc: DocumentInput, opts?: { replyTo?: number }): Promise<MessageRef>;
  /** `transports.telegram.admin_user_ids` (default: the allowed users). */
  isBotAdmin(userId: number | undefined): boolean;
  /** Private chat, or a creator/administrator of the group. */
  mayChangeChat(chatId: number, chatType: string | undefined, userId: number | undefined): Promise<boolean>;
}

export function chatOf(m: { chatId: number; threadId?: number }): ChatRef {
  return m.threadId === undefined ? { chatId: m.chatId } : { chatId: m.chatId, threadId: m.threadId };
}

/** The chat (or topic) a message or button press belongs to, in core's terms. */
export function chatOriginOf(x: { chatId: number; chatType?: string; threadId?: number; userId?: number }): ChatOrigin {
  return {
    chatId: x.chatId,
    ...(x.chatType === undefined ? {} : { chatType: x.chatType }),
    ...(x.threadId === undefined ? {} : { threadId: x.threadId }),
    ...(x.userId === undefined ? {} : { userId: x.userId }),
  };
}
