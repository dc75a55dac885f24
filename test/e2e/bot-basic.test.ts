// The bot end to end: Untether as a separate process (the compiled binary when built) against the
// Bot API emulator, driven as Telegram users would.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

describe("a task from an allowed user", () => {
  test("gets a progress reply with a cancel button, then the final answer echoing the prompt", async () => {
    const msg = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "please refactor the parser" });
    const progress = await h.emu.waitForBotMessage(
      h.dm,
      (m) => m.reply_to_message_id === msg.message_id && /step/.test(m.text ?? ""),
      15_000,
    );
    const firstMarkup = JSON.stringify(
      h.emu.history(h.dm).find((m) => m.message_id === progress.message_id)?.reply_markup ?? {},
    );
    expect(firstMarkup).toContain("Cancel");
    const final = await h.emu.waitForBotMessage(
      h.dm,
      (m) => (m.text ?? "").includes("You said: please refactor the parser"),
      15_000,
    );
    expect(final.reply_to_message_id).toBe(msg.message_id);
    expect(final.text ?? "").toMatch(/^done · mock/);
    expect(final.text ?? "").toMatch(/mock --session mock-/);
    // The progress message is removed once the answer is there.
    await h.emu.waitFor(() => h.emu.history(h.dm).find((m) => m.message_id === progress.message_id)?.deleted, 5000);
  });

  test("once up, the executable's start-up pages were paged out (the answer above came after)", () => {
    const line = h
      .output()
      .split("\n")
      .find((l) => l.includes('"msg":"service.startup_pages_out"'));
    if (process.platform !== "linux") {
      expect(line).toBeUndefined();
      return;
    }
    const rec = JSON.parse(line ?? "{}") as { ranges?: number; refused?: number };
    expect(rec.ranges).toBeGreaterThan(0);
    expect(rec.refused).toBe(0);
  });

  test("the ready message was sent to chat_id at start", () => {
    expect(h.emu.history(h.group).some((m) => (m.text ?? "").includes("is ready"))).toBe(true);
  });
});
