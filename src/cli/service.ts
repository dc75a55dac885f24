// The composition root of a running Untether: engines, launcher, Telegram client and bot, file
// transfer and triggers, wired from one config. Used by `untether run` and `untether demo`.
import { DEFAULT_TELEGRAM_API_BASE_URL, type Config } from "../config/schema.ts";
import { createEngineLauncher } from "../core/engine-launcher.ts";
import { createMockEngine } from "../engines/mock.ts";
import { preparePiSessionDir } from "../engines/pi.ts";
import { createEngineRegistry, engineProblems, type EngineOptionsMap } from "../engines/registry.ts";
import { logger } from "../log/logger.ts";
import { startBot, type RunningBot } from "../telegram/bot.ts";
import { TelegramApiError } from "../telegram/api.ts";
import { createTelegramClient } from "../telegram/client.ts";
import { createFileHandler, type FileApi } from "../telegram/files.ts";
import { deliverOutbox } from "../telegram/outbox-delivery.ts";
import { TooLargeError } from "../telegram/zip.ts";
import type { ServeOptions } from "./run.ts";

export interface Service {
  bot: RunningBot;
  stop(graceMs: number): Promise<void>;
}

export async function startService(o: ServeOptions): Promise<Service> {
  const { config } = o;
  const tg = config.transports.telegram;
  const engineOptions = config.engines as EngineOptionsMap;
  const engines = createEngineRegistry(engineOptions, [createMockEngine()]);
  const notes = engineProblems(engineOptions).map((p) => `${p.engine}: ${p.message}`);
  const launcher = createEngineLauncher({
    sourceEnv: o.env,
    extras: () => ({ exact: config.security.env_extra_allow, prefix: config.security.env_extra_prefix_allow }),
    envAudit: () => config.security.env_audit,
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
  const bot = await startBot({
    config,
    call: client.call,
    engines,
    launcher,
    stateDir: o.stateDir,
    defaultCwd: process.cwd(),
    engineNotes: notes,
    pollTimeoutSec: o.pollTimeoutSec,
    createFiles: ({ transport }) =>
      createFileHandler({
        config: () => tg.files,
        transport,
        api: fileApi,
        allowedUserIds: () => new Set(tg.allowed_user_ids),
        allowAnyUser: () => tg.allow_any_user === true,
        apiBaseIsTelegram,
      }),
    afterRun: async (req, _result, transport) => {
      // Files the agent left in the outbox go to the chat once the run is over.
      if (!tg.files.enabled || !tg.files.outbox_enabled) return;
      await deliverOutbox(req.cwd, tg.files, req.chat, transport, req.replyTo, { apiBaseIsTelegram: apiBaseIsTelegram() });
    },
  });
  return {
    bot,
    async stop(graceMs) {
      await bot.stop(graceMs);
      logger().info({}, "service.stopped");
    },
  };
}

export type { Config };
