// The composition root of a running Untether: the one place that builds the services — engines and
// launcher, Telegram client, state database, outbox, run manager (budget, preamble), run dispatch,
// file transfer, voice, the chat controller, triggers and schedulers — and wires them. Used by
// `untether run` and `untether demo`.
import { join } from "node:path";
import { createBotApi } from "../botapi/client.ts";
import { TelegramApiError } from "../botapi/errors.ts";
import { type ReloadEvent, staticConfig, type WatchedConfig, watchConfig } from "../config/live.ts";
import { type Config, DEFAULT_TELEGRAM_API_BASE_URL } from "../config/schema.ts";
import { ContextBindings } from "../core/bindings.ts";
import { ChatSettings } from "../core/chat-settings.ts";
import { systemClock } from "../core/clock.ts";
import { CostBudget } from "../core/cost-budget.ts";
import { type DispatchSettings, RunDispatch } from "../core/dispatch.ts";
import { createEngineLauncher } from "../core/engine-launcher.ts";
import { startHistoryPruning } from "../core/history-prune.ts";
import { preambleFor } from "../core/preamble.ts";
import { sourceLabel, type TriggerSource } from "../core/run-source.ts";
import { RunManager } from "../core/runs.ts";
import { gitEnv } from "../core/worktrees.ts";
import { topicChats, topicsReadiness } from "../doctor/telegram-checks.ts";
import { claudeWatchdogEnv } from "../engines/claude.ts";
import { createMockEngine } from "../engines/mock.ts";
import { preparePiSessionDir } from "../engines/pi.ts";
import { resolveCli } from "../engines/process.ts";
import { createEngineRegistry, type EngineOptionsMap, engineProblems } from "../engines/registry.ts";
import { UntetherError } from "../errors.ts";
import { logger } from "../log/logger.ts";
import { effectiveDenyGlobs } from "../security/deny-globs.ts";
import { StateDb } from "../state/db.ts";
import { accessPolicyOf, markInterruptedRuns, type RunningBot, startBot } from "../telegram/bot.ts";
import { createBrowse } from "../telegram/commands/browse.ts";
import { BrowseSessions } from "../telegram/commands/browse-view.ts";
import {
  type ContextDeps,
  createContextCommand,
  createTopicCommand,
  unboundTopicHint,
} from "../telegram/commands/context.ts";
import { createExportCommand } from "../telegram/commands/export.ts";
import { createHealthCommand } from "../telegram/commands/health.ts";
import { createCommandKit } from "../telegram/commands/kit.ts";
import { createPingCommand } from "../telegram/commands/ping.ts";
import { CommandRegistry } from "../telegram/commands/registry.ts";
import { announceRestart, createRestartCommand } from "../telegram/commands/restart.ts";
import { SettingsChanger } from "../telegram/commands/settings-change.ts";
import { createAgentStore, registerSettingsCommands } from "../telegram/commands/settings-commands.ts";
import { createStatsCommand } from "../telegram/commands/stats.ts";
import { createTriggersCommand } from "../telegram/commands/triggers.ts";
import { chatOriginOf } from "../telegram/commands/types.ts";
import { connectBot } from "../telegram/connect.ts";
import { ChatController } from "../telegram/controller.ts";
import { createFileHandler, type FileApi } from "../telegram/files.ts";
import { OutboxTransport } from "../telegram/outbox.ts";
import { deliverOutbox } from "../telegram/outbox-delivery.ts";
import { createPairing, pairCommand } from "../telegram/pairing.ts";
import { createRunViewFactory } from "../telegram/presenter.ts";
import { escapeHtml } from "../telegram/render.ts";
import { createVoiceHandler } from "../telegram/voice.ts";
import { TooLargeError } from "../telegram/zip.ts";
import { type RunningTriggers, type StartRunRequest, startTriggers, type TriggerSink } from "../triggers/index.ts";
import { VERSION } from "../version.ts";
import { type ServeOptions, SHUTDOWN_GRACE_MS } from "./run.ts";
import { triggerControl } from "./trigger-control.ts";

export interface Service {
  bot: RunningBot;
  runs: RunManager;
  triggers: RunningTriggers;
  stop(graceMs: number): Promise<void>;
}

