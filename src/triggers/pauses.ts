// Which triggers are paused: one id (a webhook's or a cron's; a webhook and a cron sharing an id are
// paused together), or all of them. Kept in the state database, so a pause survives a restart; read
// from memory on every webhook request and cron due time.
import { logger } from "../log/logger.ts";
import type { StateDb } from "../state/db.ts";

const KEY = "triggers.paused";

export interface PauseState {
  all: boolean;
  ids: string[];
}

export class TriggerPauses {
  readonly #db: StateDb;
  #all = false;
  readonly #ids = new Set<string>();

  constructor(db: StateDb) {
    this.#db = db;
    try {
      const v = JSON.parse(db.getKv(KEY) ?? "{}") as { all?: unknown; ids?: unknown };
      this.#all = v.all === true;
      if (Array.isArray(v.ids)) for (const id of v.ids) if (typeof id === "string") this.#ids.add(id);
    } catch {
      logger().warn({ key: KEY }, "triggers.pause_state_unreadable");
    }
  }

  /** Paused on its own or with all triggers. */
  isPaused(id: string): boolean {
    return this.#all || this.#ids.has(id);
  }

  get allPaused(): boolean {
    return this.#all;
  }

  state(): PauseState {
    return { all: this.#all, ids: [...this.#ids].sort() };
  }

  /**
   * Pauses (or resumes) one trigger, or all with `id` undefined. Resuming all also clears every single
   * pause. Returns whether anything changed.
   */
  set(id: string | undefined, paused: boolean, by?: number): boolean {
    const before = JSON.stringify(this.state());
    if (id === undefined) {
      this.#all = paused;
      if (!paused) this.#ids.clear();
    } else if (paused) this.#ids.add(id);
    else this.#ids.delete(id);
    const after = JSON.stringify(this.state());
    if (after === before) return false;
    this.#db.setKv(KEY, after);
    logger().info(
      { trigger: id ?? "*", ...(by === undefined ? {} : { user_id: by }) },
      paused ? "trigger.paused" : "trigger.resumed",
    );
    return true;
  }
}
