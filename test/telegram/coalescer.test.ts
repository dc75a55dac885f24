import { describe, expect, test } from "bun:test";
import { type CoalescedOutcome, InputCoalescer } from "../../src/telegram/coalescer.ts";
import { withForwards } from "../../src/telegram/forwards.ts";
import type { IncomingMessage } from "../../src/telegram/incoming.ts";
import { flush, ManualClock } from "../support/manual-clock.ts";

let nextId = 1;
function msg(over: Partial<IncomingMessage> = {}): IncomingMessage {
  const id = nextId++;
  return { kind: "message", updateId: id, chatId: 1, chatType: "private", messageId: id, userId: 7, text: "", ...over };
}
const fwd = (text: string, from = "Bob", userId = 7) =>
  msg({ text, userId, forward: { from, date: Date.UTC(2026, 11, 6, 9, 30) / 1000 } });
const photo = (group: string, text = "") =>
  msg({ text, mediaGroupId: group, photo: [{ file_id: `p${nextId}`, width: 10, height: 10 }] });

function setup(windows = { fwd: 1000, album: 1000 }) {
  const clock = new ManualClock();
  const emitted: IncomingMessage[] = [];
  const outcomes: CoalescedOutcome[] = [];
  const c = new InputCoalescer({
    clock,
    forwardWindowMs: () => windows.fwd,
    albumWindowMs: () => windows.album,
    emit: async (m) => {
      emitted.push(m);
      return "done";
    },
  });
  const take = (m: IncomingMessage, lane = "1") => void c.take(lane, m).then((o) => outcomes.push(o));
  return { clock, emitted, outcomes, c, take };
}

describe("albums", () => {
  test("items sharing media_group_id become one message after the debounce, caption from any item", async () => {
    const t = setup();
    t.take(photo("g1"));
    await t.clock.advance(600);
    t.take(photo("g1", "what is wrong here?"));
    await t.clock.advance(600);
    t.take(photo("g1"));
    await t.clock.advance(999);
    expect(t.emitted).toEqual([]);
    await t.clock.advance(1);
    expect(t.emitted.length).toBe(1);
    expect(t.emitted[0]?.album?.length).toBe(3);
    expect(t.emitted[0]?.text).toBe("what is wrong here?");
    await flush();
    expect(t.outcomes).toEqual(["done", "done", "done"]);
  });

  test("a message after an album flushes the album first, keeping the order", async () => {
    const t = setup();
    t.take(photo("g1", "cap"));
    t.take(photo("g1"));
    t.take(msg({ text: "next" }));
    expect(t.emitted.map((m) => m.text)).toEqual(["cap", "next"]);
    expect(t.emitted[0]?.album?.length).toBe(2);
    expect(t.clock.pendingTimers).toBe(0);
  });

  test("two albums in one lane stay apart; lanes do not mix", async () => {
    const t = setup();
    t.take(photo("g1", "a"));
    t.take(photo("g2", "b"));
    t.take(photo("g2"), "other");
    await t.clock.advance(1000);
    expect(t.emitted.map((m) => [m.text, m.album?.length ?? 1])).toEqual([
      ["a", 1],
      ["b", 1],
      ["", 1],
    ]);
  });

  test("debounce 0 passes items through one by one", () => {
    const t = setup({ fwd: 1000, album: 0 });
    t.take(photo("g1", "a"));
    t.take(photo("g1"));
    expect(t.emitted.length).toBe(2);
  });
});

describe("forwards", () => {
  test("forwards then the sender's own message: one message holding all of them, in order", async () => {
    const t = setup();
    t.take(fwd("one"));
    await t.clock.advance(900);
    t.take(fwd("two"));
    await t.clock.advance(900);
    t.take(fwd("three"));
    await t.clock.advance(900);
    t.take(msg({ text: "summarise these" }));
    expect(t.emitted.length).toBe(1);
    const m = t.emitted[0] as IncomingMessage;
    expect(m.text).toBe("summarise these");
    expect(m.forwarded?.map((f) => f.text)).toEqual(["one", "two", "three"]);
    await flush();
    expect(t.outcomes).toEqual(["done", "done", "done", "done"]);
    expect(t.clock.pendingTimers).toBe(0);
  });

  test("a lone forward runs on its own only when nothing follows within the window", async () => {
    const t = setup();
    t.take(fwd("fyi"));
    await t.clock.advance(999);
    expect(t.emitted).toEqual([]);
    await t.clock.advance(1);
    expect(t.emitted.length).toBe(1);
    expect(t.emitted[0]?.text).toBe("");
    expect(t.emitted[0]?.forward).toBeUndefined();
    expect(t.emitted[0]?.forwarded?.map((f) => f.text)).toEqual(["fyi"]);
  });

  test("an own message after the window does not take the forwards", async () => {
    const t = setup();
    t.take(fwd("old"));
    await t.clock.advance(1500);
    t.take(msg({ text: "new task" }));
    expect(t.emitted.map((m) => [m.text, m.forwarded?.length ?? 0])).toEqual([
      ["", 1],
      ["new task", 0],
    ]);
  });

  test("another user's message flushes the forwards first and does not take them", () => {
    const t = setup();
    t.take(fwd("mine", "Bob", 7));
    t.take(msg({ text: "hers", userId: 8 }));
    expect(t.emitted.map((m) => [m.text, m.userId, m.forwarded?.length ?? 0])).toEqual([
      ["", 7, 1],
      ["hers", 8, 0],
    ]);
  });

  test("stop(): buffered updates settle unhandled and nothing runs", async () => {
    const t = setup();
    t.take(fwd("a"));
    t.take(photo("g"));
    t.c.stop();
    await t.clock.advance(5000);
    expect(t.emitted.length).toBe(1); // the forward, flushed when the album began
    expect(t.outcomes).toContain("unhandled");
    const after = await t.c.take("1", msg({ text: "late" }));
    expect(after).toBe("unhandled");
  });

  test("the quoted prompt names each origin and date, own text first", () => {
    const p = withForwards("summarise these", [fwd("one"), fwd("two\nlines", "Ops chat")]);
    expect(p).toBe(
      "summarise these\n\n[forwarded from Bob, 2026-12-06 09:30 UTC]\n> one\n\n[forwarded from Ops chat, 2026-12-06 09:30 UTC]\n> two\n> lines",
    );
  });
});
