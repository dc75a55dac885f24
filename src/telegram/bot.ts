// The bot: Telegram long polling → access gate → controller → runs, with every write through the
// outbox. Startup: getMe, setMyCommands, backlog drained (not run; each chat told once), runs left
// over by a crash marked interrupted, a ready message. Shutdown: stop polling, grace period, cancel.
import { join } from "node:path";
import type { LiveConfig } from "../config/live.ts";
import type { Config } from "../config/schema.ts";
import { CostBudget } from "../core/cost-budget.ts";
import { preambleFor } from "../core/preamble.ts";
import { RunManager, type EngineLauncher, type RunRequest, type RunResult } from "../core/runs.ts";
import type { EngineDefinition } from "../engines/types.ts";
import { logger } from "../log/logger.ts";
import { StateDb } from "../state/db.ts";
import { VERSION } from "../version.ts";
import { decideAccess, DropLogger, type AccessPolicy } from "./access.ts";
import { TelegramApiError, type ApiCall } from "./api.ts";
import { ChatController, type FileHandler } from "./controller.ts";
import { originOf, parseUpdate, type IncomingMessage } from "./incoming.ts";
import { OutboxTransport } from "./outbox.ts";
import { Poller, type TelegramUpdate } from "./poller.ts";
import { createRunViewFactory } from "./presenter.ts";
import { escapeHtml } from "./render.ts";
import type { VoiceHandler } from "./voice.ts";

export class BotStartError extends Error {}

export interface BotDeps {
  /** Hot keys (access, progress, footer, preamble, budget) are read through current() on each use. */
  config: LiveConfig;
  call: ApiCall;
  engines: ReadonlyMap<string, EngineDefinition>;
  launcher: EngineLauncher;
  /** Directory of the state database (the config's directory). */
  stateDir: string;
  defaultCwd: string;
  /** Problems with engines to list in the ready message. */
  engineNotes?: string[];
  createFiles?(ctx: { transport: OutboxTransport; call: ApiCall; isAllowedUser(id: number): boolean }): FileHandler;
  createVoice?(ctx: { transport: OutboxTransport }): VoiceHandler;
  afterRun?(req: RunRequest, result: RunResult, transport: OutboxTransport): Promise<void>;
  /** /at and friends, provided by triggers. */
  extraCommand?(name: string, args: string, m: IncomingMessage, start: (prompt: string) => Promise<void>): Promise<boolean>;
  cancelScheduled?(chatId: number): number;
  /** Long-poll timeout in seconds (tests shorten it). */
  pollTimeoutSec?: number;
  /** Environment for git (`@branch` worktrees). */
  gitEnv?: Record<string, string>;
}

export interface RunningBot {
  username: string;
  runs: RunManager;
  transport: OutboxTransport;
  db: StateDb;
  /** Resolves when polling ended by itself (a revoked token): the error, or undefined. */
  fatal: Promise<TelegramApiError | undefined>;
  stop(graceMs: number): Promise<void>;
}

export function accessPolicyOf(config: Config): AccessPolicy {
  const tg = config.transports.telegram;
  const chats = new Set<number>([tg.chat_id]);
  for (const p of Object.values(config.projects)) if (p.chat_id !== undefined) chats.add(p.chat_id);
  return { allowedUserIds: new Set(tg.allowed_user_ids), allowAnyUser: tg.allow_any_user === true, allowedChatIds: chats };
}

const COMMANDS = [
  { command: "cancel", description: "stop a run (reply to its progress message)" },
  { command: "new", description: "forget this chat's sessions and start fresh" },
  { command: "agent", description: "show or set the default engine" },
  { command: "continue", description: "continue the newest session" },
  { command: "file", description: "get or put a file in the project" },
  { command: "at", description: "run a task later: /at 30m <task>" },
  { command: "help", description: "what Untether can do" },
];

