import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { StateDb } from "../../src/state/db.ts";
import { AT_MAX_PENDING_PER_CHAT, AtScheduler, handleAtCommand, parseAt } from "../../src/triggers/at.ts";
import { captureLogs } from "../config/helpers.ts";
import {
  type Clock,
  clock,
  manualTimers,
  memoryDb,
  type RecordingSink,
  recordingSink,
  type TempDir,
  tempDir,
} from "./helpers.ts";

describe("parseAt", () => {
  test("N + unit + prompt (multi-line prompts kept)", () => {
    expect(parseAt("30m check the build")).toEqual({ delayMs: 1_800_000, delayText: "30m", prompt: "check the build" });
    expect(parseAt("  2 H  line one\nline two  ")).toEqual({
      delayMs: 7_200_000,
      delayText: "2h",
      prompt: "line one\nline two",
    });
    expect(parseAt("90s x")?.delayMs).toBe(90_000);
    for (const bad of ["", "30m", "30 minutes x", "m30 x", "-5m x", "1.5h x", "30d x"])
      expect(parseAt(bad)).toBeUndefined();
  });
});

describe("AtScheduler", () => {
  let sink: RecordingSink;
  let t: Clock;
  let at: AtScheduler;

  beforeEach(() => {
    captureLogs();
    sink = recordingSink();
    t = clock(Date.UTC(2026, 4, 1, 12));
    at = new AtScheduler({ db: memoryDb(), sink, now: t.now, timers: manualTimers() });
    at.start();
  });

  test("schedules, fires when due with engine, project and thread frozen, then forgets the job", async () => {
    const freeze = (prompt: string) => ({
      ok: true as const,
      prompt: prompt.replace(/^\/codex /, ""),
      engine: "codex",
      project: "app",
      branch: "fix-ci",
    });
    const reply = handleAtCommand(at, "30m /codex run the tests", { chatId: 5, threadId: 8, freeze });
    expect(reply).toMatchObject({ ok: true, replyHtml: "⏳ Scheduled: runs in 30m.\nCancel with /cancel." });
    const id = reply.ok ? reply.id : "";
    t.advance(29 * 60_000);
    at.tick();
    expect(sink.runs).toHaveLength(0);
    t.advance(60_000);
    at.tick();
    at.tick();
    await at.idle();
    expect(sink.runs).toEqual([
      {
        chatId: 5,
        threadId: 8,
        engine: "codex",
        project: "app",
        branch: "fix-ci",
        prompt: "run the tests",
        source: { kind: "at", id },
      },
    ]);
    expect(at.pending(5)).toBe(0);
  });

  test("delay between 1 minute and 24 hours; bad input gets the usage", () => {
    expect(at.schedule("59s x", { chatId: 1 }).ok).toBe(false);
    expect(at.schedule("60s x", { chatId: 1 }).ok).toBe(true);
    expect(at.schedule("24h x", { chatId: 1 }).ok).toBe(true);
    expect(at.schedule("1441m x", { chatId: 1 }).ok).toBe(false);
    expect(at.schedule("99999999999999999999h x", { chatId: 1 }).ok).toBe(false);
    const bad = at.schedule("soon please", { chatId: 1 });
    expect(bad.ok).toBe(false);
    expect(bad.replyHtml).toContain("Usage:");
    expect(bad.replyHtml).not.toContain("<prompt>");
  });

  test("at most 20 pending per chat; other chats unaffected; cancelAll counts", () => {
    for (let i = 0; i < AT_MAX_PENDING_PER_CHAT; i++)
      expect(at.schedule(`${i + 1}m job ${i}`, { chatId: 1 }).ok).toBe(true);
    expect(at.schedule("5m one more", { chatId: 1 }).ok).toBe(false);
    expect(at.schedule("5m elsewhere", { chatId: 2 }).ok).toBe(true);
    expect(at.cancelAll(1)).toBe(20);
    expect(at.cancelAll(1)).toBe(0);
    expect(at.pending(2)).toBe(1);
    t.advance(3_600_000);
    at.tick();
    expect(sink.runs.map((r) => r.chatId)).toEqual([2]);
  });
});

describe("/at across a restart", () => {
  let dir: TempDir;
  beforeEach(() => {
    captureLogs();
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());

  test("jobs survive: a new scheduler on the same db fires overdue jobs at start and the rest when due", async () => {
    const path = join(dir.dir, "state", "untether.db");
    const t = clock(Date.UTC(2026, 4, 1, 12));
    const before = recordingSink();
    let db = StateDb.open(path);
    const first = new AtScheduler({ db, sink: before, now: t.now, timers: manualTimers() });
    first.start();
    expect(first.schedule("5m early job", { chatId: 3 }).ok).toBe(true);
    expect(first.schedule("2h late job", { chatId: 3, threadId: 4 }).ok).toBe(true);
    await first.stop();
    db.close();

    // Down for ten minutes.
    t.advance(10 * 60_000);
    db = StateDb.open(path);
    const after = recordingSink();
    const second = new AtScheduler({ db, sink: after, now: t.now, timers: manualTimers() });
    expect(second.pending(3)).toBe(2);
    second.start();
    await second.idle();
    expect(after.runs.map((r) => r.prompt)).toEqual(["early job"]);
    t.advance(2 * 3_600_000);
    second.tick();
    await second.idle();
    expect(after.runs.map((r) => [r.prompt, r.threadId])).toEqual([
      ["early job", undefined],
      ["late job", 4],
    ]);
    expect(before.runs).toHaveLength(0);
    expect(db.atJobs()).toEqual([]);
    db.close();
  });
});
