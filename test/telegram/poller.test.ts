import { describe, expect, test } from "bun:test";
import { TelegramApiError } from "../../src/botapi/errors.ts";
import { StateDb } from "../../src/state/db.ts";
import { Poller, type TelegramUpdate } from "../../src/telegram/poller.ts";
import { fakeBotApi } from "../support/fake-bot-api.ts";

const noSleep = async () => {};

describe("poller", () => {
  test("the backlog is drained through a flaky start (5xx, 429, 409) and the offset saved", async () => {
    const db = StateDb.open(":memory:");
    const failures = [
      new TelegramApiError("getUpdates", 502, "Bad Gateway"),
      new TelegramApiError("getUpdates", 429, "Too Many", 1),
      new TelegramApiError("getUpdates", 409, "Conflict"),
    ];
    let served = false;
    const call = fakeBotApi(async () => {
      const f = failures.shift();
      if (f) throw f;
      if (served) return [];
      served = true;
      return [{ update_id: 10 }, { update_id: 11 }];
    });
    const p = new Poller({ call, db, onUpdate: async () => {}, onFatal: () => {}, sleep: noSleep });
    const dropped = await p.drainBacklog();
    expect(dropped.map((u) => u.update_id)).toEqual([10, 11]);
    expect(db.getUpdateOffset()).toBe(12);
  });

  test("a rejected token at start is not retried", async () => {
    const db = StateDb.open(":memory:");
    let calls = 0;
    const call = fakeBotApi(async () => {
      calls++;
      throw new TelegramApiError("getUpdates", 401, "Unauthorized");
    });
    const p = new Poller({ call, db, onUpdate: async () => {}, onFatal: () => {}, sleep: noSleep });
    await expect(p.drainBacklog()).rejects.toThrow(TelegramApiError);
    expect(calls).toBe(1);
  });

  test("a state database that cannot be written does not stop polling", async () => {
    const db = StateDb.open(":memory:");
    const handled: number[] = [];
    let batches = 0;
    const call = fakeBotApi(async () => {
      batches++;
      if (batches === 1) return [{ update_id: 1 }];
      if (batches === 2) return [{ update_id: 2 }];
      await Bun.sleep(5);
      return [];
    });
    const p = new Poller({
      call,
      db,
      onUpdate: async (u: TelegramUpdate) => {
        handled.push(u.update_id);
        if (u.update_id === 1) db.close(); // every later write fails
      },
      onFatal: () => {},
      sleep: noSleep,
    });
    p.start();
    while (handled.length < 2) await Bun.sleep(5);
    await p.stop();
    expect(handled).toEqual([1, 2]);
    expect(p.offset).toBe(3);
  });
});
