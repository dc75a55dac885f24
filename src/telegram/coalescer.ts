// Joins messages Telegram sends one by one but a person means as one: the items of an album
// (same media_group_id, buffered `media_group_debounce_s` after the last item) and forwarded messages
// (buffered `forward_coalesce_s` after the last one; the sender's next own message within that window
// takes them along as quoted context, else they run on their own when the window closes).
//
// It sits in front of the per-chat lanes and holds at most one buffer per lane. Any message of that
// lane that does not join the buffer flushes it first, so the order of a chat's messages is kept and
// a buffer never waits behind anything. Each buffered update's promise settles with the joined
// message's outcome. At stop() buffered updates settle "unhandled": the poller keeps them in its
// ledger and the chat is told at the next start that they were missed (like messages still waiting
// in a lane); nothing is run half-joined during shutdown.

import type { Clock } from "../core/clock.ts";
import type { IncomingMessage } from "./incoming.ts";

export type CoalescedOutcome = "done" | "unhandled";

export interface CoalescerOptions {
  clock: Clock;
  /** `transports.telegram.forward_coalesce_s` in ms, read for every forward so reloads apply. */
  forwardWindowMs(): number;
  /** `transports.telegram.media_group_debounce_s` in ms. */
  albumWindowMs(): number;
  /** Hands a (possibly joined) message on to its lane; settles when it was handled. */
  emit(m: IncomingMessage): Promise<CoalescedOutcome>;
}

interface Buffer {
  kind: "album" | "forwards";
  groupId?: string;
  userId?: number;
  items: IncomingMessage[];
  waiters: ((o: CoalescedOutcome) => void)[];
  timer: unknown;
}

/** Most items one buffer holds (Telegram albums have at most 10); past it the buffer is flushed. */
export const MAX_BUFFERED = 50;

const hasMedia = (m: IncomingMessage): boolean =>
  m.document !== undefined || m.photo !== undefined || m.video !== undefined || m.voice !== undefined;

/** A forwarded message that only carries text: context for the sender's next prompt. */
const isForwardedText = (m: IncomingMessage): boolean => m.forward !== undefined && !hasMedia(m);

export class InputCoalescer {
  readonly #o: CoalescerOptions;
  readonly #buffers = new Map<string, Buffer>();
  #stopped = false;

  constructor(o: CoalescerOptions) {
    this.#o = o;
  }

  /** Buffers, joins or passes on `m` (of lane `lane`); settles when `m` was handled. */
  take(lane: string, m: IncomingMessage): Promise<CoalescedOutcome> {
    if (this.#stopped) return Promise.resolve("unhandled");
    const pending = this.#buffers.get(lane);
    if (m.mediaGroupId !== undefined) {
      if (pending?.kind === "album" && pending.groupId === m.mediaGroupId && pending.items.length < MAX_BUFFERED)
        return this.#add(lane, pending, m, this.#o.albumWindowMs());
      if (pending) this.#flush(lane, pending);
      const ms = this.#o.albumWindowMs();
      if (ms <= 0) return this.#o.emit(m);
      return this.#start(lane, { kind: "album", groupId: m.mediaGroupId }, m, ms);
    }
    if (isForwardedText(m)) {
      if (pending?.kind === "forwards" && pending.userId === m.userId && pending.items.length < MAX_BUFFERED)
        return this.#add(lane, pending, m, this.#o.forwardWindowMs());
      if (pending) this.#flush(lane, pending);
      const ms = this.#o.forwardWindowMs();
      if (ms <= 0) return this.#o.emit(joinForwards(m.userId, [m]));
      return this.#start(lane, { kind: "forwards", userId: m.userId }, m, ms);
    }
    if (pending?.kind === "forwards" && pending.userId === m.userId && m.forward === undefined) {
      // The sender's own message within the window: it runs with the forwards as its context.
      this.#remove(lane, pending);
      const done = this.#o.emit({ ...m, forwarded: pending.items });
      void done.then((o) => settleAll(pending, o));
      return done;
    }
    if (pending) this.#flush(lane, pending);
    return this.#o.emit(m);
  }

  /** Buffered messages waiting right now (tests, status). */
  get buffered(): number {
    let n = 0;
    for (const b of this.#buffers.values()) n += b.items.length;
    return n;
  }

  /** Drops every buffer: its updates settle "unhandled" (told as missed at the next start). */
  stop(): void {
    this.#stopped = true;
    for (const [lane, b] of [...this.#buffers]) {
      this.#remove(lane, b);
      settleAll(b, "unhandled");
    }
  }

  #start(lane: string, head: Pick<Buffer, "kind" | "groupId" | "userId">, m: IncomingMessage, ms: number) {
    const b: Buffer = { ...head, items: [], waiters: [], timer: undefined };
    this.#buffers.set(lane, b);
    return this.#add(lane, b, m, ms);
  }

  #add(lane: string, b: Buffer, m: IncomingMessage, ms: number): Promise<CoalescedOutcome> {
    b.items.push(m);
    if (b.timer !== undefined) this.#o.clock.clearTimeout(b.timer);
    b.timer = this.#o.clock.setTimeout(() => this.#flush(lane, b), ms);
    return new Promise((resolve) => b.waiters.push(resolve));
  }

  #remove(lane: string, b: Buffer): void {
    if (b.timer !== undefined) this.#o.clock.clearTimeout(b.timer);
    b.timer = undefined;
    if (this.#buffers.get(lane) === b) this.#buffers.delete(lane);
  }

  #flush(lane: string, b: Buffer): void {
    if (this.#buffers.get(lane) !== b) return;
    this.#remove(lane, b);
    const joined = b.kind === "album" ? joinAlbum(b.items) : joinForwards(b.userId, b.items);
    void this.#o.emit(joined).then((o) => settleAll(b, o));
  }
}

function settleAll(b: Buffer, o: CoalescedOutcome): void {
  for (const w of b.waiters.splice(0)) w(o);
}

/** One message for a whole album: the captioned item (else the first) carries every item. */
export function joinAlbum(items: IncomingMessage[]): IncomingMessage {
  const first = items[0] as IncomingMessage;
  if (items.length === 1) return first;
  const captioned = items.find((i) => i.text.trim() !== "") ?? first;
  return { ...captioned, album: items };
}

/** Forwards with nothing after them: one message without text of its own, quoting them all. */
function joinForwards(userId: number | undefined, items: IncomingMessage[]): IncomingMessage {
  const last = items[items.length - 1] as IncomingMessage;
  const { forward: _forward, ...rest } = last;
  return { ...rest, ...(userId === undefined ? {} : { userId }), text: "", forwarded: items };
}
