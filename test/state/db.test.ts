import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StateDb, StateError } from "../../src/state/db.ts";
import { acquireInstanceLock, LockError, processStartTime } from "../../src/state/lock.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "untether-state-"));

describe("state database", () => {
  test("a database of the first release is upgraded in place: old runs kept, run context stored from now on", () => {
    const path = join(tmp(), "untether.db");
    const old = new Database(path, { create: true });
    old.exec(`CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    old.exec(`CREATE TABLE runs (
      id INTEGER PRIMARY KEY AUTOINCREMENT, chat_id INTEGER NOT NULL, engine TEXT NOT NULL,
      source TEXT NOT NULL, started_at INTEGER NOT NULL, finished_at INTEGER, status TEXT NOT NULL,
      progress_message_id INTEGER, resume_token TEXT, cost_usd REAL)`);
    old.exec(`INSERT INTO kv VALUES ('schema_version', '1')`);
    old.exec(
      `INSERT INTO runs (chat_id, engine, source, started_at, status, resume_token) VALUES (5, 'codex', 'telegram', 1, 'done', 'old')`,
    );
    old.close();
    const db = StateDb.open(path);
    expect(db.getKv("schema_version")).toBe("2");
    expect(db.runContext(1)).toMatchObject({ engine: "codex", session: "old" });
    const id = db.startRun({
      chatId: 5,
      engine: "claude",
      source: "telegram",
      project: "web",
      branch: "fix",
      cwd: "/srv/web/.wt/fix",
    });
    db.recordRunMessage(id, 5, 77);
    expect(db.runByMessage(5, 77)).toMatchObject({
      engine: "claude",
      project: "web",
      branch: "fix",
      cwd: "/srv/web/.wt/fix",
    });
    db.close();
  });

  test("creates its directory 0700 and keeps the offset across reopen", () => {
    const dir = join(tmp(), "state");
    const path = join(dir, "untether.db");
    const db = StateDb.open(path);
    expect(db.getUpdateOffset()).toBe(0);
    db.setUpdateOffset(42);
    db.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = StateDb.open(path);
    expect(again.getUpdateOffset()).toBe(42);
    again.close();
  });

  test("the -wal and -shm files are 0600 too, whatever the umask, also for a database made 0644 before", () => {
    const old = process.umask(0o022);
    try {
      const path = join(tmp(), "state", "untether.db");
      const db = StateDb.open(path);
      db.setUpdateOffset(7);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        expect(existsSync(file)).toBe(true);
        expect(statSync(file).mode & 0o777).toBe(0o600);
      }
      db.close();
      // A database left readable by others (an older version): tightened, and its new WAL follows.
      chmodSync(path, 0o644);
      const again = StateDb.open(path);
      again.setUpdateOffset(8);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(file).mode & 0o777).toBe(0o600);
      again.close();
    } finally {
      process.umask(old);
    }
  });

  test("sessions are per scope and engine, and clearing reports the count", () => {
    const db = StateDb.open(":memory:");
    db.setSession("chat:1", "codex", "t1");
    db.setSession("chat:1", "claude", "t2");
    db.setSession("chat:1", "codex", "t3");
    expect(db.getSession("chat:1", "codex")).toBe("t3");
    expect(db.clearSessions("chat:1")).toBe(2);
    expect(db.getSession("chat:1", "claude")).toBeUndefined();
  });

  test("clearing a scope clears its project and @branch sessions too, and nobody else's", () => {
    const db = StateDb.open(":memory:");
    db.setSession("chat:1", "mock", "root");
    db.setSession("chat:1:branch:feature-x", "mock", "wt");
    db.setSession("chat:1:project:web:branch:feature-x", "mock", "project-wt");
    db.setSession("chat:1:user:2:branch:feature-x", "mock", "other-user");
    db.setSession("chat:12:branch:feature-x", "mock", "other-chat");
    expect(db.clearSessions("chat:1")).toBe(3);
    expect(db.getSession("chat:1:branch:feature-x", "mock")).toBeUndefined();
    expect(db.getSession("chat:1:project:web:branch:feature-x", "mock")).toBeUndefined();
    expect(db.getSession("chat:1:user:2:branch:feature-x", "mock")).toBe("other-user");
    expect(db.getSession("chat:12:branch:feature-x", "mock")).toBe("other-chat");
  });

  test("unfinished runs are listed until finished", () => {
    const db = StateDb.open(":memory:");
    const id = db.startRun({ chatId: 5, engine: "mock", source: "telegram" });
    db.setRunProgressMessage(id, 77);
    expect(db.unfinishedRuns()).toEqual([
      expect.objectContaining({ id, chatId: 5, progressMessageId: 77, status: "running" }),
    ]);
    db.finishRun(id, "done");
    expect(db.unfinishedRuns()).toEqual([]);
  });

  test("run_once marks and /at jobs survive a reopen", () => {
    const path = join(tmp(), "s.db");
    const db = StateDb.open(path);
    db.markRunOnceFired("nightly");
    db.addAtJob({ id: "a1", chatId: 9, threadId: null, dueAt: 1000, payload: "{}" });
    db.close();
    const again = StateDb.open(path);
    expect(again.runOnceFired("nightly")).toBe(true);
    expect(again.atJobs(9).map((j) => j.id)).toEqual(["a1"]);
    again.pruneRunOnce([]);
    expect(again.runOnceFired("nightly")).toBe(false);
    again.close();
  });

  test("a corrupt database file gives a StateError that says what to do", () => {
    const path = join(tmp(), "bad.db");
    writeFileSync(path, "this is not sqlite at all, just text ".repeat(200));
    expect(() => StateDb.open(path)).toThrow(StateError);
    try {
      StateDb.open(path);
    } catch (e) {
      expect((e as StateError).code).toBe("state.open_failed");
      expect((e as Error).message).toContain("move it aside");
    }
  });
});

describe("instance lock", () => {
  /** Runs `fn` with a live `sleep` (started as `name`), killed afterwards by its pid. */
  async function withProcess(name: string, fn: (pid: number) => void): Promise<void> {
    const dir = tmp();
    const exe = join(dir, name);
    symlinkSync(Bun.which("sleep") ?? "/bin/sleep", exe);
    const p = Bun.spawn([exe, "60"], { stdin: "ignore", stdout: "ignore", stderr: "ignore", env: {} });
    try {
      fn(p.pid);
    } finally {
      p.kill("SIGKILL");
      await p.exited;
    }
  }

  test("a lock whose pid now belongs to another program (start time differs) does not block start", async () => {
    await withProcess("sleep", (pid) => {
      const path = join(tmp(), "untether.lock");
      const start = processStartTime(pid);
      expect(start).toMatch(/^\d+$/);
      // Untether had this pid once, started at another time; the pid was then reused by `sleep`.
      writeFileSync(
        path,
        JSON.stringify({ pid, startedAt: "2026-01-01T00:00:00.000Z", procStart: String(Number(start) - 1) }),
      );
      const lock = acquireInstanceLock(path);
      expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({
        pid: process.pid,
        procStart: processStartTime(process.pid),
      });
      lock.release();
      // A lock from before start times were recorded: a live pid that is not untether does not block either.
      writeFileSync(path, JSON.stringify({ pid, startedAt: "2026-01-01T00:00:00.000Z" }));
      acquireInstanceLock(path).release();
    });
  });

  test("a live untether still blocks: by its recorded start time, or by its command line for an old lock", async () => {
    await withProcess("untether", (pid) => {
      const path = join(tmp(), "untether.lock");
      const owner = acquireInstanceLock(path, pid);
      expect(() => acquireInstanceLock(path)).toThrow(`pid ${pid}`);
      owner.release();
      writeFileSync(path, JSON.stringify({ pid, startedAt: "2026-01-01T00:00:00.000Z" }));
      expect(() => acquireInstanceLock(path)).toThrow(`pid ${pid}`);
    });
  });

  test("a second instance is refused, naming the first", () => {
    const path = join(tmp(), "untether.lock");
    const first = acquireInstanceLock(path, process.pid);
    // A live process other than us holds it: pretend to be another pid.
    expect(() => acquireInstanceLock(path, process.pid + 100000)).toThrow(LockError);
    try {
      acquireInstanceLock(path, process.pid + 100000);
    } catch (e) {
      expect((e as Error).message).toContain(`pid ${process.pid}`);
    }
    first.release();
    const second = acquireInstanceLock(path, process.pid + 100000);
    second.release();
  });

  test("a stale lock from a dead process is taken over", () => {
    const path = join(tmp(), "untether.lock");
    writeFileSync(path, JSON.stringify({ pid: 2147483000 }));
    const lock = acquireInstanceLock(path);
    lock.release();
  });
});

describe("trigger history", () => {
  test("is readable at once and reaches the database by close", () => {
    const path = join(tmp(), "h.db");
    const db = StateDb.open(path);
    db.recordTrigger("webhook-a", 1000);
    db.recordTrigger("webhook-a", 2000);
    expect(db.lastTriggered("webhook-a")).toBe(2000);
    db.close();
    const again = StateDb.open(path);
    expect(again.lastTriggered("webhook-a")).toBe(2000);
    again.close();
  });
});
