// `untether run`: load the config (access policy enforced), take the instance lock, start the bot
// (and triggers), and stop cleanly on SIGTERM/SIGINT.
import { dirname } from "node:path";
import { logAccessPolicy } from "../config/access.ts";
import { ConfigError } from "../config/errors.ts";
import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { selfCommand } from "../engines/mock.ts";
import { UntetherError } from "../errors.ts";
import { flushLogs, logger } from "../log/logger.ts";
import { acquireInstanceLock } from "../state/lock.ts";
import { type CliContext, EXIT } from "./context.ts";
import { systemdNotifier } from "./sd-notify.ts";
import { RUN_USAGE } from "./usage.ts";

/** How long running jobs may take to finish after SIGTERM before they are cancelled. */
export const SHUTDOWN_GRACE_MS = 20_000;

/** `UNTETHER_SHUTDOWN_GRACE_MS` (an integer from 0 to 3 600 000) overrides the grace; else the default. */
export function shutdownGraceMs(env: Record<string, string | undefined>): number {
  const raw = env.UNTETHER_SHUTDOWN_GRACE_MS;
  if (raw === undefined || raw.trim() === "") return SHUTDOWN_GRACE_MS;
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n > 3_600_000) {
    throw new ConfigError(
      "config.invalid",
      `UNTETHER_SHUTDOWN_GRACE_MS must be a whole number of milliseconds from 0 to 3600000, got "${raw}"`,
    );
  }
  return n;
}

export interface ServeOptions {
  config: Config;
  /** The file `watch_config` reloads; without it the config is fixed (the demo). */
  configPath?: string;
  stateDir: string;
  env: Record<string, string | undefined>;
  /** Resolves when the service should stop (a signal, or the demo closing). */
  stopSignal: Promise<string>;
  graceMs?: number;
  pollTimeoutSec?: number;
  onReady?(info: { username: string }): void;
  /** `/restart` from the chat: stop as for SIGTERM, then re-execute (absent in the demo). */
  requestRestart?(): void;
  /** Called once when the bot starts stopping (a signal, polling died, or "restart"). */
  onStopping?(reason: string): void;
  /** Pause between the mock engine's events (the demo, so a person can watch a run progress). */
  mockDelayMs?: number;
}

/** Runs the bot until stopSignal resolves or polling dies. Returns the exit code. */
export async function serve(o: ServeOptions): Promise<number> {
  const { startService } = await import("./service.ts");
  const svc = await startService(o);
  if (svc === undefined) {
    logger().info({}, "bot.stopped_before_start");
    return EXIT.ok;
  }
  o.onReady?.({ username: svc.bot.username });
  const reason = await Promise.race([o.stopSignal, svc.bot.fatal.then((e) => (e ? "fatal" : "stopped"))]);
  logger().info({ reason }, "bot.stopping");
  o.onStopping?.(reason);
  await svc.stop(o.graceMs ?? SHUTDOWN_GRACE_MS);
  if (reason === "fatal") {
    process.stderr.write(
      "error: Telegram rejected the bot token while polling. Check transports.telegram.bot_token.\n",
    );
    return EXIT.failure;
  }
  logger().info({}, "bot.stopped");
  return EXIT.ok;
}

export function signalPromise(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => () => resolve(sig);
    process.once("SIGTERM", on("SIGTERM"));
    process.once("SIGINT", on("SIGINT"));
  });
}

export async function runCommand(args: string[], ctx: CliContext): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    ctx.out.write(RUN_USAGE);
    return EXIT.ok;
  }
  if (args.length > 0) {
    ctx.err.write(`error: unexpected argument: ${args[0]}\n${RUN_USAGE}`);
    return EXIT.usage;
  }
  let config: Config;
  let graceMs: number;
  try {
    graceMs = shutdownGraceMs(ctx.env);
    config = loadConfig(ctx.configPath, { env: ctx.env }).config;
  } catch (e) {
    if (e instanceof ConfigError) {
      ctx.err.write(`error: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
  logAccessPolicy(config);
  const stateDir = dirname(ctx.configPath);
  let lock: ReturnType<typeof acquireInstanceLock>;
  try {
    lock = acquireInstanceLock(`${ctx.configPath}.lock`);
  } catch (e) {
    ctx.err.write(`error: ${(e as Error).message}\n`);
    return EXIT.failure;
  }
  let requestRestart!: () => void;
  const restartAsked = new Promise<string>((resolve) => (requestRestart = () => resolve("restart")));
  // Whichever comes first decides: a SIGTERM during a restart's grace still ends the process.
  let stopReason: string | undefined;
  const stopSignal = Promise.race([signalPromise(), restartAsked]).then((r) => {
    stopReason = r;
    return r;
  });
  let code: number;
  // Under systemd (Type=notify): READY=1 once polling, STOPPING=1 on the way out, watchdog pings.
  const systemd = systemdNotifier(ctx.env);
  try {
    code = await serve({
      config,
      configPath: ctx.configPath,
      stateDir,
      env: ctx.env,
      stopSignal,
      graceMs,
      requestRestart,
      onReady: ({ username }) => systemd.ready(`polling as @${username}`),
      onStopping: (reason) => (reason === "restart" ? systemd.reloading() : systemd.stopping()),
    });
  } catch (e) {
    const msg = e instanceof UntetherError || e instanceof Error ? e.message : String(e);
    ctx.err.write(`error: ${msg}\n`);
    logger().error({ error: msg }, "bot.failed");
    return EXIT.failure;
  } finally {
    // Released before a re-exec: the new program takes it again under the same pid.
    systemd.close();
    lock.release();
  }
  if (stopReason !== "restart" || code !== EXIT.ok) return code;
  return reexec(ctx.env);
}

/**
 * Replaces this process with a fresh start of the same program and arguments (execve: same pid, so a
 * supervisor such as systemd sees no exit). Returns only when the exec failed: exit non-zero so
 * `Restart=on-failure` brings the bot back.
 */
async function reexec(env: Record<string, string | undefined>): Promise<number> {
  const argv = [...selfCommand(), ...process.argv.slice(2)];
  logger().info({ pid: process.pid }, "service.reexec");
  flushLogs();
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write("", () => resolve()));
  try {
    const cleanEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) if (v !== undefined) cleanEnv[k] = v;
    if (typeof process.execve !== "function") throw new Error("process.execve is not available on this platform");
    process.execve(argv[0] as string, argv, cleanEnv);
  } catch (e) {
    logger().error({ error: (e as Error).message }, "service.reexec_failed");
  }
  return EXIT.failure;
}
