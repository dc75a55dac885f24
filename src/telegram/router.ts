// Where each update goes once the poller has it: the access gate, the flood guard, then a lane.
// Messages of one chat (or forum topic) run in order in that chat's lane; chats run concurrently, at
// most MAX_ACTIVE_LANES at once. Button presses and /cancel do not wait in any lane: they run out of
// band at once, so a slow download, transcription or worktree creation cannot hold them up. They find
// what they act on by message id or chat (the run a Cancel button belongs to exists once its progress
// message does), so overtaking the lane changes nothing they rely on.
import { type Clock, systemClock } from "../core/clock.ts";
import { leadingCommand } from "../core/directives.ts";
import { logger } from "../log/logger.ts";
import { type AccessPolicy, DropLogger, decideAccess } from "./access.ts";
import { InputCoalescer } from "./coalescer.ts";
import type { ChatController } from "./controller.ts";
import { FloodGuard } from "./flood-guard.ts";
import { type IncomingMessage, originOf, parseUpdate } from "./incoming.ts";
import { type LaneOutcome, LaneScheduler, MAX_ACTIVE_LANES, MAX_QUEUED_PER_LANE } from "./lanes.ts";
import { type PairingGate, pairAttemptCode } from "./pairing.ts";
import type { TelegramUpdate } from "./poller.ts";

/** Out-of-band tasks (button presses, /cancel) running at once; they are quick. */
const MAX_OUT_OF_BAND = 16;

export interface RouterDeps {
  policy(): AccessPolicy;
  /** transports.telegram.inbound_rate_per_minute (0 = off), read on every update so reloads apply. */
  inboundRatePerMinute(): number;
  controller: Pick<ChatController, "handleMessage" | "handleCallback">;
  answerCallback(callbackId: string, text: string): Promise<void>;
  notify(chatId: number, threadId: number | undefined, html: string): void;
  /** `/pair <code>` from a stranger in a private chat (the one exception to the gate); off when absent. */
  pairing?: Pick<PairingGate, "handle">;
  now?: () => number;
  /** `forward_coalesce_s` and `media_group_debounce_s` in ms (coalescer.ts); 0 when absent. */
  forwardCoalesceMs?(): number;
  mediaGroupDebounceMs?(): number;
  /** Timers of the coalescer. */
  clock?: Clock;
  maxActiveLanes?: number;
  maxQueuedPerLane?: number;
}

export type UpdateOutcome = "done" | "unhandled";

function laneKey(chatId: number, threadId: number | undefined): string {
  return threadId === undefined ? String(chatId) : `${chatId}:${threadId}`;
}

function isCancel(m: IncomingMessage): boolean {
  return leadingCommand(m.text)?.name === "cancel";
}

export class UpdateRouter {
  readonly #d: RouterDeps;
  readonly #lanes: LaneScheduler;
  readonly #outOfBand: LaneScheduler;
  readonly #flood: FloodGuard;
  readonly #coalescer: InputCoalescer;
  readonly #drops = new DropLogger();
  #oobSeq = 0;

