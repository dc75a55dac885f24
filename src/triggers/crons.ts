// Scheduled runs. croner does the calendar arithmetic (IANA zones, DST); this module decides when
// to look, fires each cron at most once per due time, and remembers run_once crons in the state db.
import { Cron } from "croner";
import type { Config, CronConfig } from "../config/schema.ts";
import { escapeHtml } from "../core/html.ts";
import { logger } from "../log/logger.ts";
import type { StateDb } from "../state/db.ts";
import { errorName } from "./actions.ts";
import { fetchedPrompt, runFetch } from "./fetch.ts";
import { TriggerPauses } from "./pauses.ts";
import { realTimers, type Timers, type TriggerDeps, type TriggerSink } from "./sink.ts";
import { renderTemplate } from "./template.ts";

/** Longest sleep between checks, so a wall-clock step or a suspend is noticed within a minute. */
const MAX_SLEEP_MS = 60_000;

/**
 * croner with the original's matching: five fields, day-of-month AND day-of-week (no Vixie OR).
 * `timezone` undefined means the system's zone.
 */
export function cronPattern(schedule: string, timezone: string | undefined): Cron {
  return new Cron(schedule.trim(), {
    paused: true,
    mode: "5-part",
    domAndDow: true,
    ...(timezone === undefined ? {} : { timezone }),
  });
}

/** The first due time strictly after `date`, or undefined when the pattern never fires again. */
export function nextRunAfter(schedule: string, date: Date, timezone?: string): Date | undefined {
  const job = cronPattern(schedule, timezone);
  try {
    return job.nextRun(date) ?? undefined;
  } finally {
    job.stop();
  }
}

export function cronTimezone(cron: CronConfig, config: Config): string | undefined {
  return cron.timezone ?? config.triggers.default_timezone;
}

export interface CronSchedulerOptions {
  crons: readonly CronConfig[];
  db: StateDb;
  /** Starts the run for a due cron (see dispatchCron). */
  fire: (cron: CronConfig) => Promise<void>;
  timezoneOf: (cron: CronConfig) => string | undefined;
  now?: () => number;
  timers?: Timers;
  /** Paused triggers (persisted); one over `db` when absent. */
  pauses?: TriggerPauses;
}

interface Entry {
  cron: CronConfig;
  timezone: string | undefined;
  next: number | undefined;
}

export class CronScheduler {
  readonly #entries = new Map<string, Entry>();
  readonly #db: StateDb;
  readonly #fire: (cron: CronConfig) => Promise<void>;
  readonly #now: () => number;
  readonly #timers: Timers;
  readonly #inFlight = new Set<Promise<void>>();
  #timer: unknown;
  readonly #pauses: TriggerPauses;
  #running = false;

