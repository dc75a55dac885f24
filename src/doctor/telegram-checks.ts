// Live Bot API checks: the token (getMe), the chat (getChat), another poller on the same token
// (getUpdates → 409) and, with topics on, forum chats where the bot may manage topics.

import type { TelegramUser } from "../botapi/types.ts";
import type { Config } from "../config/schema.ts";
import { runningLockOwner } from "../state/lock.ts";
import { type ApiResult, type ApiTarget, callApi } from "./telegram-api.ts";
import { type CheckResult, fail, ok, skip } from "./types.ts";

export interface TelegramCheckOptions {
  fetchImpl: typeof fetch;
  timeoutMs: number;
  conflictProbeSeconds: number;
  /** The instance lock of this config: while an untether holds it, the getUpdates probe is not run. */
  lockPath: string;
}

const TOKEN_FIX = "untether config set transports.telegram.bot_token - (then paste the token from @BotFather)";
const NETWORK_FIX = "check the network, or transports.telegram.api_base_url";

function networkFail(id: string, label: string, r: Extract<ApiResult<unknown>, { kind: "network" }>): CheckResult {
  return fail(id, label, `cannot reach the Bot API at ${r.host} (${r.reason})`, NETWORK_FIX);
}

function checkToken(r: ApiResult<TelegramUser>): CheckResult {
  const id = "telegram.token";
  const label = "bot token";
  if (r.kind === "network") return networkFail(id, label, r);
  if (r.kind === "api") {
    // Telegram answers 401 for a revoked token and 404 for a malformed one.
    const why = r.status === 401 || r.status === 404 ? "rejected by Telegram" : "getMe failed";
    return fail(id, label, `${why}: ${r.status} ${r.description}`, TOKEN_FIX);
  }
  const name = r.result.username ? `@${r.result.username}` : `id ${r.result.id}`;
  return ok(id, label, `${name} (id ${r.result.id})`);
}

async function checkChat(target: ApiTarget, chatId: number): Promise<CheckResult> {
  const id = "telegram.chat";
  const label = "chat_id";
  const r = await callApi(target, "getChat", { chat_id: chatId });
  if (r.kind === "network") return networkFail(id, label, r);
  if (r.kind === "api") {
    return fail(
      id,
      label,
      `chat ${chatId} unreachable: ${r.status} ${r.description}; the bot must be a member (send it a message, or add it to the group)`,
      "untether config set transports.telegram.chat_id <id printed by untether chat-id>",
    );
  }
  const title = r.result.title ? ` "${r.result.title}"` : "";
  return ok(id, label, `${r.result.type}${title} (${chatId})`);
}

async function checkPolling(target: ApiTarget, probeSeconds: number, lockPath: string): Promise<CheckResult> {
  const id = "telegram.polling";
  const label = "single poller";
  // The running bot is the poller: probing would end its long poll with a 409 (and an error in its log).
  const owner = runningLockOwner(lockPath);
  if (owner) {
    const since = owner.startedAt ? `, started ${owner.startedAt}` : "";
    return ok(id, label, `untether is running, pid ${owner.pid}${since} (it is the poller; getUpdates not probed)`);
  }
  // No offset: updates are only confirmed by a later call with an offset, so this consumes nothing.
  const r = await callApi(target, "getUpdates", { timeout: probeSeconds, limit: 1 });
  if (r.kind === "network") return networkFail(id, label, r);
  if (r.kind === "api") {
    if (r.status === 409 && /webhook/i.test(r.description)) {
      return fail(
        id,
        label,
        "a webhook is set for this token, so long polling is refused (409)",
        "remove the webhook: stop the service that set it, then run the Bot API method deleteWebhook",
      );
    }
    if (r.status === 409) {
      return fail(
        id,
        label,
        "another process is polling this bot token (409 Conflict)",
        "stop the other untether/bot using this token",
      );
    }
    return fail(id, label, `getUpdates failed: ${r.status} ${r.description}`, NETWORK_FIX);
  }
  const pending =
    Array.isArray(r.result) && r.result.length > 0 ? "; updates are waiting, so the probe returned early" : "";
  return ok(id, label, `no other process is polling this token${pending}`);
}

/** Chats that must be forums for the configured topics scope (behaviour: auto = projects if any bound). */
export function topicChats(config: Config): number[] {
  const tg = config.transports.telegram;
  const projectChats = Object.values(config.projects)
    .map((p) => p.chat_id)
    .filter((c): c is number => c !== undefined);
  const scope = tg.topics.scope === "auto" ? (projectChats.length > 0 ? "projects" : "main") : tg.topics.scope;
  const chats = scope === "main" ? [tg.chat_id] : scope === "projects" ? projectChats : [tg.chat_id, ...projectChats];
  return [...new Set(chats)];
}

