import { describe, expect, test } from "bun:test";
import { TelegramApiError, TelegramNetworkError } from "../../src/botapi/errors.ts";
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
    expect(dropped?.map((u) => u.update_id)).toEqual([10, 11]);
    expect(db.getUpdateOffset()).toBe(12);
  });

  test("an unreachable Bot API at start is waited out however long it lasts; other refusals give up", async () => {
    const db = StateDb.open(":memory:");
    let calls = 0;
    const waits: number[] = [];
    const call = fakeBotApi(async () => {
      calls++;
      if (calls <= 40) throw new TelegramNetworkError("getUpdates", "ECONNREFUSED");
      return [];
    });
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    const p = new Poller({ call, db, onUpdate: async () => {}, onFatal: () => {}, sleep });
    expect(await p.drainBacklog()).toEqual([]);
    expect(calls).toBe(41);
    expect(Math.max(...waits)).toBe(30_000);

    let conflicts = 0;
    const refusing = fakeBotApi(async () => {
      conflicts++;
      throw new TelegramApiError("getUpdates", 409, "Conflict");
    });
    const q = new Poller({ call: refusing, db, onUpdate: async () => {}, onFatal: () => {}, sleep: noSleep });
    await expect(q.drainBacklog()).rejects.toThrow(TelegramApiError);
    expect(conflicts).toBe(6);
  });

  test("a stop request ends the wait for an unreachable Bot API at start", async () => {
    const db = StateDb.open(":memory:");
    let stop!: () => void;
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    let calls = 0;
    const call = fakeBotApi(async () => {
      calls++;
      if (calls === 3) stop();
      throw new TelegramApiError("getUpdates", 502, "Bad Gateway");
    });
    const never = () => new Promise<void>(() => {});
    const p = new Poller({
      call,
      db,
      onUpdate: async () => {},
      onFatal: () => {},
      sleep: () => (calls < 3 ? noSleep() : never()),
    });
    expect(await p.drainBacklog(undefined, stopped)).toBeUndefined();
    expect(calls).toBe(3);
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

  test("fetching goes on while an update is handled; the saved offset never passes an unfinished update", async () => {
    const db = StateDb.open(":memory:");
    const batches = [[{ update_id: 5 }, { update_id: 6 }], [{ update_id: 7 }]];
    const offsets: unknown[] = [];
    const call = fakeBotApi(async (_m, params) => {
      offsets.push(params.offset);
      const b = batches.shift();
      if (b) return b;
      await Bun.sleep(5);
      return [];
    });
    const release = new Map<number, () => void>();
    const started: number[] = [];
    const p = new Poller({
      call,
      db,
      onUpdate: (u) => {
        started.push(u.update_id);
        return new Promise<"done">((r) => release.set(u.update_id, () => r("done")));
      },
      reportChat: (u) => 100 + u.update_id,
      onFatal: () => {},
      sleep: noSleep,
    });
    p.start();
    while (started.length < 3) await Bun.sleep(2);
    // All three were taken while none had finished: the poller did not wait for 5 before fetching 7.
    expect(started).toEqual([5, 6, 7]);
    expect(offsets.slice(0, 2)).toEqual([0, 7]);
    expect(db.getUpdateOffset()).toBe(5);
    release.get(6)?.();
    await Bun.sleep(1);
    expect(db.getUpdateOffset()).toBe(5);
    release.get(5)?.();
    await Bun.sleep(1);
    expect(db.getUpdateOffset()).toBe(7);
    // A stop with 7 unfinished: the next start knows it, with the chat to tell.
    await p.stop();
    const again = new Poller({ call, db, onUpdate: async () => "done", onFatal: () => {}, sleep: noSleep });
    expect(again.leftovers).toEqual([{ updateId: 7, chatId: 107 }]);
    expect(again.offset).toBe(7);
    release.get(7)?.();
  });

  test("an update left unhandled at a stop stays in the ledger; the next start's drain clears it", async () => {
    const db = StateDb.open(":memory:");
    let served = false;
    const call = fakeBotApi(async () => {
      if (!served) {
        served = true;
        return [{ update_id: 1 }, { update_id: 2 }];
      }
      await Bun.sleep(5);
      return [];
    });
    const p = new Poller({
      call,
      db,
      onUpdate: async (u) => (u.update_id === 1 ? "done" : "unhandled"),
      reportChat: () => 42,
      onFatal: () => {},
      sleep: noSleep,
    });
    p.start();
    while (p.offset < 2) await Bun.sleep(2);
    await Bun.sleep(5);
    await p.stop();
    expect(db.getUpdateOffset()).toBe(2);
    const again = new Poller({ call, db, onUpdate: async () => "done", onFatal: () => {}, sleep: noSleep });
    expect(again.leftovers).toEqual([{ updateId: 2, chatId: 42 }]);
    await again.drainBacklog();
    expect(again.offset).toBe(3);
    expect(new Poller({ call, db, onUpdate: async () => "done", onFatal: () => {} }).leftovers).toEqual([]);
  });

  test("fetching pauses while maxInFlight updates are unfinished", async () => {
    const db = StateDb.open(":memory:");
    let next = 1;
    let calls = 0;
    const call = fakeBotApi(async () => {
      calls++;
      await Bun.sleep(1);
      return [{ update_id: next++ }];
    });
    const release: Array<() => void> = [];
    const p = new Poller({
      call,
      db,
      maxInFlight: 2,
      onUpdate: () => new Promise<"done">((r) => release.push(() => r("done"))),
      onFatal: () => {},
      sleep: noSleep,
    });
    p.start();
    while (release.length < 2) await Bun.sleep(2);
    await Bun.sleep(20);
    expect(calls).toBe(2);
    expect(p.inFlight).toBe(2);
    release[0]?.();
    while (release.length < 3) await Bun.sleep(2);
    expect(p.inFlight).toBe(2);
    await p.stop();
    for (const r of release) r();
  });
});
