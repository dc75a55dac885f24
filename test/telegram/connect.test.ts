// Start-up resilience: getMe is retried with capped exponential backoff while the Bot API is
// unreachable or answers 5xx; a rejected token stops at once; a stop request ends the wait.
import { describe, expect, test } from "bun:test";
import { TelegramApiError, TelegramNetworkError } from "../../src/botapi/errors.ts";
import type { BotApiCall } from "../../src/botapi/types.ts";
import { BotStartError, connectBot, connectDelayMs } from "../../src/telegram/connect.ts";
import { fakeBotApi } from "../support/fake-bot-api.ts";

/** A getMe that fails with the given errors in turn, then answers. */
function failingThen(errors: unknown[]): { call: BotApiCall; calls: () => number } {
  let n = 0;
  const call = fakeBotApi(async (method) => {
    expect(method).toBe("getMe");
    const e = errors[n++];
    if (e !== undefined) throw e;
    return { id: 42, is_bot: true, first_name: "Bot", username: "the_bot" };
  });
  return { call, calls: () => n };
}

describe("connectBot", () => {
  test("waits out network errors and 5xx with 1 s doubling backoff, then connects", async () => {
    const waits: number[] = [];
    const api = failingThen([
      new TelegramNetworkError("getMe", "ECONNREFUSED"),
      new TelegramNetworkError("getMe", "HTTP 502, not a Bot API answer"),
      new TelegramApiError("getMe", 500, "Internal Server Error"),
      new TelegramNetworkError("getMe", "timed out"),
    ]);
    const me = await connectBot(api.call, { sleep: async (ms) => void waits.push(ms) });
    expect(me).toEqual({ id: 42, username: "the_bot" });
    expect(waits).toEqual([1000, 2000, 4000, 8000]);
    expect(api.calls()).toBe(5);
  });

  test("the backoff is capped at 60 s", () => {
    expect([1, 2, 6, 7, 8, 30].map(connectDelayMs)).toEqual([1000, 2000, 32_000, 60_000, 60_000, 60_000]);
  });

  test("a rejected token (401) stops at once with what to fix", async () => {
    const waits: number[] = [];
    const api = failingThen([new TelegramApiError("getMe", 401, "Unauthorized")]);
    const p = connectBot(api.call, { sleep: async (ms) => void waits.push(ms) });
    await expect(p).rejects.toBeInstanceOf(BotStartError);
    await expect(p).rejects.toThrow("transports.telegram.bot_token");
    expect(waits).toEqual([]);
  });

  test("a stop request during the wait ends it: no further attempt", async () => {
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const api = failingThen(Array.from({ length: 10 }, () => new TelegramNetworkError("getMe", "ECONNREFUSED")));
    const p = connectBot(api.call, {
      stopped,
      sleep: () => {
        stop();
        return new Promise(() => {});
      },
    });
    expect(await p).toBeUndefined();
    expect(api.calls()).toBe(1);
  });
});
