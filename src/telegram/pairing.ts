// `/pair <code>` from someone the access gate does not know yet: the one narrow exception to "a
// stranger gets nothing". Only a private chat with the sender, only the exact text `/pair` + one space
// + six digits; anything else from a stranger is dropped as before. Wrong codes are rate-limited for
// everyone together (the sixth wrong attempt within a minute is refused without being checked), and
// every attempt is logged with the user — never with the code.
import { addAllowedUser } from "../config/allow-user.ts";
import { logger } from "../log/logger.ts";
import type { StateDb } from "../state/db.ts";
import { type PairRedeem, redeemPairCode } from "../state/pair-codes.ts";
import type { ChatCommand, CommandKit } from "./commands/types.ts";
import type { IncomingMessage } from "./incoming.ts";
import { escapeHtml } from "./render.ts";

const PAIR_TEXT_RE = /^\/pair (\d{6})$/;
export const PAIR_WRONG_PER_MINUTE = 5;

/** The code of a pairing attempt: a private chat with its sender and exactly `/pair <6 digits>`. */
export function pairAttemptCode(m: IncomingMessage): string | undefined {
  if (m.chatType !== "private" || m.userId === undefined || m.chatId !== m.userId) return undefined;
  if (m.threadId !== undefined || m.document !== undefined || m.voice !== undefined) return undefined;
  return PAIR_TEXT_RE.exec(m.text)?.[1];
}

export interface PairSender {
  firstName?: string;
  username?: string;
}

export interface PairingDeps {
  redeem(code: string, now: number): PairRedeem;
  /** Writes the user into allowed_user_ids and applies it; false when they were already listed. */
  allow(userId: number): Promise<boolean> | boolean;
  reply(chatId: number, html: string): Promise<void>;
  /** The owner's chat (chat_id). */
  tellOwner(html: string): Promise<void>;
  now?: () => number;
}

export class PairingGate {
  readonly #d: PairingDeps;
  readonly #now: () => number;
  /** Times of recent wrong (or refused) attempts, for everyone together. */
  #wrong: number[] = [];
  /** The current limited window's refusal was already told. */
  #limitTold = false;

  constructor(deps: PairingDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  async handle(m: IncomingMessage, code: string, from: PairSender = {}): Promise<void> {
    const userId = m.userId as number;
    const now = this.#now();
    this.#wrong = this.#wrong.filter((t) => now - t < 60_000);
    if (this.#wrong.length >= PAIR_WRONG_PER_MINUTE) {
      // Strangers must not make the bot talk without bound: the first refusal of a window is told and
      // logged, the rest of a flood is dropped like any stranger's message.
      if (this.#limitTold) return;
      this.#limitTold = true;
      logger().warn({ user_id: userId, reason: "rate_limited" }, "pair.refused");
      await this.#d.reply(m.chatId, "⏳ Too many pairing attempts. Wait a minute, then try again.");
      return;
    }
    this.#limitTold = false;
    const result = this.#d.redeem(code, now);
    if (result !== "ok") {
      this.#wrong.push(now);
      logger().warn({ user_id: userId, reason: result }, "pair.refused");
      const why =
        result === "expired"
          ? "This pairing code has expired. Ask the owner for a new one (untether pair)."
          : "That pairing code is not valid. Ask the owner for a new one (untether pair).";
      await this.#d.reply(m.chatId, `🚫 ${why}`);
      return;
    }
    let added: boolean;
    try {
      added = await this.#d.allow(userId);
    } catch (e) {
      logger().error({ user_id: userId, error: (e as Error).message }, "pair.write_failed");
      await this.#d.reply(m.chatId, "⚠️ Pairing failed: the config could not be written. Tell the owner.");
      await this.#d.tellOwner(`⚠️ Pairing of user <code>${userId}</code> failed: ${escapeHtml((e as Error).message)}`);
      return;
    }
    logger().info({ user_id: userId, added }, "pair.added");
    const name = [from.firstName, from.username ? `@${from.username}` : undefined].filter(Boolean).join(" ");
    await this.#d.reply(m.chatId, "✅ Paired. You can send tasks to this bot now.");
    await this.#d.tellOwner(
      `👤 ${escapeHtml(name || "A user")} (id <code>${userId}</code>) paired with a code and was added to <code>allowed_user_ids</code>.`,
    );
  }
}

/** The gate as the running bot wires it: the state database's code, the config file, the owner's chat. */
export function createPairing(d: {
  db: StateDb;
  configPath: string;
  env: Record<string, string | undefined>;
  send(chatId: number, html: string): Promise<unknown>;
  ownerChatId: number;
  /** Applies the edited file at once (the config watcher's reload). */
  reload(): void;
}): PairingGate {
  return new PairingGate({
    redeem: (code, now) => redeemPairCode(d.db, code, now),
    allow: (userId) => {
      const added = addAllowedUser(d.configPath, userId, d.env);
      d.reload();
      return added;
    },
    reply: async (chatId, html) => {
      await d.send(chatId, html);
    },
    tellOwner: async (html) => {
      await d.send(d.ownerChatId, html);
    },
  });
}

/** `/pair` from someone already allowed: nothing to do, said so (the registry's entry). */
export function pairCommand(kit: Pick<CommandKit, "reply">): ChatCommand {
  return {
    name: "pair",
    usage: "/pair <code>",
    summary: "for new users: join with a code from `untether pair` (in a private chat)",
    unlisted: true,
    run: async ({ m, chat }) => {
      await kit.reply(chat, "You already have access: there is nothing to pair.", { replyTo: m.messageId });
    },
  };
}