  constructor(deps: RouterDeps) {
    this.#d = deps;
    const onError = (key: string, e: unknown) =>
      logger().error({ lane: key, error: (e as Error).message }, "telegram.update_failed");
    this.#lanes = new LaneScheduler({
      maxActive: deps.maxActiveLanes ?? MAX_ACTIVE_LANES,
      maxQueued: deps.maxQueuedPerLane ?? MAX_QUEUED_PER_LANE,
      onError,
    });
    this.#outOfBand = new LaneScheduler({ maxActive: MAX_OUT_OF_BAND, maxQueued: 1, onError });
    this.#flood = new FloodGuard({ now: deps.now ?? Date.now, notify: deps.notify });
    this.#coalescer = new InputCoalescer({
      clock: deps.clock ?? systemClock,
      forwardWindowMs: () => deps.forwardCoalesceMs?.() ?? 0,
      albumWindowMs: () => deps.mediaGroupDebounceMs?.() ?? 0,
      emit: (m) => this.#lane(m),
    });
  }

  /** The chat told at the next start if this update is still unfinished then (allowed messages only). */
  reportChat(update: TelegramUpdate): number | undefined {
    const origin = originOf(update);
    if (origin.chatId === undefined || origin.isCallback) return undefined;
    return decideAccess(this.#d.policy(), origin).allowed ? origin.chatId : undefined;
  }

  /** Takes one update; the promise settles when it is finished (see Poller's onUpdate). */
  take(update: TelegramUpdate): Promise<UpdateOutcome> {
    const origin = originOf(update);
    const decision = decideAccess(this.#d.policy(), origin);
    const incoming = parseUpdate(update);
    if (!decision.allowed) {
      const pairing = this.#d.pairing;
      const code = pairing && incoming?.kind === "message" ? pairAttemptCode(incoming) : undefined;
      if (pairing && code !== undefined && incoming?.kind === "message") {
        const from = update.message?.from;
        const sender = { firstName: from?.first_name, username: from?.username };
        return this.#outcome(this.#oob(() => pairing.handle(incoming, code, sender)));
      }
      this.#drops.log(decision.reason, origin);
      if (decision.toast && incoming?.kind === "callback") {
        return this.#outcome(this.#oob(() => this.#d.answerCallback(incoming.callbackId, "Not authorised.")));
      }
      return Promise.resolve("done");
    }
    if (!incoming) return Promise.resolve("done");
    const control = incoming.kind === "callback" || isCancel(incoming);
    const rate = this.#d.inboundRatePerMinute();
    if (!this.#flood.admit(rate, control ? "control" : "message", incoming.userId, incoming.chatId, incoming.threadId))
      return Promise.resolve("done");
    if (incoming.kind === "callback")
      return this.#outcome(this.#oob(() => this.#d.controller.handleCallback(incoming)));
    if (control) return this.#outcome(this.#oob(() => this.#cancel(incoming)));
    // Albums and forwards are joined first (coalescer.ts); everything else passes straight on.
    return this.#coalescer.take(laneKey(incoming.chatId, incoming.threadId), incoming);
  }

  /**
   * Starts nothing more; updates still waiting (in a lane, or in an album/forward buffer) stay
   * unfinished and are told as missed at the next start.
   */
  stop(): void {
    this.#coalescer.stop();
    this.#lanes.stop();
    this.#outOfBand.stop();
  }

  #lane(m: IncomingMessage): Promise<UpdateOutcome> {
    const key = laneKey(m.chatId, m.threadId);
    const queued = this.#lanes.submit(key, () => this.#d.controller.handleMessage(m));
    if (queued) return this.#outcome(queued);
    // The lane is full: dropped like a flood (the guard's limits are far below this in normal use).
    logger().warn({ chat_id: m.chatId, user_id: m.userId, update_id: m.updateId }, "telegram.lane_full");
    return Promise.resolve("done");
  }

  /** `/cancel` without a reply also drops the messages still waiting in its chat's lane. */
  async #cancel(m: IncomingMessage): Promise<void> {
    const dropped = m.replyTo === undefined ? this.#lanes.clearWaiting(laneKey(m.chatId, m.threadId)) : 0;
    if (dropped > 0) logger().info({ chat_id: m.chatId, dropped }, "telegram.lane_cleared");
    await this.#d.controller.handleMessage(m, { droppedWaiting: dropped });
  }

  #oob(run: () => Promise<void>): Promise<LaneOutcome> {
    // Every task has its own key: none waits for another, at most MAX_OUT_OF_BAND run at once.
    return this.#outOfBand.submit(`oob-${++this.#oobSeq}`, run) ?? Promise.resolve("ran");
  }

  #outcome(p: Promise<LaneOutcome>): Promise<UpdateOutcome> {
    return p.then((o) => (o === "stopped" ? "unhandled" : "done"));
  }
}
