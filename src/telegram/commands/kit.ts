// The CommandKit over the outbox and the Bot API: replies, in-place edits, toasts and who may do what.

import type { BotApiCall } from "../../botapi/types.ts";
import type { Config } from "../../config/schema.ts";
import { isBotAdmin } from "../access.ts";
import type { OutboxTransport } from "../outbox.ts";
import type { CommandKit } from "./types.ts";

export function createCommandKit(deps: {
  transport: OutboxTransport;
  call: BotApiCall;
  config: () => Config;
}): CommandKit {
  const { transport, call } = deps;
  return {
    reply: (chat, html, opts) => transport.send(chat, html, opts),
    edit: (msg, html, buttons) => transport.edit(msg, html, buttons ?? []),
    toast: (id, text, alert) => transport.answerCallback(id, text, alert),
    sendDocument: (chat, doc, opts) => transport.sendDocument(chat, doc, opts),
    isBotAdmin: (userId) => isBotAdmin(deps.config().transports.telegram, userId),
    async mayChangeChat(chatId, chatType, userId) {
      if (chatType === "private") return true;
      if (userId === undefined) return false;
      try {
        const m = await call("getChatMember", { chat_id: chatId, user_id: userId });
        return m.status === "creator" || m.status === "administrator";
      } catch {
        return false;
      }
    },
  };
}
