// The Bot API method table (method names are case-insensitive on Telegram) and the methods that do
// not write messages: getMe, getUpdates, answerCallbackQuery, sendChatAction, commands, webhook, chat
// and member info, getFile.
import { badRequest } from "./api-error.ts";
import { lookupChat, targetChat, threadOf } from "./bot-chat.ts";
import { deleteMessage, editMessageReplyMarkup, editMessageText, sendDocument, sendMessage } from "./bot-messages.ts";
import type { Params } from "./params.ts";
import type { Store } from "./store.ts";
import type { TgBotCommand, TgChatMember, TgFile, TgUpdate } from "./types.ts";
import { addTopic, TOPIC_ICON_COLOR } from "./user-side.ts";

export interface MethodContext {
  store: Store;
  /** Aborted when the client disconnects (ends a held getUpdates). */
  signal: AbortSignal;
}

export type MethodHandler = (p: Params, ctx: MethodContext) => unknown;

const CHAT_ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);

function getUpdates(p: Params, { store, signal }: MethodContext): Promise<TgUpdate[]> {
  const allowed = p.json("allowed_updates");
  if (allowed !== undefined && !(Array.isArray(allowed) && allowed.every((t) => typeof t === "string"))) {
    throw badRequest("can't parse allowed_updates JSON object");
  }
  return store.updates.get({
    offset: p.int("offset"),
    limit: p.int("limit"),
    timeout: p.int("timeout"),
    allowedUpdates: allowed,
    signal,
  });
}

function answerCallbackQuery(p: Params, { store }: MethodContext): true {
  const record = store.callbacks.get(p.string("callback_query_id") ?? "");
  if (!record || record.answer)
    throw badRequest("query is too old and response timeout expired or query ID is invalid");
  record.answer = { showAlert: p.bool("show_alert"), at: store.now() };
  const text = p.string("text");
  const url = p.string("url");
  const cacheTime = p.int("cache_time");
  if (text !== undefined) record.answer.text = text;
  if (url !== undefined) record.answer.url = url;
  if (cacheTime !== undefined) record.answer.cacheTime = cacheTime;
  store.bump();
  return true;
}

function sendChatAction(p: Params, { store }: MethodContext): true {
  const state = targetChat(p, store);
  const threadId = threadOf(p, state);
  const action = p.string("action") ?? "";
  if (!CHAT_ACTIONS.has(action)) throw badRequest("wrong parameter action in request");
  state.lastAction = { action, at: store.now() };
  if (threadId !== undefined) state.lastAction.threadId = threadId;
  store.touch(state);
  return true;
}

function commandsKey(p: Params): string {
  const scope = p.json("scope");
  const type =
    typeof scope === "object" && scope !== null && "type" in scope ? JSON.stringify(scope) : '{"type":"default"}';
  return `${type}|${p.string("language_code") ?? ""}`;
}

function setMyCommands(p: Params, { store }: MethodContext): true {
  const raw = p.json("commands");
  if (!Array.isArray(raw)) throw badRequest("can't parse commands JSON object");
  if (raw.length > 100) throw badRequest("BOT_COMMANDS_TOO_MUCH");
  const commands: TgBotCommand[] = raw.map((c: unknown) => {
    const cmd = c as Partial<TgBotCommand> | null;
    if (typeof cmd?.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(cmd.command))
      throw badRequest("BOT_COMMAND_INVALID");
    if (typeof cmd.description !== "string" || cmd.description.length < 1 || cmd.description.length > 256) {
      throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID");
    }
    return { command: cmd.command, description: cmd.description };
  });
  store.commands.set(commandsKey(p), commands);
  store.bump();
  return true;
}

function getMyCommands(p: Params, { store }: MethodContext): TgBotCommand[] {
  return store.commands.get(commandsKey(p)) ?? [];
}

function deleteMyCommands(p: Params, { store }: MethodContext): true {
  store.commands.delete(commandsKey(p));
  store.bump();
  return true;
}

