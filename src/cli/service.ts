// The composition root of a running Untether: engines, launcher, Telegram client and bot, file
// transfer and triggers, wired from one config. Used by `untether run` and `untether demo`.
import { staticConfig, watchConfig, type ReloadEvent, type WatchedConfig } from "../config/live.ts";
import { DEFAULT_TELEGRAM_API_BASE_URL, type Config } from "../config/schema.ts";
import { createEngineLauncher } from "../core/engine-launcher.ts";
import { gitEnv } from "../core/worktrees.ts";
import { createMockEngine } from "../engines/mock.ts";
import { preparePiSessionDir } from "../engines/pi.ts";
import { resolveCli } from "../engines/process.ts";
import { createEngineRegistry, engineProblems, type EngineOptionsMap } from "../engines/registry.ts";
import { logger } from "../log/logger.ts";
import { startBot, type RunningBot } from "../telegram/bot.ts";
import { TelegramApiError } from "../telegram/api.ts";
import { createTelegramClient } from "../telegram/client.ts";
import { createFileHandler, type FileApi } from "../telegram/files.ts";
import { deliverOutbox } from "../telegram/outbox-delivery.ts";
import { createVoiceHandler } from "../telegram/voice.ts";
import { TooLargeError } from "../telegram/zip.ts";
import { escapeHtml } from "../telegram/render.ts";
import { handleAtCommand, startTriggers, type AtScheduler, type RunningTriggers, type TriggerSink } from "../triggers/index.ts";
import type { ServeOptions } from "./run.ts";

export interface Service {
  bot: RunningBot;
  triggers: RunningTriggers;
  stop(graceMs: number): Promise<void>;
}

export async function startService(o: ServeOptions): Promise<Service> {
  const { config } = o;
  // Startup values (token, API base, chat id, projects, engines, triggers); hot keys via live.current().
  const tg = config.transports.telegram;
  let notify: ((html: string) => void) | undefined;
  const onEvent = (e: ReloadEvent) => {
    const html = reloadNotice(e);
    if (html) notify?.(html);
  };
  const watched: WatchedConfig | undefined =
    config.watch_config && o.configPath ? watchConfig(o.configPath, config, { env: o.env, onEvent }) : undefined;
  const live = watched ?? staticConfig(config);
  const engineOptions = config.engines as EngineOptionsMap;
  const engines = createEngineRegistry(engineOptions, [createMockEngine({ delayMs: o.mockDelayMs })]);
  const notes = engineProblems(engineOptions).map((p) => `${p.engine}: ${p.message}`);
  // A PATH lookup only (no `--version` spawns): the ready message must not wait on six CLIs.
  const missing = [...engines.values()].filter((d) => !resolveCli(d.cli, o.env.PATH)).map((d) => d.id);
  if (missing.length > 0) notes.push(`not installed: ${missing.join(", ")} (untether doctor shows how to install)`);
  const launcher = createEngineLauncher({
    sourceEnv: o.env,
    extras: () => ({ exact: live.current().security.env_extra_allow, prefix: live.current().security.env_extra_prefix_allow }),
    envAudit: () => live.current().security.env_audit,
    prepare: (def, job) => {
      if (def.id === "pi") preparePiSessionDir(job.cwd, o.env);
    },
  });
  const client = createTelegramClient(tg.bot_token.reveal(), tg.api_base_url);
  const apiBaseIsTelegram = () => tg.api_base_url.replace(/\/+$/, "") === DEFAULT_TELEGRAM_API_BASE_URL;
  const fileApi: FileApi = {
    getFile: async (fileId) => (await client.call("getFile", { file_id: fileId })) as { file_path?: string; file_size?: number },
    download: async (filePath, maxBytes) => {
      try {
        return await client.download(filePath, maxBytes);
      } catch (e) {
        if (e instanceof TelegramApiError && e.errorCode === 413) throw new TooLargeError(maxBytes);
        throw e;
      }
    },
    getChatMemberStatus: async (chatId, userId) =>
      String(((await client.call("getChatMember", { chat_id: chatId, user_id: userId })) as { status?: string }).status ?? ""),
  };
  // /at is answered by the triggers' scheduler, which needs the bot's database: bound after start.
  let at: AtScheduler | undefined;
  const defaultCwd = process.cwd();
  const projectPath = (project: string | undefined) => (project ? config.projects[project.toLowerCase()]?.path : undefined);
  const bot = await startBot({
    config: live,
    call: client.call,
    engines,
    launcher,
    stateDir: o.stateDir,
    defaultCwd,
    engineNotes: notes,
    pollTimeoutSec: o.pollTimeoutSec,
    gitEnv: gitEnv(o.env),
    cancelScheduled: (chatId) => at?.cancelAll(chatId) ?? 0,
    extraCommand: async (name, args, m) => {
      if (name !== "at" || !at) return false;
      const reply = handleAtCommand(at, args, { chatId: m.chatId, threadId: m.threadId });
      await bot.transport.send(m.threadId === undefined ? { chatId: m.chatId } : { chatId: m.chatId, threadId: m.threadId }, reply.replyHtml, { replyTo: m.messageId });
      return true;
    },
    createFiles: ({ transport }) =>
      createFileHandler({
        config: () => live.current().transports.telegram.files,
        transport,
        api: fileApi,
        allowedUserIds: () => new Set(live.current().transports.telegram.allowed_user_ids),
        allowAnyUser: () => live.current().transports.telegram.allow_any_user === true,
        apiBaseIsTelegram,
      }),
    createVoice: ({ transport }) => createVoiceHandler({ config: () => live.current().transports.telegram, transport, api: fileApi, env: o.env }),
    afterRun: async (req, _result, transport) => {
      // Files the agent left in the outbox go to the chat once the run is over.
      const files = live.current().transports.telegram.files;
      if (!files.enabled || !files.outbox_enabled) return;
      await deliverOutbox(req.cwd, files, req.chat, transport, req.replyTo, { apiBaseIsTelegram: apiBaseIsTelegram() });
    },
  });
  const sink: TriggerSink = {
    defaultChatId: tg.chat_id,
    projectPath,
    notify: async (chatId, html) => {
      await bot.transport.send({ chatId }, html);
    },
    startRun: async (req) => {
      const chat = req.threadId === undefined ? { chatId: req.chatId } : { chatId: req.chatId, threadId: req.threadId };
      const kind = req.source.split(":")[0];
      const icon = kind === "webhook" ? "⚡ Trigger" : kind === "cron" ? "⏰ Scheduled" : "⏳ Delayed";
      const notice = await bot.transport.send(chat, `${icon}: <code>${escapeHtml(req.source)}</code>`, { silent: true });
      const project = req.project ? config.projects[req.project.toLowerCase()] : undefined;
      await bot.runs.submit({
        chat,
        replyTo: notice.messageId,
        prompt: req.prompt,
        engineId: req.engine ?? project?.default_engine ?? config.default_engine,
        cwd: project?.path ?? (config.default_project ? projectPath(config.default_project) : undefined) ?? defaultCwd,
        source: req.source,
        context: req.project,
        permissionMode: req.permissionMode,
      });
    },
  };
  const triggers = startTriggers(config, sink, { db: bot.db });
  at = triggers.at;
  notify = (html) => {
    bot.transport.send({ chatId: tg.chat_id }, html).catch((e) => logger().warn({ error: (e as Error).message }, "config.reload_notice_failed"));
  };
  return {
    bot,
    triggers,
    async stop(graceMs) {
      watched?.close();
      await triggers.stop();
      await bot.stop(graceMs);
      logger().info({}, "service.stopped");
    },
  };
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
