// Run history in the state database: each run's log (prompt, actions with their results, answer) for
// /export, and the run rows /stats reads. Logs are bounded per run by the writer (core/run-log.ts) and
// deleted by age with the links from bot messages to runs (`[history] retention_days`).
import type { Database } from "bun:sqlite";

/** Tables of this module, created with the others when the database opens. */
export const HISTORY_MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS run_logs (
     run_id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, prompt TEXT NOT NULL, answer TEXT, error TEXT,
     actions TEXT NOT NULL DEFAULT '[]', omitted TEXT NOT NULL DEFAULT '{}', cut INTEGER NOT NULL DEFAULT 0)`,
  "CREATE INDEX IF NOT EXISTS run_logs_created ON run_logs (created_at)",
  "CREATE INDEX IF NOT EXISTS runs_chat ON runs (chat_id, id)",
];

export type LoggedActionStatus = "running" | "updated" | "done" | "failed";

/** One action of a run as stored: what it was and how it ended. */
export interface LoggedAction {
  kind: string;
  title: string;
  status: LoggedActionStatus;
  /** The engine's detail (command, output, exit code, changed files), as JSON, cut to a few KiB. */
  detail?: string;
}

/** What a run's log holds at its end. */
export interface RunLogEnd {
  answer?: string;
  error?: string;
  actions: LoggedAction[];
  /** Actions not kept (over the per-run bounds), counted by kind. */
  omitted: Record<string, number>;
  /** The answer was cut to fit the per-run byte bound. */
  cut: boolean;
}

/** A run as /export shows it: its row and its log. */
export interface StoredRun extends RunLogEnd {
  runId: number;
  chatId: number;
  engine: string;
  source: string;
  status: string;
  startedAt: number;
  finishedAt?: number;
  costUsd?: number;
  project?: string;
  branch?: string;
  /** Undefined when the run has no stored log (older than retention, or from before logs were kept). */
  prompt?: string;
}

/** A run row as /stats reads it. */
export interface RunStatRow {
  engine: string;
  status: string;
  startedAt: number;
  finishedAt: number | null;
  costUsd: number | null;
}

interface StoredRow {
  id: number;
  chat_id: number;
  engine: string;
  source: string;
  status: string;
  started_at: number;
  finished_at: number | null;
  cost_usd: number | null;
  project: string | null;
  branch: string | null;
  prompt: string | null;
  answer: string | null;
  error: string | null;
  actions: string | null;
  omitted: string | null;
  cut: number | null;
}

function parseJson<T>(raw: string | null, fallback: T): T {
  if (raw === null) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return fallback;
  }
}

export class RunHistory {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** A run started: its prompt is kept from now on (the end is written by `finish`). */
  begin(runId: number, createdAt: number, prompt: string): void {
    this.#db
      .query("INSERT OR REPLACE INTO run_logs (run_id, created_at, prompt) VALUES (?, ?, ?)")
      .run(runId, createdAt, prompt);
  }

  finish(runId: number, end: RunLogEnd): void {
    this.#db
      .query("UPDATE run_logs SET answer = ?, error = ?, actions = ?, omitted = ?, cut = ? WHERE run_id = ?")
      .run(
        end.answer ?? null,
        end.error ?? null,
        JSON.stringify(end.actions),
        JSON.stringify(end.omitted),
        end.cut ? 1 : 0,
        runId,
      );
  }

  /** A run with its log (the log fields empty when none is stored). */
  get(runId: number): StoredRun | undefined {
    const r = this.#db
      .query<StoredRow, [number]>(
        "SELECT r.id, r.chat_id, r.engine, r.source, r.status, r.started_at, r.finished_at, r.cost_usd, r.project, r.branch, " +
          "l.prompt, l.answer, l.error, l.actions, l.omitted, l.cut FROM runs r LEFT JOIN run_logs l ON l.run_id = r.id WHERE r.id = ?",
      )
      .get(runId);
    if (!r) return undefined;
    return {
      runId: r.id,
      chatId: r.chat_id,
      engine: r.engine,
      source: r.source,
      status: r.status,
      startedAt: r.started_at,
      ...(r.finished_at === null ? {} : { finishedAt: r.finished_at }),
      ...(r.cost_usd === null ? {} : { costUsd: r.cost_usd }),
      ...(r.project === null ? {} : { project: r.project }),
      ...(r.branch === null ? {} : { branch: r.branch }),
      ...(r.prompt === null ? {} : { prompt: r.prompt }),
      ...(r.answer === null ? {} : { answer: r.answer }),
      ...(r.error === null ? {} : { error: r.error }),
      actions: parseJson<LoggedAction[]>(r.actions, []),
      omitted: parseJson<Record<string, number>>(r.omitted, {}),
      cut: r.cut === 1,
    };
  }

  /** The newest run of a chat that is over (a running one has nothing to export yet). */
  lastFinishedRun(chatId: number): number | undefined {
    return (
      this.#db
        .query<{ id: number }, [number]>(
          "SELECT id FROM runs WHERE chat_id = ? AND status != 'running' ORDER BY id DESC LIMIT 1",
        )
        .get(chatId)?.id ?? undefined
    );
  }

  /** Runs of a chat (all chats when `chatId` is undefined) started in [fromMs, toMs), optionally one engine's. */
  statRows(q: { chatId?: number; engine?: string; fromMs: number; toMs: number }): RunStatRow[] {
    const where = ["started_at >= ?", "started_at < ?"];
    const params: Array<number | string> = [q.fromMs, q.toMs];
    if (q.chatId !== undefined) {
      where.push("chat_id = ?");
      params.push(q.chatId);
    }
    if (q.engine !== undefined) {
      where.push("engine = ?");
      params.push(q.engine);
    }
    return this.#db
      .query<
        {
          engine: string;
          status: string;
          started_at: number;
          finished_at: number | null;
          cost_usd: number | null;
        },
        Array<number | string>
      >(`SELECT engine, status, started_at, finished_at, cost_usd FROM runs WHERE ${where.join(" AND ")}`)
      .all(...params)
      .map((r) => ({
        engine: r.engine,
        status: r.status,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        costUsd: r.cost_usd,
      }));
  }

  /**
   * Deletes run logs written before `cutoffMs` and the links from bot messages to runs started before
   * it (the run rows stay, for /stats). Returns how many of each went.
   */
  prune(cutoffMs: number): { logs: number; messages: number } {
    return this.#db.transaction(() => {
      const logs = this.#db.query("DELETE FROM run_logs WHERE created_at < ?").run(cutoffMs).changes;
      const messages = this.#db
        .query("DELETE FROM run_messages WHERE run_id IN (SELECT id FROM runs WHERE started_at < ?)")
        .run(cutoffMs).changes;
      return { logs, messages };
    })();
  }
}