function deleteWebhook(p: Params, { store }: MethodContext): true {
  if (p.bool("drop_pending_updates")) store.updates.dropPending();
  return true;
}

function getChat(p: Params, { store }: MethodContext): Record<string, unknown> {
  const { chat } = lookupChat(p, store);
  return { ...chat, accent_color_id: 0, max_reaction_count: 11 };
}

function getChatMember(p: Params, { store }: MethodContext): TgChatMember {
  const state = lookupChat(p, store);
  const userId = p.int("user_id");
  if (userId === undefined) throw badRequest("user_id is empty");
  const user = store.user(userId);
  if (!user) throw badRequest("user not found");
  const status = store.memberStatus(state, userId);
  const member: TgChatMember = { status, user: { ...user } };
  if (status === "creator") member.is_anonymous = false;
  if (status === "administrator")
    Object.assign(member, {
      can_be_edited: false,
      is_anonymous: false,
      can_manage_chat: true,
      can_delete_messages: true,
    });
  return member;
}

/** Forum topics need a forum and a bot that may manage topics (creator or administrator here). */
function topicChat(p: Params, store: Store) {
  const state = targetChat(p, store);
  if (!state.chat.is_forum) throw badRequest("the chat is not a forum");
  const status = store.memberStatus(state, store.bot.id);
  if (status !== "administrator" && status !== "creator") throw badRequest("not enough rights to manage topics");
  return state;
}

function topicName(p: Params): string {
  const name = p.string("name") ?? "";
  if (name.length < 1 || name.length > 128) throw badRequest("TOPIC_NAME_INVALID");
  return name;
}

function createForumTopic(
  p: Params,
  { store }: MethodContext,
): { message_thread_id: number; name: string; icon_color: number } {
  const state = topicChat(p, store);
  const name = topicName(p);
  const id = addTopic(store, state.chat.id, name, store.bot.id);
  return { message_thread_id: id, name, icon_color: TOPIC_ICON_COLOR };
}

function editForumTopic(p: Params, { store }: MethodContext): true {
  const state = topicChat(p, store);
  const id = p.int("message_thread_id");
  if (id === undefined || !state.topics.has(id)) throw badRequest("message thread not found");
  if (p.has("name")) state.topics.set(id, topicName(p));
  store.bump();
  return true;
}

function getFile(p: Params, { store }: MethodContext): TgFile {
  const file = store.files.file(p.string("file_id") ?? "");
  if (!file) throw badRequest("invalid file_id");
  return file;
}

const TABLE: Record<string, MethodHandler> = {
  getMe: (_p, { store }) => store.bot,
  getUpdates,
  sendMessage: (p, { store }) => sendMessage(p, store),
  editMessageText: (p, { store }) => editMessageText(p, store),
  editMessageReplyMarkup: (p, { store }) => editMessageReplyMarkup(p, store),
  deleteMessage: (p, { store }) => deleteMessage(p, store),
  sendDocument: (p, { store }) => sendDocument(p, store),
  answerCallbackQuery,
  sendChatAction,
  setMyCommands,
  getMyCommands,
  deleteMyCommands,
  deleteWebhook,
  getWebhookInfo: (_p, { store }) => ({
    url: "",
    has_custom_certificate: false,
    pending_update_count: store.updates.pendingCount,
  }),
  getChat,
  getChatMember,
  getFile,
  createForumTopic,
  editForumTopic,
};

const BY_LOWER = new Map(Object.entries(TABLE).map(([name, fn]) => [name.toLowerCase(), { name, fn }]));

/** The handler and canonical name for a method, matched case-insensitively as Telegram does. */
export function findMethod(name: string): { name: string; fn: MethodHandler } | undefined {
  return BY_LOWER.get(name.toLowerCase());
}

export const SUPPORTED_METHODS: readonly string[] = Object.keys(TABLE);
