// The boundary between triggers and the rest of the bot. The integrator implements TriggerSink over
// the run manager and the chat transport; nothing in triggers/ knows about Telegram.
import type { TriggerSource } from "../core/run-source.ts";
import type { FetchImpl } from "../security/outbound.ts";
import type { Resolver } from "../security/ssrf.ts";
import type { StateDb } from "../state/db.ts";
import type { TriggerPauses } from "./pauses.ts";

export interface StartRunRequest {
  chatId: number;
  threadId?: number;
  prompt: string;
  engine?: string;
  project?: string;
  /** A `/at` run's frozen `@branch`. */
  branch?: string;
  /** The user who scheduled an `/at` run: it does not run once they lost access. */
  userId?: number;
  /** The sink derives the chat notice from it. */
  source: TriggerSource;
  permissionMode?: string;
}

export interface TriggerSink {
  /** Posts a notice in the chat ("⚡ Trigger: webhook:<id>"), then starts a run replying to it. */
  startRun(req: StartRunRequest): Promise<void>;
  /** A plain notification (HTML, already escaped by the caller). */
  notify(chatId: number, html: string): Promise<void>;
  /** Absolute path of a project (for file_write / file_read confinement); undefined if unknown. */
  projectPath(project: string | undefined): string | undefined;
  /** The deny globs every trigger file access honours now: the built-in list and the live `deny_globs`. */
  denyGlobs(): readonly string[];
  defaultChatId: number;
}

/** Timers behind an interface so schedulers can be stepped by tests. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending trigger alone must not keep the process alive at shutdown.
    (t as { unref?: () => void }).unref?.();
    return t;
  },
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** What the trigger modules need from the outside world; everything but `db` has a real default. */
export interface TriggerDeps {
  db: StateDb;
  /** Epoch milliseconds. */
  now?: () => number;
  resolver?: Resolver;
  fetchImpl?: FetchImpl;
  /** Waits between http_forward retries. */
  sleep?: (ms: number) => Promise<void>;
  timers?: Timers;
  /** Most peer addresses the webhook server counts failures for (default 10 000; tests shrink it). */
  maxPeers?: number;
  /** Paused triggers (persisted); one over `db` when absent. */
  pauses?: TriggerPauses;
}