/** Dispatch's view of the live config: projects, defaults and session mode as they are now. */
export function dispatchSettings(c: Config, defaultCwd: string): DispatchSettings {
  const projects = new Map(
    Object.entries(c.projects).map(([alias, p]) => [
      alias.toLowerCase(),
      {
        path: p.path,
        defaultEngine: p.default_engine,
        chatId: p.chat_id,
        worktreesDir: p.worktrees_dir,
        worktreeBase: p.worktree_base,
      },
    ]),
  );
  return {
    defaultEngine: c.default_engine,
    defaultProject: c.default_project?.toLowerCase(),
    sessionMode: c.transports.telegram.session_mode,
    defaultCwd,
    projects,
  };
}

const TRIGGER_ICON: Record<TriggerSource["kind"], string> = {
  webhook: "⚡ Trigger",
  cron: "⏰ Scheduled",
  at: "⏳ Delayed",
};

/** The running service, or undefined when stopped before the Bot API could be reached. */
export async function startService(o: ServeOptions): Promise<Service | undefined> {
  const { config } = o;
  // Startup values (token, API base, chat id, engines, triggers); everything else via live.current().
  const tg = config.transports.telegram;
  let notify: ((html: string) => void) | undefined;
  const onEvent = (e: ReloadEvent) => {
    const html = reloadNotice(e);
    if (html) notify?.(html);
  };
  // Without watch_config the file is still reloaded after the bot's own edits (pairing), never on a watch.
  const watched: WatchedConfig | undefined = o.configPath
    ? watchConfig(o.configPath, config, { env: o.env, onEvent, watchFiles: config.watch_config })
    : undefined;
  const live = watched ?? staticConfig(config);
  const engineOptions: EngineOptionsMap = config.engines;
  const engines = createEngineRegistry(engineOptions, [createMockEngine({ delayMs: o.mockDelayMs })]);
  const notes = engineProblems(engineOptions).map((p) => `${p.engine}: ${p.message}`);
  // A PATH lookup only (no `--version` spawns): the ready message must not wait on six CLIs.
  const missing = [...engines.values()].filter((d) => !resolveCli(d.cli, o.env.PATH)).map((d) => d.id);
  if (missing.length > 0) notes.push(`not installed: ${missing.join(", ")} (untether doctor shows how to install)`);
  const launcher = createEngineLauncher({
    sourceEnv: o.env,
    extras: () => ({
      exact: live.current().security.env_extra_allow,
      prefix: live.current().security.env_extra_prefix_allow,
    }),
    envAudit: () => live.current().security.env_audit,
    defaultEnv: (def) => (def.id === "claude" ? claudeWatchdogEnv(live.current().watchdog) : {}),
    prepare: (def, job) => {
      if (def.id === "pi") preparePiSessionDir(job.cwd, o.env);
    },
  });
  const client = createBotApi({ token: tg.bot_token.reveal(), baseUrl: tg.api_base_url });
  // Waits out an unreachable Bot API (a boot with slow DNS); a stop request during the wait ends it.
  const me = await connectBot(client.call, { stopped: o.stopSignal });
  if (me === undefined) {
    watched?.close();
    return undefined;
  }

  if (tg.topics.enabled) {
    const ready = await topicsReadiness(config, me.id);
    if (ready.status !== "ok") {
      watched?.close();
      throw new UntetherError(
        "telegram.topics_unusable",
        `transports.telegram.topics is enabled but ${ready.detail}. Fix: ${ready.fix ?? "see untether doctor"}.`,
      );
    }
  }

  const db = StateDb.open(join(o.stateDir, "untether.db"));
  // Final answers must not be lost to a bad minute of Telegram: six attempts over ~15 s for 5xx and
  // network errors (429s always wait retry_after and retry).
  const transport = new OutboxTransport({
    call: client.call,
    editIntervalMs: () => Math.round(live.current().progress.min_render_interval * 1000),
    maxAttempts: 6,
    backoffMs: 500,
    // Per-chat pacing across messages: groups (negative ids) at progress.group_chat_rps, private chats
    // at one message a second — Telegram's limits, so a burst of runs draws no 429.
    chatRps: (chatId) => (chatId < 0 ? live.current().progress.group_chat_rps : 1),
  });
  // Before anything can start a run (an overdue /at fires as soon as its scheduler starts).
  await markInterruptedRuns(db, transport);
  const apiBaseIsTelegram = () => tg.api_base_url.replace(/\/+$/, "") === DEFAULT_TELEGRAM_API_BASE_URL;
  const presenter = () => {
    const c = live.current();
    return {
      maxActions: c.progress.max_actions,
      verbose: c.progress.verbosity === "verbose",
      showResumeLine: c.transports.telegram.show_resume_line || tg.session_mode === "stateless",
      messageOverflow: c.transports.telegram.message_overflow,
      maxAnswerParts: c.transports.telegram.max_answer_parts,
      showCost: c.footer.show_api_cost,
    };
  };
  const budget = new CostBudget({ config: () => live.current().cost_budget, db });
  const stopPruning = startHistoryPruning({
    retentionDays: () => live.current().history.retention_days,
    prune: (cutoff) => db.history.prune(cutoff),
    clock: systemClock,
  });
  const runs = new RunManager({
    transport,
    engines,
    launcher,
    createView: createRunViewFactory(presenter),
    db,
    // 0 = unlimited; over a non-zero cap a run is refused (core/admission.ts).
    maxConcurrent: config.watchdog.max_concurrent_engine_runs,
    admission: () => ({
      ramWarnMb: config.watchdog.prespawn_ram_warn_mb,
      ramBlockMb: config.watchdog.prespawn_ram_block_mb,
      ramReserveMb: config.watchdog.prespawn_ram_per_run_reserve_mb,
    }),
    approvalTimeoutMs: tg.approval_timeout_s * 1000,
    preamble: (engineId) => preambleFor(live.current().preamble, engineId),
    budget,
    history: () => ({ maxActions: live.current().history.max_actions, maxBytes: live.current().history.max_bytes }),
    liveness: () => {
      const c = live.current();
      return {
        heartbeatMs: c.progress.heartbeat_interval * 1000,
        livenessMs: c.watchdog.liveness_timeout * 1000,
        repeatMs: c.watchdog.stall_repeat_seconds * 1000,
        toolMs: c.watchdog.tool_timeout * 1000,
        mcpToolMs: c.watchdog.mcp_tool_timeout * 1000,
        autoKill: c.watchdog.stall_auto_kill,
      };
    },
    afterRun: async (req) => {
      // Files the agent left in the outbox go to the chat once the run is over.
      const files = live.current().transports.telegram.files;
      if (!files.enabled || !files.outbox_enabled) return;
      await deliverOutbox(req.cwd, files, req.chat, transport, req.replyTo, { apiBaseIsTelegram: apiBaseIsTelegram() });
    },
  });
  const defaultCwd = process.cwd();
  const chatSettings = new ChatSettings({ db, config: () => live.current(), engines });
  const dispatch = new RunDispatch({
    chatSettings,
    settings: () => dispatchSettings(live.current(), defaultCwd),
    engines,
    db,
    gitEnv: gitEnv(o.env),
    isActive: (runId) => runs.isActive(runId),
    botUsername: () => me.username,
  });

  const isAllowedUser = (id: number) => {
    const policy = accessPolicyOf(live.current());
    return policy.allowAnyUser || policy.allowedUserIds.has(id);
  };
  // Webhooks, crons and /at enter here: a notice in the chat, then the same dispatch as a message.
  const startTriggeredRun = async (req: StartRunRequest): Promise<void> => {
    const chat = req.threadId === undefined ? { chatId: req.chatId } : { chatId: req.chatId, threadId: req.threadId };
    const label = sourceLabel(req.source);
    if (req.userId !== undefined && !isAllowedUser(req.userId)) {
      logger().warn({ source: label, user_id: req.userId }, "triggers.at.revoked");
      await transport.send(
        chat,
        `🚫 <code>${escapeHtml(label)}</code> did not run: the user who scheduled it no longer has access.`,
      );
      return;
    }
    const resolved = await dispatch.dispatch({
      source: req.source,
      origin: { chatId: req.chatId, ...(req.threadId === undefined ? {} : { threadId: req.threadId }) },
      text: req.prompt,
      fixed: { engine: req.engine, project: req.project, branch: req.branch },
      ...(req.userId === undefined ? {} : { userId: req.userId }),
      ...(req.permissionMode === undefined ? {} : { permissionMode: req.permissionMode }),
    });
    if (!resolved.ok) {
      logger().warn({ source: label, reason: resolved.message }, "triggers.dispatch_refused");
      await transport.send(chat, `⚠️ <code>${escapeHtml(label)}</code> did not start: ${escapeHtml(resolved.message)}`);
      return;
    }
    const notice = await transport.send(chat, `${TRIGGER_ICON[req.source.kind]}: <code>${escapeHtml(label)}</code>`, {
      silent: true,
    });
    await runs.submit({ ...resolved.request, replyTo: notice.messageId });
  };
  const sink: TriggerSink = {
    defaultChatId: tg.chat_id,
    projectPath: (project) => (project ? live.current().projects[project.toLowerCase()]?.path : undefined),
    denyGlobs: () => effectiveDenyGlobs(live.current().transports.telegram.files.deny_globs),
    notify: async (chatId, html) => {
      await transport.send({ chatId }, html);
    },
    startRun: startTriggeredRun,
  };
  const triggers = await startTriggers(config, sink, { db });

  const fileApi: FileApi = {
    getFile: (fileId) => client.call("getFile", { file_id: fileId }),
    download: async (filePath, maxBytes) => {
      try {
        return await client.download(filePath, maxBytes);
      } catch (e) {
        if (e instanceof TelegramApiError && e.errorCode === 413) throw new TooLargeError(maxBytes);
        throw e;
      }
    },
    getChatMemberStatus: async (chatId, userId) =>
      (await client.call("getChatMember", { chat_id: chatId, user_id: userId })).status,
  };
  // Removing a user removes their reach: their runs stop and their /at jobs go, on reload and at start.
  const tellRevoked = (runs: Map<number, number>, jobs: Map<number, number>) => {
    for (const chatId of new Set([...runs.keys(), ...jobs.keys()])) {
      const parts = [plural(runs.get(chatId) ?? 0, "run"), plural(jobs.get(chatId) ?? 0, "scheduled run")].filter(
        Boolean,
      );
      transport
        .send({ chatId }, `🚫 Access was revoked: cancelled ${parts.join(" and ")} here.`)
        .catch((e) => logger().warn({ error: (e as Error).message }, "security.revoke_notice_failed"));
    }
  };
  tellRevoked(new Map(), triggers.at.revokeUsers(isAllowedUser));
  live.onChange(() => {
    const cancelled = runs.revokeUsers(isAllowedUser);
    const dropped = triggers.at.revokeUsers(isAllowedUser);
    if (cancelled.size > 0 || dropped.size > 0)
      logger().warn({ runs: cancelled.size, at_jobs: dropped.size }, "security.access_revoked");
    tellRevoked(cancelled, dropped);
  });
  const kit = createCommandKit({ transport, call: client.call, config: () => live.current() });
  const commands = new CommandRegistry();
  const contextDeps: ContextDeps = {
    kit,
    call: client.call,
    bindings: new ContextBindings(db),
    projectNames: () => dispatch.projectNames(),
    engineNames: () => [...engines.keys()],
    projectOfChat: (chatId) => Object.entries(live.current().projects).find(([, p]) => p.chat_id === chatId)?.[0],
    defaultProject: () => live.current().default_project,
    topics: () => ({ enabled: tg.topics.enabled, chats: topicChats(live.current()) }),
  };
  const files = createFileHandler({
    config: () => live.current().transports.telegram.files,
    transport,
    api: fileApi,
    allowedUserIds: () => new Set(live.current().transports.telegram.allowed_user_ids),
    allowAnyUser: () => live.current().transports.telegram.allow_any_user === true,
    apiBaseIsTelegram,
  });
  const settings = new SettingsChanger({
    settings: chatSettings,
    agent: createAgentStore({ db, dispatch, engines, path: o.env.PATH }),
    kit,
  });
  const controller = new ChatController({
    runs,
    dispatch,
    engines,
    db,
    kit,
    commands,
    files,
    voice: createVoiceHandler({
      config: () => live.current().transports.telegram,
      transport,
      api: fileApi,
      env: o.env,
    }),
    cancelScheduled: (chatId) => triggers.at.cancelAll(chatId),
    placeGate: (m) => unboundTopicHint(contextDeps, m),
    settings,
    botUsername: () => me.username,
  });
  const triggerCtl = triggerControl(config, triggers.pauses, db);
  registerSettingsCommands(commands, { changer: settings, kit, engines, triggers: triggerCtl });

  commands.add(createContextCommand(contextDeps), createTopicCommand(contextDeps));
  // /at freezes the chat's engine, project and branch now (directives in its prompt included).
  commands.add({
    name: "at",
    usage: "/at 30m <task>",
    summary: "run a task later (30m, 2h, 1d; /cancel drops it)",
    run: async ({ m, args, chat }) => {
      const reply = triggers.at.schedule(args, {
        chatId: m.chatId,
        threadId: m.threadId,
        userId: m.userId,
        freeze: (prompt) => {
          const t = dispatch.target({ source: { kind: "at", id: "" }, origin: chatOriginOf(m), text: prompt });
          return t.ok
            ? {
                ok: true,
                prompt: t.target.prompt,
                engine: t.target.engine,
                project: t.target.project,
                branch: t.target.branch,
              }
            : t;
        },
      });
      await kit.reply(chat, reply.replyHtml, { replyTo: m.messageId });
    },
  });

  const browse = createBrowse({
    kit,
    files,
    dispatch,
    denyGlobs: () => effectiveDenyGlobs(live.current().transports.telegram.files.deny_globs),
    sessions: new BrowseSessions({ now: () => Date.now(), ttlMs: 30 * 60_000, max: 200 }),
  });
  commands.add(browse.command).route(browse.route);
  const requestRestart = o.requestRestart;
  if (requestRestart)
    commands.add(
      createRestartCommand({
        kit,
        activeRuns: () => runs.activeCount,
        graceMs: o.graceMs ?? SHUTDOWN_GRACE_MS,
        kv: db,
        request: requestRestart,
      }),
    );
  // Observability (issue #15): /stats, /export, /ping, /health, /triggers.
  commands.add(
    createStatsCommand({
      kit,
      statRows: (q) => db.history.statRows(q),
      engineIds: () => [...engines.keys()],
      now: Date.now,
    }),
    createExportCommand({
      kit,
      runByMessage: (chatId, messageId) => db.runByMessage(chatId, messageId),
      lastFinishedRun: (chatId) => db.history.lastFinishedRun(chatId),
      storedRun: (runId) => db.history.get(runId),
    }),
    createPingCommand({ kit, version: VERSION, uptimeMs: () => process.uptime() * 1000, now: Date.now }),
    createHealthCommand({
      kit,
      rssBytes: () => process.memoryUsage.rss(),
      runs: () => runs.counts(),
      triggers: triggerCtl,
      spentToday: () => budget.spentToday(),
      now: Date.now,
    }),
    createTriggersCommand({ kit, triggers: triggerCtl, now: Date.now }),
  );
  commands.add(pairCommand(kit));
  const pairing =
    watched && o.configPath
      ? createPairing({
          db,
          configPath: o.configPath,
          env: o.env,
          send: (chatId, html) => transport.send({ chatId }, html),
          ownerChatId: tg.chat_id,
          reload: () => watched.reloadNow(),
        })
      : undefined;

  const bot = await startBot({
    pairing,
    config: live,
    call: client.call,
    db,
    transport,
    controller,
    commandMenu: commands.menu(),
    me,
    engineIds: [...engines.keys()],
    engineNotes: notes,
    pollTimeoutSec: o.pollTimeoutSec,
    stopped: o.stopSignal,
  });
  if (bot === undefined) {
    // Stopped while the first getUpdates still waited for the Bot API: nothing was taken yet.
    watched?.close();
    stopPruning();
    await triggers.stop();
    await runs.shutdown(0);
    await transport.close();
    db.close();
    return undefined;
  }
  await announceRestart(db, transport);
  // The binary starts with JIT tier-up thresholds raised (scripts/compile-options.ts), so code that only
  // runs while starting stays interpreted; from here on, hot paths compile as usual.
  Bun.unsafe.setJITPolicy(1);
  notify = (html) => {
    transport
      .send({ chatId: tg.chat_id }, html)
      .catch((e) => logger().warn({ error: (e as Error).message }, "config.reload_notice_failed"));
  };
  return {
    bot,
    runs,
    triggers,
    async stop(graceMs) {
      watched?.close();
      stopPruning();
      await triggers.stop();
      await bot.stop();
      await runs.shutdown(graceMs);
      await transport.close();
      db.close();
      logger().info({}, "service.stopped");
    },
  };
}

function plural(n: number, what: string): string {
  return n === 0 ? "" : `${n} ${what}${n > 1 ? "s" : ""}`;
}

/** The main chat's note about a reload, once per new problem; undefined when there is nothing to say. */
export function reloadNotice(e: ReloadEvent): string | undefined {
  if (e.kind === "failed") return e.isNew ? `⚠️ The new config was not applied: ${escapeHtml(e.reason)}` : undefined;
  if (!e.restartIsNew) return undefined;
  const shown = e.restart.slice(0, 20).map((k) => `<code>${escapeHtml(k)}</code>`);
  const more = e.restart.length > shown.length ? ` and ${e.restart.length - shown.length} more` : "";
  return `🔄 Config changed, restart to apply: ${shown.join(", ")}${more}`;
}

export type { Config };
