// Resolving chat_id, message_thread_id and reply targets for bot calls, with Telegram's errors.
import { ApiError, badRequest } from "./api-error.ts";
import type { Params } from "./params.ts";
import type { ChatState, Store } from "./store.ts";
import type { TgMessage, TgMessageEntity } from "./types.ts";

/** The chat a bot call targets; the bot must be able to write there. */
export function targetChat(p: Params, store: Store): ChatState {
  const state = lookupChat(p, store);
  const status = store.memberStatus(state, store.bot.id);
  if (state.chat.type === "private" && status === "kicked")
    throw new ApiError(403, "Forbidden: bot was blocked by the user");
  if (state.chat.type !== "private" && (status === "left" || status === "kicked")) {
    throw new ApiError(
      403,
      status === "kicked"
        ? `Forbidden: bot was kicked from the ${state.chat.type} chat`
        : `Forbidden: bot is not a member of the ${state.chat.type} chat`,
    );
  }
  return state;
}

/** chat_id as an integer or "@username"; read-only lookups (getChat) do not need membership. */
export function lookupChat(p: Params, store: Store): ChatState {
  const raw = p.string("chat_id");
  if (raw === undefined || raw === "") throw badRequest("chat_id is empty");
  const id = p.int("chat_id");
  const state = id !== undefined ? store.chat(id) : raw.startsWith("@") ? store.chatByUsername(raw) : undefined;
  if (!state) throw badRequest("chat not found");
  return state;
}

export function threadOf(p: Params, state: ChatState): number | undefined {
  if (!p.has("message_thread_id")) return undefined;
  const id = p.int("message_thread_id");
  if (id === undefined || !state.chat.is_forum || !state.topics.has(id)) throw badRequest("message thread not found");
  return id;
}

/** reply_parameters or the older reply_to_message_id; undefined when not replying. */
export function replyTarget(p: Params, state: ChatState, store: Store): TgMessage | undefined {
  const params = p.json("reply_parameters");
  let id = p.int("reply_to_message_id");
  let allowMissing = p.bool("allow_sending_without_reply");
  if (typeof params === "object" && params !== null && "message_id" in params) {
    const rp = params as { message_id?: unknown; allow_sending_without_reply?: unknown };
    id = typeof rp.message_id === "number" ? rp.message_id : undefined;
    allowMissing = rp.allow_sending_without_reply === true;
  }
  if (id === undefined) return undefined;
  const target = store.liveMessage(state, id);
  if (target) return target.message;
  if (allowMissing) return undefined;
  throw badRequest("message to be replied not found");
}

/** Explicit entities (used only without parse_mode). */
export function entitiesParam(p: Params, name: string): TgMessageEntity[] | undefined {
  const raw = p.json(name);
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw badRequest(`can't parse ${name} JSON object`);
  return raw.filter(
    (e): e is TgMessageEntity =>
      typeof e === "object" &&
      e !== null &&
      typeof e.type === "string" &&
      typeof e.offset === "number" &&
      typeof e.length === "number",
  );
}

export function messageIdParam(p: Params): number {
  if (p.has("inline_message_id")) throw badRequest("MESSAGE_ID_INVALID");
  const id = p.int("message_id");
  if (id === undefined) throw badRequest("message identifier is not specified");
  return id;
}
