// The Telegram adapter: long polling → access gate → controller, every write through the outbox.
// Startup: setMyCommands, backlog drained (not run; each chat told once), runs left over by a crash
// marked interrupted, a ready message. The services it uses (database, outbox, run manager,
// controller) are built by the composition root, cli/service.ts.

import type { TelegramApiError } from "../botapi/errors.ts";
import type { BotApiCall } from "../botapi/types.ts";
import type { LiveConfig } from "../config/live.ts";
import type { Config } from "../config/schema.ts";
import { logger } from "../log/logger.ts";
import type { StateDb } from "../state/db.ts";
import { VERSION } from "../version.ts";
import { type AccessPolicy, decideAccess } from "./access.ts";
import type { BotIdentity } from "./connect.ts";
import type { ChatController } from "./controller.ts";
import { originOf } from "./incoming.ts";
import type { OutboxTransport } from "./outbox.ts";
import type { PairingGate } from "./pairing.ts";
import { Poller } from "./poller.ts";
import { escapeHtml } from "./render.ts";
import { UpdateRouter } from "./router.ts";

/** Runs a crash or kill -9 left marked running: marked interrupted, their progress message says so. */
export async function markInterruptedRuns(db: StateDb, transport: OutboxTransport): Promise<void> {
  for (const r of db.unfinishedRuns()) {
    db.finishRun(r.id, "interrupted");
    if (r.progressMessageId !== null) {
      await transport.edit(
        { chatId: r.chatId, messageId: r.progressMessageId },
        "<b>interrupted</b> · Untether stopped before this run finished. Send the task again to retry.",
        [],
      );
    }
  }
}

export interface BotDeps {
  /** Access is re-read on reload: a user removed from the allowlist is refused from the next update on. */
  config: LiveConfig;
  call: BotApiCall;
  db: StateDb;
  transport: OutboxTransport;
  controller: ChatController;
  /** The Telegram command menu (setMyCommands), from the command registry. */
  commandMenu: { command: string; description: string }[];
  me: BotIdentity;
  engineIds: readonly string[];
  /** Problems with engines to list in the ready message. */
  engineNotes?: string[];
  /** Long-poll timeout in seconds (tests shorten it). */
  pollTimeoutSec?: number;
  /** Resolves on a stop request (SIGTERM): ends the wait for an unreachable Bot API at start. */
  stopped?: Promise<unknown>;
  /** `/pair <code>` from new users (see pairing.ts); absent, strangers' /pair is dropped like the rest. */
  pairing?: Pick<PairingGate, "handle">;
}

export interface RunningBot {
  username: string;
  /** Resolves when polling ended by itself (a revoked token): the error, or undefined. */
  fatal: Promise<TelegramApiError | undefined>;
  /** Stops polling (runs, outbox and database are the composition root's to stop). */
  stop(): Promise<void>;
}

export function accessPolicyOf(config: Config): AccessPolicy {
  const tg = config.transports.telegram;
  const chats = new Set<number>([tg.chat_id]);
  for (const p of Object.values(config.projects)) if (p.chat_id !== undefined) chats.add(p.chat_id);
  return {
    allowedUserIds: new Set(tg.allowed_user_ids),
    allowAnyUser: tg.allow_any_user === true,
    allowedChatIds: chats,
  };
}

/** The bot, polling; undefined when `deps.stopped` resolved while the Bot API was still unreachable. */
export async function startBot(deps: BotDeps): Promise<RunningBot | undefined> {
  const { call, db, transport, controller } = deps;
  const live = deps.config;
  const config = live.current();
  const tg = config.transports.telegram;
  let policy = accessPolicyOf(config);
  let inboundRate = tg.inbound_rate_per_minute;
  let forwardMs = tg.forward_coalesce_s * 1000;
  let albumMs = tg.media_group_debounce_s * 1000;
  live.onChange((next) => {
    policy = accessPolicyOf(next);
    inboundRate = next.transports.telegram.inbound_rate_per_minute;
    forwardMs = next.transports.telegram.forward_coalesce_s * 1000;
    albumMs = next.transports.telegram.media_group_debounce_s * 1000;
  });

  try {
    await call("setMyCommands", { commands: deps.commandMenu });
  } catch (e) {
    logger().warn({ error_code: (e as TelegramApiError).errorCode }, "telegram.set_commands_failed");
  }

  const router = new UpdateRouter({
    policy: () => policy,
    inboundRatePerMinute: () => inboundRate,
    forwardCoalesceMs: () => forwardMs,
    mediaGroupDebounceMs: () => albumMs,
    controller,
    ...(deps.pairing ? { pairing: deps.pairing } : {}),
    answerCallback: (id, text) => transport.answerCallback(id, text),
    notify: (chatId, threadId, html) => {
      transport
        .send(threadId === undefined ? { chatId } : { chatId, threadId }, html)
        .catch((e) => logger().warn({ error: (e as Error).message }, "telegram.flood_notice_failed"));
    },
  });
  const poller = new Poller({
    call,
    db,
    timeoutSec: deps.pollTimeoutSec ?? 30,
    onUpdate: (u) => router.take(u),
    reportChat: (u) => router.reportChat(u),
    onFatal: (e) => resolveFatal(e),
  });
  let resolveFatal!: (e: TelegramApiError | undefined) => void;
  const fatal = new Promise<TelegramApiError | undefined>((r) => (resolveFatal = r));

  // Messages sent while we were down are not run: a stale "deploy" is worse than a missed one.
  // So are the ones taken before a stop or a crash that never finished (the poller's ledger).
  const leftovers = poller.leftovers;
  const backlog = await poller.drainBacklog(undefined, deps.stopped);
  if (backlog === undefined) return undefined;
  const missed = new Map<number, number>();
  const counted = new Set<number>();
  for (const l of leftovers) {
    if (l.chatId === undefined) continue;
    counted.add(l.updateId);
    missed.set(l.chatId, (missed.get(l.chatId) ?? 0) + 1);
  }
  for (const u of backlog) {
    const origin = originOf(u);
    if (counted.has(u.update_id)) continue;
    if (origin.chatId === undefined || origin.isCallback || !decideAccess(policy, origin).allowed) continue;
    missed.set(origin.chatId, (missed.get(origin.chatId) ?? 0) + 1);
  }
  for (const [chatId, n] of missed) {
    await transport.send(
      { chatId },
      `While Untether was offline, ${n} message${n > 1 ? "s were" : " was"} sent here. ${n > 1 ? "They were" : "It was"} not run — send again what is still needed.`,
    );
  }
  const engines = [...deps.engineIds].sort().join(", ");
  const notes = deps.engineNotes?.length ? `\n${deps.engineNotes.map((n) => `• ${escapeHtml(n)}`).join("\n")}` : "";
  await transport
    .send(
      { chatId: tg.chat_id },
      `🟢 <b>Untether ${escapeHtml(VERSION)} is ready</b>\ndefault engine: <b>${escapeHtml(config.default_engine)}</b>\nengines: ${escapeHtml(engines)}${notes}`,
      { silent: true },
    )
    .catch((e) => logger().warn({ error: (e as Error).message }, "telegram.ready_message_failed"));
  poller.start();
  logger().info(
    {
      username: deps.me.username,
      engines: deps.engineIds,
      backlog_dropped: backlog.length,
      unfinished_before_stop: leftovers.length,
    },
    "bot.started",
  );

  return {
    username: deps.me.username,
    fatal,
    async stop() {
      await poller.stop();
      router.stop();
      resolveFatal(undefined);
    },
  };
}
