// Starts everything trigger-shaped: the webhook server and the crons when `[triggers] enabled`, and
// the /at scheduler always (it is a chat command, not a configured trigger). The server (Bun.serve) and
// the crons (croner) are imported only when triggers are enabled: a bot without them never loads
// either (idle memory, docs/benchmarks.md).
import type { Config } from "../config/schema.ts";
import { logger } from "../log/logger.ts";
import { AtScheduler } from "./at.ts";
import type { CronScheduler } from "./crons.ts";
import { TriggerPauses } from "./pauses.ts";
import type { TriggerDeps, TriggerSink } from "./sink.ts";

export { AtScheduler, handleAtCommand } from "./at.ts";
export type { StartRunRequest, TriggerDeps, TriggerSink } from "./sink.ts";

export interface RunningTriggers {
  stop(): Promise<void>;
  server?: { port: number };
  at: AtScheduler;
  crons?: CronScheduler;
  /** Master pause (persisted): webhooks answer 503 after auth and crons skip their due times. */
  setPaused(paused: boolean): void;
  isPaused(): boolean;
  /** Per-trigger and master pauses, persisted in the state database. */
  pauses: TriggerPauses;
}

export async function startTriggers(config: Config, sink: TriggerSink, given: TriggerDeps): Promise<RunningTriggers> {
  const pauses = given.pauses ?? new TriggerPauses(given.db);
  const deps: TriggerDeps = { ...given, pauses };
  const at = new AtScheduler({
    db: deps.db,
    sink,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(deps.timers === undefined ? {} : { timers: deps.timers }),
  });
  at.start();
  const setPaused = (b: boolean) => {
    pauses.set(undefined, b);
  };
  if (!config.triggers.enabled) {
    logger().debug({}, "triggers.disabled");
    return { at, pauses, stop: () => at.stop(), setPaused, isPaused: () => pauses.allPaused };
  }
  const [{ startTriggerServer }, { createCronScheduler }] = await Promise.all([
    import("./server.ts"),
    import("./crons.ts"),
  ]);
  const server = startTriggerServer(config, sink, deps);
  const crons = createCronScheduler(config, sink, deps);
  crons.start();
  logger().info({ webhooks: server?.webhooks.length ?? 0, crons: crons.ids.length }, "triggers.started");
  return {
    at,
    crons,
    ...(server === undefined ? {} : { server: { port: server.port } }),
    pauses,
    setPaused,
    isPaused: () => pauses.allPaused,
    stop: async () => {
      await Promise.all([server?.stop(), crons.stop(), at.stop()]);
    },
  };
}
