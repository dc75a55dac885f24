// `/at 30m <prompt>`: one-off delayed runs. Jobs live in the state db, so a restart keeps them (the
// original lost them); overdue jobs fire as soon as the scheduler starts again.
import { escapeHtml } from "../core/html.ts";
import { logger } from "../log/logger.ts";
import { randomBytes } from "../security/random.ts";
import type { AtJob, StateDb } from "../state/db.ts";
import { errorName } from "./actions.ts";
import { realTimers, type Timers, type TriggerSink } from "./sink.ts";

export const AT_MIN_DELAY_MS = 60_000;
export const AT_MAX_DELAY_MS = 24 * 60 * 60 * 1000;
export const AT_MAX_PENDING_PER_CHAT = 20;
const MAX_SLEEP_MS = 60_000;

const AT_RE = /^\s*(\d+)\s*([smhSMH])\s+(.+?)\s*$/s;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

export interface ParsedAt {
  delayMs: number;
  /** As typed, e.g. `30m`, for the reply. */
  delayText: string;
  prompt: string;
}

/** Parses `<N><s|m|h> <prompt>`; undefined when it does not match. Range checks are separate. */
export function parseAt(args: string): ParsedAt | undefined {
  const m = AT_RE.exec(args);
  if (m === null) return undefined;
  const [, digits = "", unitRaw = "", prompt = ""] = m;
  const unit = unitRaw.toLowerCase();
  // Long digit strings would lose precision; anything past a few digits is out of range anyway.
  const n = digits.length > 9 ? Number.POSITIVE_INFINITY : Number(digits);
  return { delayMs: n * (UNIT_MS[unit] ?? 0), delayText: `${digits.replace(/^0+(?=\d)/, "")}${unit}`, prompt };
}

export interface AtPayload {
  prompt: string;
  engine?: string;
  project?: string;
  branch?: string;
  threadId?: number;
  userId?: number;
}

/** What a scheduled prompt runs with, decided when it is scheduled (the chat's choices may change later). */
export type FrozenAt =
  | { ok: true; prompt: string; engine?: string; project?: string; branch?: string }
  | { ok: false; message: string };

export interface AtContext {
  chatId: number;
  threadId?: number;
  userId?: number;
  /** Resolves directives in the prompt and the chat's engine and project (the run dispatch). */
  freeze?(prompt: string): FrozenAt;
}

export type AtReply = { ok: true; replyHtml: string; id: string } | { ok: false; replyHtml: string };

const USAGE =
  "Usage: <code>/at &lt;N&gt;&lt;s|m|h&gt; &lt;prompt&gt;</code>, e.g. <code>/at 30m check the build</code> " +
  "(between 1 minute and 24 hours).";

export interface AtSchedulerOptions {
  db: StateDb;
  sink: TriggerSink;
  now?: () => number;
  timers?: Timers;
}

function decodePayload(job: AtJob): AtPayload | undefined {
  try {
    const v: unknown = JSON.parse(job.payload);
    if (v === null || typeof v !== "object") return undefined;
    const p = v as Record<string, unknown>;
    if (typeof p.prompt !== "string") return undefined;
    return {
      prompt: p.prompt,
      ...(typeof p.engine === "string" ? { engine: p.engine } : {}),
      ...(typeof p.project === "string" ? { project: p.project } : {}),
      ...(typeof p.branch === "string" ? { branch: p.branch } : {}),
      ...(typeof p.threadId === "number" ? { threadId: p.threadId } : {}),
      ...(typeof p.userId === "number" ? { userId: p.userId } : {}),
    };
  } catch {
    return undefined;
  }
}

export class AtScheduler {
  readonly #db: StateDb;
  readonly #sink: TriggerSink;
  readonly #now: () => number;
  readonly #timers: Timers;
  readonly #inFlight = new Set<Promise<void>>();
  #timer: unknown;
  #running = false;

  constructor(opts: AtSchedulerOptions) {
    this.#db = opts.db;
    this.#sink = opts.sink;
    this.#now = opts.now ?? Date.now;
    this.#timers = opts.timers ?? realTimers;
  }

  /** Loads the persisted jobs: overdue ones fire now, the rest are timed. */
  start(): void {
    this.#running = true;
    const pending = this.#db.atJobs().length;
    if (pending > 0) logger().info({ pending }, "triggers.at.restored");
    this.tick();
    this.#arm();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
    await this.idle();
  }

  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  pending(chatId: number): number {
    return this.#db.atJobs(chatId).length;
  }

