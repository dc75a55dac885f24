// The access gate: the first thing every update meets. Only allowlisted senders in allowed chats get
// through; everything else is dropped without a reply (an info log naming the key to change,
// rate-limited so a flood cannot fill logs).
import { logger } from "../log/logger.ts";

export interface AccessPolicy {
  allowedUserIds: ReadonlySet<number>;
  allowAnyUser: boolean;
  /** The main chat and every project chat. Private chats of allowed users are always allowed. */
  allowedChatIds: ReadonlySet<number>;
}

export interface UpdateOrigin {
  chatId?: number;
  chatType?: string;
  userId?: number;
  isCallback: boolean;
}

export type AccessDecision =
  | { allowed: true }
  | { allowed: false; reason: "chat_not_allowed" | "no_sender" | "sender_not_allowed"; toast: boolean };

export function isAllowedUser(policy: AccessPolicy, userId: number | undefined): boolean {
  if (policy.allowAnyUser) return true;
  return userId !== undefined && policy.allowedUserIds.has(userId);
}

export function isAllowedChat(
  policy: AccessPolicy,
  chatId: number,
  chatType: string | undefined,
  userId?: number,
): boolean {
  if (policy.allowedChatIds.has(chatId)) return true;
  if (chatType !== "private") return false;
  // A private chat's id is the user's id.
  return policy.allowAnyUser || (userId !== undefined && policy.allowedUserIds.has(userId) && chatId === userId);
}

export function decideAccess(policy: AccessPolicy, origin: UpdateOrigin): AccessDecision {
  if (origin.chatId === undefined || !isAllowedChat(policy, origin.chatId, origin.chatType, origin.userId)) {
    return { allowed: false, reason: "chat_not_allowed", toast: false };
  }
  if (origin.userId === undefined) {
    return policy.allowAnyUser ? { allowed: true } : { allowed: false, reason: "no_sender", toast: false };
  }
  if (!isAllowedUser(policy, origin.userId)) {
    // A stranger's button press in an allowed chat is answered with a toast so the press does not spin
    // forever on their phone; their messages get no reply at all.
    return { allowed: false, reason: "sender_not_allowed", toast: origin.isCallback };
  }
  return { allowed: true };
}

/** The config key that would let this update in (said in the log so the owner knows what to change). */
export function dropFix(reason: string, origin: UpdateOrigin): string {
  switch (reason) {
    case "chat_not_allowed":
      return origin.chatType === "private" && origin.userId !== undefined
        ? `to let this user in, add ${origin.userId} to transports.telegram.allowed_user_ids (or run: untether pair)`
        : `to use this chat, set transports.telegram.chat_id (or a project's projects.<alias>.chat_id) to ${origin.chatId}`;
    case "sender_not_allowed":
      return `to let this user in, add ${origin.userId} to transports.telegram.allowed_user_ids (or run: untether pair)`;
    default:
      return "messages without a sender (anonymous admins, channels) are only taken with transports.telegram.allow_any_user";
  }
}

/**
 * Logs dropped updates at info with the chat, the user and the key to change: one line a minute per
 * (reason, chat, user), at most `perMinute` lines a minute in all, so a flood cannot fill the logs.
 */
export class DropLogger {
  #windowStart = 0;
  #count = 0;
  #suppressed = 0;
  readonly #seen = new Set<string>();

  readonly #perMinute: number;
  readonly #now: () => number;

  constructor(perMinute = 20, now: () => number = Date.now) {
    this.#perMinute = perMinute;
    this.#now = now;
  }

  log(reason: string, origin: UpdateOrigin): void {
    const t = this.#now();
    if (t - this.#windowStart >= 60_000) {
      if (this.#suppressed > 0) logger().info({ suppressed: this.#suppressed }, "access.dropped_suppressed");
      this.#windowStart = t;
      this.#count = 0;
      this.#suppressed = 0;
      this.#seen.clear();
    }
    const key = `${reason}:${origin.chatId}:${origin.userId}`;
    if (this.#seen.has(key) || this.#count >= this.#perMinute) {
      this.#suppressed++;
      return;
    }
    this.#seen.add(key);
    this.#count++;
    logger().info(
      { reason, user_id: origin.userId, chat_id: origin.chatId, fix: dropFix(reason, origin) },
      "access.update_dropped",
    );
  }
}

/** Bot admins: `admin_user_ids` when set, else everyone in `allowed_user_ids` (never "any user"). */
export function isBotAdmin(
  tg: { admin_user_ids?: readonly number[]; allowed_user_ids: readonly number[] },
  userId: number | undefined,
): boolean {
  if (userId === undefined) return false;
  return (tg.admin_user_ids ?? tg.allowed_user_ids).includes(userId);
}
