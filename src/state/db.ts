// The state database (bun:sqlite), next to the config file: update offset, chat sessions, run records,
// trigger history, remembered run_once crons and pending /at jobs. One file, WAL, directory 0700; the
// database and its -wal/-shm files 0600.
import { Database } from "bun:sqlite";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { UntetherError } from "../errors.ts";
import { HISTORY_MIGRATIONS, RunHistory } from "./history.ts";

export class StateError extends UntetherError {}

const SCHEMA_VERSION = 2;

const MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS sessions (
     scope TEXT NOT NULL, engine TEXT NOT NULL, token TEXT NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (scope, engine))`,
  `CREATE TABLE IF NOT EXISTS runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT, chat_id INTEGER NOT NULL, engine TEXT NOT NULL,
     source TEXT NOT NULL, started_at INTEGER NOT NULL, finished_at INTEGER, status TEXT NOT NULL,
     progress_message_id INTEGER, resume_token TEXT, cost_usd REAL)`,
  `CREATE TABLE IF NOT EXISTS trigger_history (trigger_id TEXT PRIMARY KEY, fired_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS run_once_fired (cron_id TEXT PRIMARY KEY, fired_at INTEGER NOT NULL)`,
  // Every message the bot sent for a run, so a reply finds its run (and context) by message id.
  `CREATE TABLE IF NOT EXISTS run_messages (
     chat_id INTEGER NOT NULL, message_id INTEGER NOT NULL, run_id INTEGER NOT NULL,
     PRIMARY KEY (chat_id, message_id))`,
  `CREATE TABLE IF NOT EXISTS at_jobs (
     id TEXT PRIMARY KEY, chat_id INTEGER NOT NULL, thread_id INTEGER, due_at INTEGER NOT NULL,
     payload TEXT NOT NULL)`,
  // ---- per-chat settings (issue #15: /config, /model, /reasoning, /planmode, /verbose, /listen) ----
  `CREATE TABLE IF NOT EXISTS chat_settings (
     scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (scope, key))`,
];

/** Columns added to `runs` after version 1: where a run ran, so a reply continues there. */
const RUN_CONTEXT_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ["thread_id", "INTEGER"],
  ["project", "TEXT"],
  ["branch", "TEXT"],
  ["cwd", "TEXT"],
];

/** What a reply needs to continue a run: its engine, session and where it ran. */
export interface RunContext {
  runId: number;
  chatId: number;
  engine: string;
  status: string;
  /** The engine's session id, stored as soon as the engine reports it. */
  session?: string;
  project?: string;
  branch?: string;
  cwd?: string;
}

export interface RunRecord {
  id: number;
  chatId: number;
  engine: string;
  source: string;
  startedAt: number;
  status: string;
  progressMessageId: number | null;
}

export interface AtJob {
  id: string;
  chatId: number;
  threadId: number | null;
  dueAt: number;
  payload: string;
}

/**
 * Creates the state directory 0700 when missing. An existing one keeps its mode: it may be a folder we
 * did not create (`--config /etc/untether.toml`); a loose mode is logged at start-up and fails doctor.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Creates `file` 0600 when `create` and it is missing; tightens an existing one to 0600. Best effort:
 * the directory is already 0700, and a failure here must not stop the bot.
 */
function makePrivateFile(file: string, create: boolean): void {
  try {
    if (create) closeSync(openSync(file, "a", 0o600));
    if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch {
    // Reported by the open that follows if it matters.
  }
}

export class StateDb {
  readonly path: string;
  readonly #db: Database;
  /** Run logs (/export) and the run rows /stats reads. */
  readonly history: RunHistory;
  readonly #pendingTriggers = new Map<string, number>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(path: string, db: Database) {
    this.path = path;
    this.#db = db;
    this.history = new RunHistory(db);
  }

  static open(path: string): StateDb {
    const onDisk = path !== ":memory:";
    if (onDisk) {
      ensurePrivateDir(dirname(path));
      // 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database file's mode.
      makePrivateFile(path, true);
      for (const side of [`${path}-wal`, `${path}-shm`]) makePrivateFile(side, false);
    }
    let db: Database;
    try {
      db = new Database(path, { create: true, strict: true });
      db.exec("PRAGMA busy_timeout = 2000");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.transaction(() => {
        for (const sql of MIGRATIONS) db.exec(sql);
        const have = new Set(
          db
            .query<{ name: string }, []>("PRAGMA table_info(runs)")
            .all()
            .map((c) => c.name),
        );
        for (const [name, type] of RUN_CONTEXT_COLUMNS)
          if (!have.has(name)) db.exec(`ALTER TABLE runs ADD COLUMN ${name} ${type}`);
        // Run history (state/history.ts): run logs for /export.
        for (const sql of HISTORY_MIGRATIONS) db.exec(sql);
      })();
      // Upgraded in place (columns added above): the recorded version follows.
      db.query(
        "INSERT INTO kv (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      ).run(String(SCHEMA_VERSION));
      db.query("SELECT count(*) FROM kv").get();
    } catch (e) {
      throw new StateError(
        "state.open_failed",
        `cannot open the state database ${path}: ${(e as Error).message}. ` +
          "If the file is corrupt, move it aside (Untether creates a new one; stored sessions are lost) " +
          "or restore it from a backup.",
        { cause: e },
      );
    }
    if (onDisk) {
      for (const file of [path, `${path}-wal`, `${path}-shm`]) makePrivateFile(file, false);
    }
    return new StateDb(path, db);
  }

  close(): void {
    this.#flushTriggers();
    this.#db.close();
  }

  getKv(key: string): string | undefined {
    const row = this.#db.query<{ value: string }, [string]>("SELECT value FROM kv WHERE key = ?").get(key);
    return row?.value;
  }

  setKv(key: string, value: string): void {
    this.#db
      .query("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .run(key, value);
  }

  /** Deletes `key` only while it still holds `value` (compare-and-delete); true when it did. */
  deleteKvIf(key: string, value: string): boolean {
    return this.#db.query("DELETE FROM kv WHERE key = ? AND value = ?").run(key, value).changes > 0;
  }

  deleteKv(key: string): void {
    this.#db.query("DELETE FROM kv WHERE key = ?").run(key);
  }

  /** The next update_id to ask Telegram for (0 = never polled). */
  getUpdateOffset(): number {
    return Number(this.getKv("telegram.update_offset") ?? "0");
  }

  setUpdateOffset(offset: number): void {
    this.setKv("telegram.update_offset", String(offset));
  }

  getSession(scope: string, engine: string): string | undefined {
    return this.#db
      .query<{ token: string }, [string, string]>("SELECT token FROM sessions WHERE scope = ? AND engine = ?")
      .get(scope, engine)?.token;
  }

  setSession(scope: string, engine: string, token: string): void {
    this.#db
      .query(
        "INSERT INTO sessions (scope, engine, token, updated_at) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT(scope, engine) DO UPDATE SET token = excluded.token, updated_at = excluded.updated_at",
      )
      .run(scope, engine, token, Date.now());
  }

  /** Deletes every stored session of a scope; returns how many there were. */
  clearSessions(scope: string): number {
    // Project and `@branch` sessions live under "<scope>:project:<p>:branch:<b>" (core/dispatch.ts) and go too.
    const project = `${scope}:project:`;
    const branch = `${scope}:branch:`;
    return this.#db
      .query("DELETE FROM sessions WHERE scope = ? OR substr(scope, 1, ?) = ? OR substr(scope, 1, ?) = ?")
      .run(scope, project.length, project, branch.length, branch).changes;
  }

  startRun(r: {
    chatId: number;
    engine: string;
    source: string;
    progressMessageId?: number;
    threadId?: number;
    project?: string;
    branch?: string;
    cwd?: string;
    session?: string;
    /** Epoch ms; now by default. */
    startedAt?: number;
  }): number {
    const res = this.#db
      .query(
        "INSERT INTO runs (chat_id, engine, source, started_at, status, progress_message_id, thread_id, project, branch, cwd, resume_token) " +
          "VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
      )
      .run(
        r.chatId,
        r.engine,
        r.source,
        r.startedAt ?? Date.now(),
        r.progressMessageId ?? null,
        r.threadId ?? null,
        r.project ?? null,
        r.branch ?? null,
        r.cwd ?? null,
        r.session ?? null,
      );
    return Number(res.lastInsertRowid);
  }

  setRunProgressMessage(id: number, messageId: number): void {
    this.#db.query("UPDATE runs SET progress_message_id = ? WHERE id = ?").run(messageId, id);
  }

  /** The engine reported its session id: a reply to this run can continue it from now on. */
  setRunSession(id: number, session: string): void {
    this.#db.query("UPDATE runs SET resume_token = ? WHERE id = ?").run(session, id);
  }

  /** Remembers that the bot sent `messageId` in `chatId` for this run (progress or a final part). */
  recordRunMessage(runId: number, chatId: number, messageId: number): void {
    this.#db
      .query("INSERT OR REPLACE INTO run_messages (chat_id, message_id, run_id) VALUES (?, ?, ?)")
      .run(chatId, messageId, runId);
  }

  /** The run a bot message belongs to, with where it ran; undefined for messages of no run. */
  runByMessage(chatId: number, messageId: number): RunContext | undefined {
    const r = this.#db
      .query<RunContextRow, [number, number]>(
        "SELECT r.id, r.chat_id, r.engine, r.status, r.resume_token, r.project, r.branch, r.cwd FROM run_messages m JOIN runs r ON r.id = m.run_id " +
          "WHERE m.chat_id = ? AND m.message_id = ?",
      )
      .get(chatId, messageId);
    return r ? runContextOf(r) : undefined;
  }

  runContext(runId: number): RunContext | undefined {
    const r = this.#db
      .query<RunContextRow, [number]>(
        "SELECT id, chat_id, engine, status, resume_token, project, branch, cwd FROM runs WHERE id = ?",
      )
      .get(runId);
    return r ? runContextOf(r) : undefined;
  }

  finishRun(
    id: number,
    status: string,
    extra: { resumeToken?: string; costUsd?: number; finishedAt?: number } = {},
  ): void {
    // A session id reported at start is kept when the end carries none (a cancelled run).
    this.#db
      .query(
        "UPDATE runs SET status = ?, finished_at = ?, resume_token = COALESCE(?, resume_token), cost_usd = ? WHERE id = ?",
      )
      .run(status, extra.finishedAt ?? Date.now(), extra.resumeToken ?? null, extra.costUsd ?? null, id);
  }

  /** Sum of the reported costs (USD) of runs that finished in [fromMs, toMs). */
  costBetween(fromMs: number, toMs: number): number {
    const row = this.#db
      .query<{ total: number | null }, [number, number]>(
        "SELECT SUM(cost_usd) AS total FROM runs WHERE cost_usd IS NOT NULL AND finished_at >= ? AND finished_at < ?",
      )
      .get(fromMs, toMs);
    return row?.total ?? 0;
  }

  /** Runs still marked running (left over by a crash or a kill -9). */
  unfinishedRuns(): RunRecord[] {
    return this.#db
      .query<
        {
          id: number;
          chat_id: number;
          engine: string;
          source: string;
          started_at: number;
          status: string;
          progress_message_id: number | null;
        },
        []
      >(
        "SELECT id, chat_id, engine, source, started_at, status, progress_message_id FROM runs WHERE status = 'running'",
      )
      .all()
      .map((r) => ({
        id: r.id,
        chatId: r.chat_id,
        engine: r.engine,
        source: r.source,
        startedAt: r.started_at,
        status: r.status,
        progressMessageId: r.progress_message_id,
      }));
  }

  /**
   * Remembers when a trigger last fired. A webhook may fire thousands of times a second and only the
   * latest time matters, so writes are coalesced and flushed within a second (and on close).
   */
  recordTrigger(triggerId: string, at = Date.now()): void {
    this.#pendingTriggers.set(triggerId, at);
    if (this.#flushTimer) return;
    this.#flushTimer = setTimeout(() => this.#flushTriggers(), 1000);
    (this.#flushTimer as { unref?: () => void }).unref?.();
  }

  lastTriggered(triggerId: string): number | undefined {
    const pending = this.#pendingTriggers.get(triggerId);
    if (pending !== undefined) return pending;
    return this.#db
      .query<{ fired_at: number }, [string]>("SELECT fired_at FROM trigger_history WHERE trigger_id = ?")
      .get(triggerId)?.fired_at;
  }

  #flushTriggers(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#pendingTriggers.size === 0) return;
    const upsert = this.#db.query(
      "INSERT INTO trigger_history (trigger_id, fired_at) VALUES (?, ?) ON CONFLICT(trigger_id) DO UPDATE SET fired_at = excluded.fired_at",
    );
    this.#db.transaction(() => {
      for (const [id, at] of this.#pendingTriggers) upsert.run(id, at);
    })();
    this.#pendingTriggers.clear();
  }

  markRunOnceFired(cronId: string, at = Date.now()): void {
    this.#db.query("INSERT OR REPLACE INTO run_once_fired (cron_id, fired_at) VALUES (?, ?)").run(cronId, at);
  }

  runOnceFired(cronId: string): boolean {
    return this.#db.query("SELECT 1 FROM run_once_fired WHERE cron_id = ?").get(cronId) !== null;
  }

  /** Forgets run_once marks of crons no longer in the config (re-adding one re-arms it). */
  pruneRunOnce(keep: readonly string[]): void {
    const rows = this.#db.query<{ cron_id: string }, []>("SELECT cron_id FROM run_once_fired").all();
    const keepSet = new Set(keep);
    for (const r of rows)
      if (!keepSet.has(r.cron_id)) this.#db.query("DELETE FROM run_once_fired WHERE cron_id = ?").run(r.cron_id);
  }

  addAtJob(job: AtJob): void {
    this.#db
      .query("INSERT INTO at_jobs (id, chat_id, thread_id, due_at, payload) VALUES (?, ?, ?, ?, ?)")
      .run(job.id, job.chatId, job.threadId, job.dueAt, job.payload);
  }

  removeAtJob(id: string): boolean {
    return this.#db.query("DELETE FROM at_jobs WHERE id = ?").run(id).changes > 0;
  }

  atJobs(chatId?: number): AtJob[] {
    const rows =
      chatId === undefined
        ? this.#db
            .query<{ id: string; chat_id: number; thread_id: number | null; due_at: number; payload: string }, []>(
              "SELECT * FROM at_jobs ORDER BY due_at",
            )
            .all()
        : this.#db
            .query<
              { id: string; chat_id: number; thread_id: number | null; due_at: number; payload: string },
              [number]
            >("SELECT * FROM at_jobs WHERE chat_id = ? ORDER BY due_at")
            .all(chatId);
    return rows.map((r) => ({
      id: r.id,
      chatId: r.chat_id,
      threadId: r.thread_id,
      dueAt: r.due_at,
      payload: r.payload,
    }));
  }

  // ---- per-chat settings (issue #15): one row per chat or topic scope and key ----

  getChatSetting(scope: string, key: string): string | undefined {
    return (
      this.#db
        .query<{ value: string }, [string, string]>("SELECT value FROM chat_settings WHERE scope = ? AND key = ?")
        .get(scope, key)?.value ?? undefined
    );
  }

  /** Stores a chat setting; `undefined` removes it (the chat falls back to the project or config). */
  setChatSetting(scope: string, key: string, value: string | undefined): void {
    if (value === undefined) {
      this.#db.query("DELETE FROM chat_settings WHERE scope = ? AND key = ?").run(scope, key);
      return;
    }
    this.#db
      .query(
        "INSERT INTO chat_settings (scope, key, value) VALUES (?, ?, ?) ON CONFLICT(scope, key) DO UPDATE SET value = excluded.value",
      )
      .run(scope, key, value);
  }
}

interface RunContextRow {
  id: number;
  chat_id: number;
  engine: string;
  status: string;
  resume_token: string | null;
  project: string | null;
  branch: string | null;
  cwd: string | null;
}

function runContextOf(r: RunContextRow): RunContext {
  return {
    runId: r.id,
    chatId: r.chat_id,
    engine: r.engine,
    status: r.status,
    ...(r.resume_token ? { session: r.resume_token } : {}),
    ...(r.project ? { project: r.project } : {}),
    ...(r.branch ? { branch: r.branch } : {}),
    ...(r.cwd ? { cwd: r.cwd } : {}),
  };
}
