// Start-up: getMe until the Bot API answers. A boot with slow DNS, a network that comes up late or a
// Telegram outage (network errors, 5xx) is waited out with capped exponential backoff (1 s doubling
// to 60 s, a warning each time, without the URL or token); a rejected token (401/404) stops at once
// with what to fix; a stop request (SIGTERM) ends the wait at once.
import { TelegramApiError, TelegramNetworkError } from "../botapi/errors.ts";
import type { BotApiCall } from "../botapi/types.ts";
import { logger } from "../log/logger.ts";

export class BotStartError extends Error {}

export interface BotIdentity {
  id: number;
  username: string;
}

export const CONNECT_FIRST_DELAY_MS = 1000;
export const CONNECT_MAX_DELAY_MS = 60_000;

export interface ConnectOptions {
  /** Resolves when the service should stop: the wait ends and connectBot resolves undefined. */
  stopped?: Promise<unknown>;
  /** Waits (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
}

/** True for failures worth waiting out: the network, or Telegram's side (5xx). */
export function isTransientStartFailure(e: unknown): boolean {
  if (e instanceof TelegramNetworkError) return true;
  return e instanceof TelegramApiError && e.errorCode >= 500;
}

/** The wait before attempt `failures + 1`: 1 s, 2 s, 4 s … capped at 60 s. */
export function connectDelayMs(failures: number): number {
  return Math.min(CONNECT_FIRST_DELAY_MS * 2 ** Math.max(0, failures - 1), CONNECT_MAX_DELAY_MS);
}

/** getMe: who the bot is; undefined when stopped while waiting; a start error that says what to fix. */
export async function connectBot(call: BotApiCall, o: ConnectOptions = {}): Promise<BotIdentity | undefined> {
  const sleep = o.sleep ?? ((ms: number) => Bun.sleep(ms));
  let stopped = false;
  const stop = o.stopped?.then(() => {
    stopped = true;
  });
  for (let failures = 0; ; ) {
    if (stopped) return undefined;
    try {
      const me = await call("getMe");
      if (failures > 0) logger().info({ attempts: failures + 1 }, "telegram.connect_recovered");
      return { id: me.id, username: me.username ?? String(me.id) };
    } catch (e) {
      if (e instanceof TelegramApiError && (e.errorCode === 401 || e.errorCode === 404)) {
        throw new BotStartError(
          "Telegram rejected the bot token. Check transports.telegram.bot_token (from @BotFather) and run `untether doctor`.",
        );
      }
      if (!isTransientStartFailure(e)) {
        throw new BotStartError(
          `the Telegram Bot API refused getMe (${(e as Error).message}). Check transports.telegram.api_base_url.`,
        );
      }
      failures++;
      const waitMs = connectDelayMs(failures);
      // The reason is an errno, "timed out" or an HTTP status: never the URL (it holds the token).
      logger().warn(
        {
          attempt: failures,
          retry_in_ms: waitMs,
          reason: e instanceof TelegramNetworkError ? e.reason : `error ${(e as TelegramApiError).errorCode}`,
        },
        "telegram.connect_retry",
      );
      await Promise.race([sleep(waitMs), ...(stop ? [stop] : [])]);
    }
  }
}
