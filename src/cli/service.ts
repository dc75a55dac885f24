// The composition root of a running Untether: engines, launcher, Telegram client and bot, file
// transfer and triggers, wired from one config. Used by `untether run` and `untether demo`.
import type { Config } from "../config/schema.ts";
import { createEngineLauncher } from "../core/engine-launcher.ts";
import { createMockEngine } from "../engines/mock.ts";
import { preparePiSessionDir } from "../engines/pi.ts";
import { createEngineRegistry, engineProblems, type EngineOptionsMap } from "../engines/registry.ts";
import { logger } from "../log/logger.ts";
import { startBot, type RunningBot } from "../telegram/bot.ts";
import { createTelegramClient } from "../telegram/client.ts";
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
  const bot = await startBot({
    config,
    call: client.call,
    engines,
    launcher,
    stateDir: o.stateDir,
    defaultCwd: process.cwd(),
    engineNotes: notes,
    pollTimeoutSec: o.pollTimeoutSec,
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
