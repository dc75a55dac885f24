// Engines that misbehave, seen from the chat: a clear message, no process left behind, and the
// conversation usable right after.
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(50);
  }
  return true;
}

/** The pids of engines Untether spawned, from its own engine.exited log lines. */
function enginePids(): number[] {
  return [...h.output().matchAll(/"pid":(\d+)[^\n]*"msg":"engine\.exited"/g)]
    .map((m) => Number(m[1]))
    .filter((n) => n > 0);
}

async function ask(text: string, chat = h.dm) {
  const m = h.emu.sendUserMessage({ chatId: chat, from: h.alice, text });
  return {
    m,
    final: await h.emu.waitForBotMessage(
      chat,
      (x) => x.reply_to_message_id === m.message_id && /^(done|error|cancelled) ·/.test(x.text ?? ""),
      25_000,
    ),
  };
}

async function stillWorks(tag: string): Promise<void> {
  const { final } = await ask(`still there ${tag}?`);
  expect(final.text ?? "").toContain(`You said: still there ${tag}?`);
}

describe("misbehaving engines", () => {
  test("a crashing engine: the error is shown with paths sanitised, then the chat works again", async () => {
    const { final } = await ask("mock:fail");
    expect(final.text ?? "").toStartWith("error · mock");
    expect(final.text ?? "").toContain("[path]:12");
    expect(final.text ?? "").not.toContain("/home/someone");
    await stillWorks("crash");
  }, 40_000);

  test("an engine printing garbage still finishes", async () => {
    const { final } = await ask("mock:garbage");
    expect(final.text ?? "").toStartWith("done · mock");
    await stillWorks("garbage");
  }, 40_000);

  test("cancel during a run stops the engine process", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:slow" });
    const progress = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && /ls -la/.test(x.text ?? ""),
      20_000,
    );
    const before = enginePids().length;
    h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/cancel", replyTo: progress.message_id });
    const final = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && /^cancelled/.test(x.text ?? ""),
      20_000,
    );
    expect(final.text ?? "").toContain("Cancelled");
    // Earlier tests' engine.exited lines are in the output too: wait for this run's own line (the
    // log sink writes once per event-loop turn, so it may follow the cancelled message).
    for (let i = 0; i < 100 && enginePids().length <= before; i++) await Bun.sleep(50);
    const pids = enginePids();
    expect(pids.length).toBeGreaterThan(before);
    expect(await gone(pids.at(-1)!)).toBe(true);
    await stillWorks("cancel");
  }, 60_000);

  test("an engine that ignores SIGTERM is killed after the grace period", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:hang" });
    const progress = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id, 20_000);
    await Bun.sleep(300);
    const press = h.emu.pressButton({ chatId: h.dm, messageId: progress.message_id, from: h.alice, text: "✖ Cancel" });
    expect((await h.emu.waitForCallbackAnswer(press.id)).text).toBe("Cancelling…");
    await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && /^cancelled/.test(x.text ?? ""),
      30_000,
    );
    expect(await gone(enginePids().at(-1)!)).toBe(true);
    await stillWorks("hang");
  }, 60_000);
});
