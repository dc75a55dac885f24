// Bot API methods that write messages: sendMessage, sendDocument, editMessageText,
// editMessageReplyMarkup, deleteMessage — with Telegram's validation and error texts.
import { ApiError, badRequest } from "./api-error.ts";
import { entitiesParam, messageIdParam, replyTarget, targetChat, threadOf } from "./bot-chat.ts";
import { composeMessage } from "./compose.ts";
import { inlineKeyboard } from "./markup.ts";
import { captionText, messageText } from "./message-text.ts";
import type { Params } from "./params.ts";
import { botAsUser, type ChatState, type Store, type StoredMessage } from "./store.ts";
import type { TgDocument, TgInlineKeyboardMarkup, TgMessage } from "./types.ts";

const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
const NOT_MODIFIED =
  "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

export function sendMessage(p: Params, store: Store): TgMessage {
  const state = targetChat(p, store);
  const threadId = threadOf(p, state);
  const text = messageText(p.string("text"), p.string("parse_mode"), entitiesParam(p, "entities"));
  const markup = inlineKeyboard(p.json("reply_markup"));
  const replyTo = replyTarget(p, state, store);
  const stored = store.appendMessage(
    state,
    true,
    (id, date) => composeMessage(state, botAsUser(store.bot), id, date, { threadId, replyTo, text, markup }),
    text,
  );
  return stored.message;
}

export async function sendDocument(p: Params, store: Store): Promise<TgMessage> {
  const state = targetChat(p, store);
  const threadId = threadOf(p, state);
  const caption = captionText(p.string("caption"), p.string("parse_mode"), entitiesParam(p, "caption_entities"));
  const markup = inlineKeyboard(p.json("reply_markup"));
  const replyTo = replyTarget(p, state, store);
  const document = await documentParam(p, store);
  const stored = store.appendMessage(
    state,
    true,
    (id, date) =>
      composeMessage(state, botAsUser(store.bot), id, date, { threadId, replyTo, caption, document, markup }),
    caption,
  );
  return stored.message;
}

async function documentParam(p: Params, store: Store): Promise<TgDocument> {
  const file = p.file("document");
  if (file) {
    if (file.size === 0) throw badRequest("file must be non-empty");
    if (file.size > MAX_UPLOAD_BYTES) throw new ApiError(413, "Request Entity Too Large");
    const bytes = new Uint8Array(await file.arrayBuffer());
    return store.files.put(bytes, file.name || "document", file.type);
  }
  const ref = p.string("document");
  if (ref === undefined || ref === "") throw badRequest("there is no document in the request");
  // A file_id of an earlier upload is reused; URLs would need the internet, which the emulator never uses.
  const known = store.files.document(ref);
  if (!known) throw badRequest("wrong file identifier/HTTP URL specified");
  return known;
}

function editable(p: Params, store: Store, missing: string): { state: ChatState; stored: StoredMessage } {
  const state = targetChat(p, store);
  const stored = store.liveMessage(state, messageIdParam(p));
  if (!stored) throw badRequest(missing);
  if (!stored.fromBot) throw badRequest("message can't be edited");
  return { state, stored };
}

const sameMarkup = (a?: TgInlineKeyboardMarkup, b?: TgInlineKeyboardMarkup): boolean =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function editMessageText(p: Params, store: Store): TgMessage {
  const { state, stored } = editable(p, store, "message to edit not found");
  const m = stored.message;
  if (m.text === undefined) throw badRequest("there is no text in the message to edit");
  const text = messageText(p.string("text"), p.string("parse_mode"), entitiesParam(p, "entities"));
  // Omitting reply_markup removes the keyboard, as on Telegram.
  const markup = inlineKeyboard(p.json("reply_markup"));
  const sameText = m.text === text.text && JSON.stringify(m.entities ?? []) === JSON.stringify(text.entities);
  if (sameText && sameMarkup(m.reply_markup, markup)) throw badRequest(NOT_MODIFIED);
  m.text = text.text;
  if (text.entities.length > 0) m.entities = text.entities;
  else delete m.entities;
  setMarkup(m, markup);
  stored.raw = text.raw;
  if (text.parseMode) stored.parseMode = text.parseMode;
  else delete stored.parseMode;
  markEdited(store, state, stored);
  return m;
}

export function editMessageReplyMarkup(p: Params, store: Store): TgMessage {
  const { state, stored } = editable(p, store, "message to edit not found");
  const markup = inlineKeyboard(p.json("reply_markup"));
  if (sameMarkup(stored.message.reply_markup, markup)) throw badRequest(NOT_MODIFIED);
  setMarkup(stored.message, markup);
  markEdited(store, state, stored);
  return stored.message;
}

function setMarkup(m: TgMessage, markup: TgInlineKeyboardMarkup | undefined): void {
  if (markup) m.reply_markup = markup;
  else delete m.reply_markup;
}

function markEdited(store: Store, state: ChatState, stored: StoredMessage): void {
  stored.message.edit_date = store.unixNow();
  stored.edits++;
  store.touch(state);
}

export function deleteMessage(p: Params, store: Store): true {
  const state = targetChat(p, store);
  const stored = store.liveMessage(state, messageIdParam(p));
  if (!stored) throw badRequest("message to delete not found");
  const botStatus = store.memberStatus(state, store.bot.id);
  const mayDeleteOthers = state.chat.type === "private" || botStatus === "administrator" || botStatus === "creator";
  if (!stored.fromBot && !mayDeleteOthers) throw badRequest("message can't be deleted");
  stored.deleted = true;
  store.touch(state);
  return true;
}