  constructor(opts: CronSchedulerOptions) {
    this.#db = opts.db;
    this.#fire = opts.fire;
    this.#now = opts.now ?? Date.now;
    this.#timers = opts.timers ?? realTimers;
    this.#pauses = opts.pauses ?? new TriggerPauses(opts.db);
    // Forget run_once marks of crons that left the config, so adding one back re-arms it.
    this.#db.pruneRunOnce(opts.crons.map((c) => c.id));
    const now = this.#now();
    for (const cron of opts.crons) {
      if (cron.run_once && this.#db.runOnceFired(cron.id)) {
        logger().info({ cron: cron.id }, "triggers.cron.run_once_already_fired");
        continue;
      }
      const timezone = opts.timezoneOf(cron);
      try {
        this.#entries.set(cron.id, {
          cron,
          timezone,
          next: nextRunAfter(cron.schedule, new Date(now), timezone)?.getTime(),
        });
      } catch (e) {
        // Validated at load; a schedule croner still refuses is skipped, not fatal.
        logger().error({ cron: cron.id, err: errorName(e) }, "triggers.cron.invalid_schedule");
      }
    }
  }

  /** Active cron ids (run_once crons that already fired are absent). */
  get ids(): string[] {
    return [...this.#entries.keys()];
  }

  /** Next due time (epoch ms) of a cron, for tests and status pages. */
  nextDue(id: string): number | undefined {
    return this.#entries.get(id)?.next;
  }

  /** Pauses or resumes all triggers (see TriggerPauses). */
  setPaused(paused: boolean): void {
    this.#pauses.set(undefined, paused);
  }

  start(): void {
    this.#running = true;
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

  /**
   * Fires every cron whose due time has come, once, even if several due times were missed (a
   * suspended machine does not replay a backlog). While paused, due times pass without firing and
   * run_once crons are not consumed.
   */
  tick(): void {
    const now = this.#now();
    for (const entry of this.#entries.values()) {
      if (entry.next === undefined || entry.next > now) continue;
      const due = entry.next;
      entry.next = nextRunAfter(entry.cron.schedule, new Date(Math.max(now, due)), entry.timezone)?.getTime();
      if (this.#pauses.isPaused(entry.cron.id)) {
        logger().info({ cron: entry.cron.id }, "triggers.cron.skipped_paused");
        continue;
      }
      if (entry.cron.run_once) {
        this.#db.markRunOnceFired(entry.cron.id, now);
        this.#entries.delete(entry.cron.id);
      }
      logger().info({ cron: entry.cron.id, due: new Date(due).toISOString() }, "triggers.cron.fired");
      const p = this.#fire(entry.cron).catch((e: unknown) => {
        logger().error({ cron: entry.cron.id, err: errorName(e) }, "triggers.cron.dispatch_failed");
      });
      this.#inFlight.add(p);
      void p.finally(() => this.#inFlight.delete(p));
    }
  }

  #arm(): void {
    if (!this.#running) return;
    const now = this.#now();
    let soonest = Number.POSITIVE_INFINITY;
    for (const e of this.#entries.values()) if (e.next !== undefined) soonest = Math.min(soonest, e.next);
    const wait = Math.min(MAX_SLEEP_MS, Math.max(0, soonest - now));
    this.#timer = this.#timers.set(() => {
      this.#timer = undefined;
      this.tick();
      this.#arm();
    }, wait + 50);
  }
}

export interface CronDispatchContext {
  sink: TriggerSink;
  db: StateDb;
  now: () => number;
  deps: TriggerDeps;
}

/** Builds the prompt (fetching first if configured) and starts the run, source `cron:<id>`. */
export async function dispatchCron(cron: CronConfig, ctx: CronDispatchContext): Promise<void> {
  const chatId = cron.chat_id ?? ctx.sink.defaultChatId;
  let prompt: string;
  if (cron.fetch !== undefined) {
    const result = await runFetch(cron.fetch, cron.id, {
      projectRoot: ctx.sink.projectPath(cron.project),
      denyGlobs: ctx.sink.denyGlobs(),
      now: ctx.now,
      ...(ctx.deps.resolver === undefined ? {} : { resolver: ctx.deps.resolver }),
      ...(ctx.deps.fetchImpl === undefined ? {} : { fetchImpl: ctx.deps.fetchImpl }),
    });
    if (!result.ok && cron.fetch.on_failure === "abort") {
      logger().warn({ cron: cron.id }, "triggers.cron.fetch_failed");
      await ctx.sink.notify(chatId, escapeHtml(`❌ cron:${cron.id} fetch failed: ${result.error}`));
      return;
    }
    const data = result.ok ? result.data : `[FETCH ERROR: ${result.error}]`;
    prompt = fetchedPrompt(cron, cron.fetch.store_as, data);
  } else {
    // No external data: the configured prompt is trusted text, so no marker.
    prompt = cron.prompt ?? renderTemplate(cron.prompt_template ?? "", {});
  }
  await ctx.sink.startRun({
    chatId,
    prompt,
    source: { kind: "cron", id: cron.id },
    ...(cron.engine === undefined ? {} : { engine: cron.engine }),
    ...(cron.project === undefined ? {} : { project: cron.project }),
    ...(cron.permission_mode === undefined ? {} : { permissionMode: cron.permission_mode }),
  });
  ctx.db.recordTrigger(cron.id, ctx.now());
}

/** A scheduler over the config's crons, dispatching through the sink. */
export function createCronScheduler(config: Config, sink: TriggerSink, deps: TriggerDeps): CronScheduler {
  const now = deps.now ?? Date.now;
  const ctx: CronDispatchContext = { sink, db: deps.db, now, deps };
  return new CronScheduler({
    crons: config.triggers.crons,
    db: deps.db,
    fire: (cron) => dispatchCron(cron, ctx),
    timezoneOf: (cron) => cronTimezone(cron, config),
    now,
    ...(deps.pauses === undefined ? {} : { pauses: deps.pauses }),
    ...(deps.timers === undefined ? {} : { timers: deps.timers }),
  });
}