async function checkTopics(target: ApiTarget, config: Config, botId: number): Promise<CheckResult> {
  const id = "telegram.topics";
  const label = "forum topics";
  const chats = topicChats(config);
  if (chats.length === 0) {
    return fail(id, label, 'topics.scope = "projects" but no project has a chat_id', "projects.<alias>.chat_id");
  }
  for (const chatId of chats) {
    const chat = await callApi(target, "getChat", { chat_id: chatId });
    if (chat.kind === "network") return networkFail(id, label, chat);
    if (chat.kind === "api")
      return fail(
        id,
        label,
        `chat ${chatId} unreachable: ${chat.status} ${chat.description}`,
        "transports.telegram.chat_id",
      );
    if (chat.result.is_forum !== true) {
      return fail(
        id,
        label,
        `chat ${chatId} is not a forum`,
        "turn on Topics in the group's settings, or untether config set transports.telegram.topics.enabled false",
      );
    }
    const member = await callApi(target, "getChatMember", { chat_id: chatId, user_id: botId });
    if (member.kind === "network") return networkFail(id, label, member);
    if (member.kind === "api")
      return fail(id, label, `cannot read the bot's rights in ${chatId}: ${member.description}`);
    const m = member.result;
    const canManage = m.status === "creator" || (m.status === "administrator" && m.can_manage_topics !== false);
    if (!canManage) {
      const why =
        m.status === "administrator"
          ? "is an admin without the Manage topics right"
          : `is not an admin (status ${m.status})`;
      return fail(
        id,
        label,
        `in chat ${chatId} the bot ${why}`,
        "promote the bot to admin with the Manage topics right",
      );
    }
  }
  return ok(
    id,
    label,
    `scope ${config.transports.telegram.topics.scope}: ${chats.length} forum chat(s), bot may manage topics`,
  );
}

/** At start with topics on: the same check as doctor's, so a bot never runs half-configured. */
export function topicsReadiness(config: Config, botId: number, fetchImpl: typeof fetch = fetch): Promise<CheckResult> {
  const tg = config.transports.telegram;
  return checkTopics(
    { baseUrl: tg.api_base_url, token: tg.bot_token.reveal(), fetchImpl, timeoutMs: 10_000 },
    config,
    botId,
  );
}

/**
 * With only a bot token in the file (set-up not finished, so the config does not load yet): the
 * token and the single-poller check still run; the chat is reported as skipped.
 */
export async function telegramTokenOnlyChecks(
  tg: { token: string; baseUrl: string; chatIdSet: boolean },
  opts: TelegramCheckOptions,
): Promise<CheckResult[]> {
  const target: ApiTarget = {
    baseUrl: tg.baseUrl,
    token: tg.token,
    fetchImpl: opts.fetchImpl,
    timeoutMs: opts.timeoutMs,
  };
  const me = await callApi(target, "getMe");
  const token = checkToken(me);
  const chatWhy = tg.chatIdSet ? "the config did not load" : "chat_id is not set yet";
  if (me.kind !== "ok") {
    const why = me.kind === "network" ? "Bot API unreachable" : "token invalid";
    return [token, skip("telegram.chat", "chat_id", chatWhy), skip("telegram.polling", "single poller", why)];
  }
  return [
    token,
    skip("telegram.chat", "chat_id", chatWhy),
    await checkPolling(target, opts.conflictProbeSeconds, opts.lockPath),
  ];
}

export async function telegramChecks(config: Config, opts: TelegramCheckOptions): Promise<CheckResult[]> {
  const tg = config.transports.telegram;
  const target: ApiTarget = {
    baseUrl: tg.api_base_url,
    token: tg.bot_token.reveal(),
    fetchImpl: opts.fetchImpl,
    timeoutMs: opts.timeoutMs,
  };
  const me = await callApi(target, "getMe");
  const token = checkToken(me);
  if (me.kind !== "ok") {
    const why = me.kind === "network" ? "Bot API unreachable" : "token invalid";
    const rest = [skip("telegram.chat", "chat_id", why), skip("telegram.polling", "single poller", why)];
    if (tg.topics.enabled) rest.push(skip("telegram.topics", "forum topics", why));
    return [token, ...rest];
  }
  const results = [
    token,
    await checkChat(target, tg.chat_id),
    await checkPolling(target, opts.conflictProbeSeconds, opts.lockPath),
  ];
  results.push(
    tg.topics.enabled
      ? await checkTopics(target, config, me.result.id)
      : ok("telegram.topics", "forum topics", "disabled"),
  );
  return results;
}
