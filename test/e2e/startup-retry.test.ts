// Start-up resilience end to end: the Bot API answers 502 for 20 s after the binary starts (a
// Telegram outage, or nginx in front of a slow upstream); the bot keeps retrying getMe with capped
// backoff, comes up once the API does, and answers a message. It never exits meanwhile.
import { afterAll, describe, expect, test } from "bun:test";
import { type Emulator, startEmulator } from "../../src/emulator/index.ts";
import { type Harness, startHarness } from "../support/harness.ts";

let emu: Emulator | undefined;
let h: Harness | undefined;

afterAll(async () => {
  await h?.stop();
  await emu?.stop();
});

describe("start-up with the Bot API down", () => {
  test("down for 20 s at start, then up: the bot comes up and answers, no exit", async () => {
    emu = await startEmulator({ botUsername: "untether_test_bot" });
    const outage = emu.injectFault({ kind: "bad_gateway", method: "*", probability: 1 });
    const up = Bun.sleep(20_000).then(() => emu?.removeFault(outage));
    h = await startHarness({ emulator: emu, startTimeoutMs: 60_000 });
    await up;
    const out = h.output();
    // Waited, with warnings (1 s, 2 s, 4 s, 8 s …), and never exited.
    expect((out.match(/telegram\.connect_retry/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(out).toContain("HTTP 502, not a Bot API answer");
    expect(out).not.toContain(emu.token.split(":")[1] ?? "");
    expect(h.proc.exitCode).toBeNull();
    const m = emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "hello after the outage" });
    const answer = await emu.waitForBotMessage(
      h.dm,
      (x) => (x.text ?? "").includes("You said: hello after the outage"),
      15_000,
    );
    expect(answer.reply_to_message_id).toBe(m.message_id);
  }, 90_000);
});
