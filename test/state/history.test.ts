import { describe, expect, test } from "bun:test";
import { startHistoryPruning } from "../../src/core/history-prune.ts";
import { StateDb } from "../../src/state/db.ts";
import { ManualClock } from "../support/manual-clock.ts";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 1);

function runAt(db: StateDb, chatId: number, startedAt: number, status = "done", engine = "mock"): number {
  const id = db.startRun({ chatId, engine, source: "chat", startedAt });
  db.history.begin(id, startedAt, `prompt ${id}`);
  db.history.finish(id, { answer: `answer ${id}`, actions: [], omitted: {}, cut: false });
  if (status !== "running") db.finishRun(id, status, { finishedAt: startedAt + 1000 });
  db.recordRunMessage(id, chatId, 100 + id);
  return id;
}

describe("run history in the state database", () => {
  test("prune deletes logs and message links older than the cutoff; run rows stay for /stats", () => {
    const db = StateDb.open(":memory:");
    const old = runAt(db, 1, T0 - 40 * DAY);
    const recent = runAt(db, 1, T0 - 5 * DAY);
    expect(db.history.prune(T0 - 30 * DAY)).toEqual({ logs: 1, messages: 1 });
    expect(db.history.get(old)?.prompt).toBeUndefined();
    expect(db.history.get(old)?.status).toBe("done");
    expect(db.runByMessage(1, 100 + old)).toBeUndefined();
    expect(db.history.get(recent)?.prompt).toBe(`prompt ${recent}`);
    expect(db.runByMessage(1, 100 + recent)?.runId).toBe(recent);
    expect(db.history.statRows({ chatId: 1, fromMs: 0, toMs: T0 })).toHaveLength(2);
  });

  test("the last finished run of a chat skips a running one and other chats", () => {
    const db = StateDb.open(":memory:");
    const a = runAt(db, 1, T0);
    runAt(db, 2, T0 + 1);
    runAt(db, 1, T0 + 2, "running");
    expect(db.history.lastFinishedRun(1)).toBe(a);
    expect(db.history.lastFinishedRun(3)).toBeUndefined();
  });

  test("statRows filters by chat, engine and [from, to)", () => {
    const db = StateDb.open(":memory:");
    runAt(db, 1, T0, "done", "claude");
    runAt(db, 1, T0 + DAY, "error", "codex");
    runAt(db, 2, T0 + DAY, "done", "codex");
    expect(db.history.statRows({ chatId: 1, engine: "codex", fromMs: 0, toMs: T0 + 2 * DAY })).toEqual([
      { engine: "codex", status: "error", startedAt: T0 + DAY, finishedAt: T0 + DAY + 1000, costUsd: null },
    ]);
    expect(db.history.statRows({ chatId: 1, fromMs: T0 + 1, toMs: T0 + 2 * DAY })).toHaveLength(1);
  });

  test("pruning runs at start and every 6 hours with the retention read each time", async () => {
    const db = StateDb.open(":memory:");
    const clock = new ManualClock(T0);
    let days = 30;
    const a = runAt(db, 1, T0 - 31 * DAY);
    const b = runAt(db, 1, T0 - 10 * DAY);
    const stop = startHistoryPruning({ retentionDays: () => days, prune: (c) => db.history.prune(c), clock });
    expect(db.history.get(a)?.prompt).toBeUndefined();
    expect(db.history.get(b)?.prompt).toBe(`prompt ${b}`);
    days = 7;
    await clock.advance(6 * 3_600_000);
    expect(db.history.get(b)?.prompt).toBeUndefined();
    stop();
    expect(clock.pendingTimers).toBe(0);
  });
});