export async function startBot(deps: BotDeps): Promise<RunningBot> {
  const { call } = deps;
  const live = deps.config;
  // Startup values: what only a restart changes (chat ids, session mode, limits) is read from here.
  const config = live.current();
  const tg = config.transports.telegram;
  let me: { username?: string; id: number };
  try {
    me = (await call("getMe", {})) as { username?: string; id: number };
  } catch (e) {
    if (e instanceof TelegramApiError && (e.errorCode === 401 || e.errorCode === 404)) {
      throw new BotStartError("Telegram rejected the bot token. Check transports.telegram.bot_token (from @BotFather) and run `untether doctor`.");
    }
    throw new BotStartError(`cannot reach the Telegram Bot API (${(e as Error).message}). Check the network and transports.telegram.api_base_url.`);
  }
  const username = me.username ?? String(me.id);
  const db = StateDb.open(join(deps.stateDir, "untether.db"));
  // Final answers must not be lost to a bad minute of Telegram: six attempts over ~15 s for 5xx and
  // network errors (429s always wait retry_after and retry).
  const transport = new OutboxTransport({
    call,
    editIntervalMs: () => Math.round(live.current().progress.min_render_interval * 1000),
    maxAttempts: 6,
    backoffMs: 500,
  });
  // Replaced on reload, so a user removed from the allowlist is refused from the next update on.
  let policy = accessPolicyOf(config);
  live.onChange((next) => (policy = accessPolicyOf(next)));
  const settings = () => {
    const c = live.current();
    return {
      maxActions: c.progress.max_actions,
      verbose: c.progress.verbosity === "verbose",
      showResumeLine: c.transports.telegram.show_resume_line || tg.session_mode === "stateless",
      messageOverflow: c.transports.telegram.message_overflow,
      showCost: c.footer.show_api_cost,
    };
  };
  const runs = new RunManager({
    transport,
    engines: deps.engines,
    launcher: deps.launcher,
    createView: createRunViewFactory(settings),
    db,
    maxConcurrent: config.watchdog.max_concurrent_engine_runs > 0 ? config.watchdog.max_concurrent_engine_runs : 16,
    approvalTimeoutMs: tg.approval_timeout_s * 1000,
    afterRun: deps.afterRun ? (req, res) => deps.afterRun!(req, res, transport) : undefined,
    preamble: (engineId) => preambleFor(live.current().preamble, engineId),
    budget: new CostBudget({ config: () => live.current().cost_budget, db }),
  });
  const projects = new Map(
    Object.entries(config.projects).map(([alias, p]) => [
      alias.toLowerCase(),
      { path: p.path, defaultEngine: p.default_engine, chatId: p.chat_id, worktreesDir: p.worktrees_dir, worktreeBase: p.worktree_base },
    ]),
  );
  const controller = new ChatController({
    botUsername: me.username,
    runs,
    engines: deps.engines,
    db,
    settings: () => ({
      defaultEngine: config.default_engine,
      sessionMode: tg.session_mode,
      defaultCwd: deps.defaultCwd,
      projects,
      defaultProject: config.default_project,
    }),
    replies: {
      reply: async (chat, html, replyTo) => {
        await transport.send(chat, html, { replyTo });
      },
      toast: (id, text) => transport.answerCallback(id, text),
      isChatAdmin: async (chatId, userId) => {
        try {
          const m = (await call("getChatMember", { chat_id: chatId, user_id: userId })) as { status?: string };
          return m.status === "creator" || m.status === "administrator";
        } catch {
          return false;
        }
      },
    },
    files: deps.createFiles?.({ transport, call, isAllowedUser: (id) => policy.allowAnyUser || policy.allowedUserIds.has(id) }),
    voice: deps.createVoice?.({ transport }),
    extraCommand: deps.extraCommand,
    cancelScheduled: deps.cancelScheduled,
    gitEnv: deps.gitEnv,
  });

  try {
    await call("setMyCommands", { commands: COMMANDS });
  } catch (e) {
    logger().warn({ error_code: (e as TelegramApiError).errorCode }, "telegram.set_commands_failed");
  }

  const poller = new Poller({
    call,
    db,
    timeoutSec: deps.pollTimeoutSec ?? 30,
    onUpdate: (u) => handleUpdate(u),
    onFatal: (e) => resolveFatal(e),
  });
  let resolveFatal!: (e: TelegramApiError | undefined) => void;
  const fatal = new Promise<TelegramApiError | undefined>((r) => (resolveFatal = r));
  const drops = new DropLogger();

  async function handleUpdate(update: TelegramUpdate): Promise<void> {
    const origin = originOf(update);
    const decision = decideAccess(policy, origin);
    const incoming = parseUpdate(update);
    if (!decision.allowed) {
      drops.log(decision.reason, origin);
      if (decision.toast && incoming?.kind === "callback") await transport.answerCallback(incoming.callbackId, "Not authorised.");
      return;
    }
    if (!incoming) return;
    if (incoming.kind === "callback") return controller.handleCallback(incoming);
    return controller.handleMessage(incoming);
  }

  // Messages sent while we were down are not run: a stale "deploy" is worse than a missed one.
  const backlog = await poller.drainBacklog();
  const missed = new Map<number, number>();
  for (const u of backlog) {
    const origin = originOf(u);
    if (origin.chatId === undefined || origin.isCallback || !decideAccess(policy, origin).allowed) continue;
    missed.set(origin.chatId, (missed.get(origin.chatId) ?? 0) + 1);
  }
  for (const [chatId, n] of missed) {
    await transport.send({ chatId }, `While Untether was offline, ${n} message${n > 1 ? "s were" : " was"} sent here. ${n > 1 ? "They were" : "It was"} not run — send again what is still needed.`);
  }
  for (const r of db.unfinishedRuns()) {
    db.finishRun(r.id, "interrupted");
    if (r.progressMessageId !== null) {
      await transport.edit({ chatId: r.chatId, messageId: r.progressMessageId }, "<b>interrupted</b> · Untether stopped before this run finished. Send the task again to retry.", []);
    }
  }
  const engines = [...deps.engines.keys()].sort().join(", ");
  const notes = deps.engineNotes?.length ? `\n${deps.engineNotes.map((n) => `• ${escapeHtml(n)}`).join("\n")}` : "";
  await transport.send(
    { chatId: tg.chat_id },
    `🟢 <b>Untether ${escapeHtml(VERSION)} is ready</b>\ndefault engine: <b>${escapeHtml(config.default_engine)}</b>\nengines: ${escapeHtml(engines)}${notes}`,
    { silent: true },
  ).catch((e) => logger().warn({ error: (e as Error).message }, "telegram.ready_message_failed"));
  poller.start();
  logger().info({ username, engines: [...deps.engines.keys()], backlog_dropped: backlog.length }, "bot.started");

  return {
    username,
    runs,
    transport,
    db,
    fatal,
    async stop(graceMs: number) {
      await poller.stop();
      await runs.shutdown(graceMs);
      await transport.close();
      db.close();
      resolveFatal(undefined);
    },
  };
}