  /** Schedules a run; the reply says when, or why not. */
  schedule(args: string, ctx: AtContext): AtReply {
    const parsed = parseAt(args);
    if (parsed === undefined) return { ok: false, replyHtml: `❌ Could not read that /at command.\n${USAGE}` };
    if (parsed.delayMs < AT_MIN_DELAY_MS || parsed.delayMs > AT_MAX_DELAY_MS) {
      return { ok: false, replyHtml: `❌ The delay must be between 1 minute and 24 hours.\n${USAGE}` };
    }
    if (this.pending(ctx.chatId) >= AT_MAX_PENDING_PER_CHAT) {
      return {
        ok: false,
        replyHtml: `❌ This chat already has ${AT_MAX_PENDING_PER_CHAT} pending /at runs; cancel some with /cancel first.`,
      };
    }
    const frozen: FrozenAt = ctx.freeze?.(parsed.prompt) ?? { ok: true, prompt: parsed.prompt };
    if (!frozen.ok) return { ok: false, replyHtml: `❌ ${escapeHtml(frozen.message)}` };
    if (frozen.prompt.trim() === "") return { ok: false, replyHtml: `❌ The task is empty.\n${USAGE}` };
    const id = randomBytes(6).toString("hex");
    const payload: AtPayload = {
      prompt: frozen.prompt,
      ...(frozen.engine === undefined ? {} : { engine: frozen.engine }),
      ...(frozen.project === undefined ? {} : { project: frozen.project }),
      ...(frozen.branch === undefined ? {} : { branch: frozen.branch }),
      ...(ctx.threadId === undefined ? {} : { threadId: ctx.threadId }),
      ...(ctx.userId === undefined ? {} : { userId: ctx.userId }),
    };
    this.#db.addAtJob({
      id,
      chatId: ctx.chatId,
      threadId: ctx.threadId ?? null,
      dueAt: this.#now() + parsed.delayMs,
      payload: JSON.stringify(payload),
    });
    logger().info({ id, chat: ctx.chatId, delay_ms: parsed.delayMs }, "triggers.at.scheduled");
    this.#rearm();
    return {
      ok: true,
      id,
      replyHtml: `⏳ Scheduled: runs in ${escapeHtml(parsed.delayText)}.\nCancel with /cancel.`,
    };
  }

  /** Same as schedule(): the entry point the chat controller calls. */
  handleAtCommand(args: string, ctx: AtContext): AtReply {
    return this.schedule(args, ctx);
  }

  /** Drops every pending job of a chat; returns how many there were. */
  cancelAll(chatId: number): number {
    let n = 0;
    for (const job of this.#db.atJobs(chatId)) if (this.#db.removeAtJob(job.id)) n++;
    if (n > 0) logger().info({ chat: chatId, count: n }, "triggers.at.cancelled");
    return n;
  }

  /** Drops the pending jobs of users who may no longer use the bot; returns how many, by chat. */
  revokeUsers(isAllowed: (userId: number) => boolean): Map<number, number> {
    const byChat = new Map<number, number>();
    for (const job of this.#db.atJobs()) {
      const userId = decodePayload(job)?.userId;
      if (userId === undefined || isAllowed(userId) || !this.#db.removeAtJob(job.id)) continue;
      byChat.set(job.chatId, (byChat.get(job.chatId) ?? 0) + 1);
      logger().info({ id: job.id, chat: job.chatId }, "triggers.at.revoked");
    }
    return byChat;
  }

  /** Fires every due job once. The row is deleted before the run starts: at most once, never twice. */
  tick(): void {
    const now = this.#now();
    for (const job of this.#db.atJobs()) {
      if (job.dueAt > now) break; // ordered by due time
      if (!this.#db.removeAtJob(job.id)) continue;
      const payload = decodePayload(job);
      if (payload === undefined) {
        logger().error({ id: job.id }, "triggers.at.bad_payload");
        continue;
      }
      const threadId = payload.threadId ?? job.threadId ?? undefined;
      const run = this.#sink.startRun({
        chatId: job.chatId,
        prompt: payload.prompt,
        source: { kind: "at", id: job.id },
        ...(threadId === undefined ? {} : { threadId }),
        ...(payload.engine === undefined ? {} : { engine: payload.engine }),
        ...(payload.project === undefined ? {} : { project: payload.project }),
        ...(payload.branch === undefined ? {} : { branch: payload.branch }),
        ...(payload.userId === undefined ? {} : { userId: payload.userId }),
      });
      logger().info({ id: job.id, chat: job.chatId }, "triggers.at.fired");
      const p = run.catch((e: unknown) => {
        logger().error({ id: job.id, err: errorName(e) }, "triggers.at.dispatch_failed");
      });
      this.#inFlight.add(p);
      void p.finally(() => this.#inFlight.delete(p));
    }
  }

  #rearm(): void {
    if (!this.#running) return;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
    this.#arm();
  }

  #arm(): void {
    if (!this.#running) return;
    const next = this.#db.atJobs()[0];
    if (next === undefined) return;
    const wait = Math.min(MAX_SLEEP_MS, Math.max(0, next.dueAt - this.#now()));
    this.#timer = this.#timers.set(() => {
      this.#timer = undefined;
      this.tick();
      this.#arm();
    }, wait + 10);
  }
}

/** The chat controller's entry point for `/at <args>`. */
export function handleAtCommand(at: AtScheduler, args: string, ctx: AtContext): AtReply {
  return at.schedule(args, ctx);
}
