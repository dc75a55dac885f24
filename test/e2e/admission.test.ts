// Admission end to end: over `max_concurrent_engine_runs` a run is refused at once with the 🛑
// notice and no engine process; 0 is unlimited (more than the old hidden cap of 16 start at once).
import { afterEach, describe, expect, test } from "bun:test";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness | undefined;

// Stopping flushes the outbox: seventeen interrupted progress messages in one private chat, paced at 1/s.
afterEach(async () => {
  await h?.stop();
  await h?.emu.stop();
  h = undefined;
}, 60_000);

/** Engine processes started so far: one `engine.spawn` log line each. */
const spawns = (out: string) => (out.match(/engine\.spawn"/g) ?? []).length;

describe("admission", () => {
  test("cap 1, two chats start runs: the second is refused with the 🛑 notice and no engine starts for it", async () => {
    h = await startHarness({
      extraToml: "[watchdog]\nmax_concurrent_engine_runs = 1",
      env: { UNTETHER_SHUTDOWN_GRACE_MS: "500" },
    });
    const first = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:slow" });
    await h.emu.waitForBotMessage(
      h.dm,
      (m) => m.reply_to_message_id === first.message_id && /working/.test(m.text ?? ""),
      20_000,
    );
    await h.waitForOutput(/engine\.spawn"/);
    const second = h.emu.sendUserMessage({ chatId: h.group, from: h.bob, text: "mock:slow too" });
    const refusal = await h.emu.waitForBotMessage(h.group, (m) => m.reply_to_message_id === second.message_id, 20_000);
    expect(refusal.text ?? "").toStartWith("🛑 Too many engine runs in flight (1/1).");
    expect(refusal.text ?? "").toContain("/cancel");
    await h.waitForOutput(/run\.refused_by_admission/);
    expect(spawns(h.output())).toBe(1);
    // Nothing was parked: no progress message for the refused run.
    expect(h.emu.botMessages(h.group).filter((m) => m.reply_to_message_id === second.message_id)).toHaveLength(1);
  }, 60_000);

  test("cap 0 is unlimited: seventeen runs at once all start an engine", async () => {
    h = await startHarness({ env: { UNTETHER_SHUTDOWN_GRACE_MS: "500" } });
    const harness = h;
    for (let i = 0; i < 17; i++)
      harness.emu.sendUserMessage({ chatId: harness.dm, from: harness.alice, text: "mock:slow" });
    await harness.emu.waitFor(() => spawns(harness.output()) >= 17, 90_000);
    expect(spawns(harness.output())).toBe(17);
    expect(harness.output()).not.toContain("run.refused_by_admission");
  }, 120_000);
});
