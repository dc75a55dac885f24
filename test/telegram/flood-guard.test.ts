import { describe, expect, test } from "bun:test";
import { BUTTON_RATE_FACTOR, FloodGuard } from "../../src/telegram/flood-guard.ts";

function guard() {
  let now = 1_000_000;
  const notices: Array<{ chatId: number; html: string }> = [];
  const g = new FloodGuard({ now: () => now, notify: (chatId, _t, html) => notices.push({ chatId, html }) });
  return { g, notices, advance: (ms: number) => (now += ms) };
}

describe("inbound flood guard", () => {
  test("a user's burst over the rate is dropped with one notice a minute; other users are not affected", () => {
    const { g, notices, advance } = guard();
    let admitted = 0;
    for (let i = 0; i < 100; i++) if (g.admit(10, "message", 1, 500)) admitted++;
    expect(admitted).toBe(10);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.html).toStartWith("⏳ Slow down");
    expect(g.admit(10, "message", 2, 600)).toBe(true);
    advance(30_000);
    expect(g.admit(10, "message", 1, 500)).toBe(true); // 5 tokens back
    for (let i = 0; i < 20; i++) g.admit(10, "message", 1, 500);
    expect(notices).toHaveLength(1);
    advance(31_000);
    for (let i = 0; i < 20; i++) g.admit(10, "message", 1, 500);
    expect(notices).toHaveLength(2);
    expect(notices[1]?.html).toContain("were dropped");
  });

  test("button presses and /cancel have their own, larger bucket", () => {
    const { g } = guard();
    for (let i = 0; i < 10; i++) g.admit(10, "message", 1, 500);
    expect(g.admit(10, "message", 1, 500)).toBe(false);
    let controls = 0;
    for (let i = 0; i < 100; i++) if (g.admit(10, "control", 1, 500)) controls++;
    expect(controls).toBe(10 * BUTTON_RATE_FACTOR);
  });

  test("0 turns the guard off", () => {
    const { g, notices } = guard();
    for (let i = 0; i < 1000; i++) expect(g.admit(0, "message", 1, 500)).toBe(true);
    expect(notices).toHaveLength(0);
  });
});
