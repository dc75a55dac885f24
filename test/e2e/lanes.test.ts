// Liveness across chats: a download held by Telegram in one chat does not hold another chat's
// message, nor a Cancel press in a third (issue #14). And the inbound flood guard.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Harness, startHarness } from "../support/harness.ts";

const HOLD_MS = 20_000;

describe("per-chat lanes", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ telegramToml: "\n[transports.telegram.files]\nenabled = true\n" });
  });
  afterAll(async () => {
    await h.stop();
    await h.emu.stop();
  });

  test("a held document download holds neither another chat's message nor a Cancel press in a third", async () => {
    const bobDm = h.emu.privateChat(h.bob).id;
    // Chat 3: a running run with its Cancel button.
    const slow = h.emu.sendUserMessage({ chatId: bobDm, from: h.bob, text: "mock:slow" });
    const progress = await h.emu.waitForBotMessage(
      bobDm,
      (x) => x.reply_to_message_id === slow.message_id && /ls -la/.test(x.text ?? ""),
      20_000,
    );

    // Chat 1: a document whose download Telegram holds for 20 s.
    h.emu.injectFault({ kind: "delay", method: "file", delayMs: HOLD_MS });
    const data = new TextEncoder().encode("held upload\n");
    const put = h.emu.sendUserMessage({
      chatId: h.dm,
      from: h.alice,
      caption: "/file put docs/held.txt",
      document: { fileName: "held.txt", data },
    });
    await h.emu.waitFor(() => h.emu.unansweredCalls("file") === 1, 10_000, "the held download");

    // Chat 2: a message answered while the download is still held.
    const hello = h.emu.sendUserMessage({ chatId: h.group, from: h.bob, text: "hello from the group" });
    await h.emu.waitForBotMessage(h.group, (x) => x.reply_to_message_id === hello.message_id, 5_000);
    expect(h.emu.unansweredCalls("file")).toBe(1);

    // Chat 3: the Cancel press takes effect while the download is still held.
    const press = h.emu.pressButton({ chatId: bobDm, messageId: progress.message_id, from: h.bob, text: "✖ Cancel" });
    expect((await h.emu.waitForCallbackAnswer(press.id, 5_000)).text).toBe("Cancelling…");
    await h.emu.waitForBotMessage(
      bobDm,
      (x) => x.reply_to_message_id === slow.message_id && /^cancelled/.test(x.text ?? ""),
      5_000,
    );
    expect(h.emu.unansweredCalls("file")).toBe(1);
    expect(h.emu.botMessages(h.dm).some((x) => x.reply_to_message_id === put.message_id)).toBe(false);

    // The held chat itself is not lost: once Telegram answers, the upload lands.
    const saved = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === put.message_id,
      HOLD_MS + 15_000,
    );
    expect(saved.text ?? "").toContain("docs/held.txt");
    expect(new Uint8Array(readFileSync(join(h.project, "docs", "held.txt")))).toEqual(data);
  }, 90_000);

  test("messages of one chat keep their order behind a held one", async () => {
    h.emu.injectFault({ kind: "delay", method: "file", delayMs: 3_000 });
    const put = h.emu.sendUserMessage({
      chatId: h.dm,
      from: h.alice,
      caption: "/file put docs/first.txt",
      document: { fileName: "first.txt", data: new TextEncoder().encode("1\n") },
    });
    await h.emu.waitFor(() => h.emu.unansweredCalls("file") === 1, 10_000, "the held download");
    const next = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/help" });
    const second = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === next.message_id, 20_000);
    const first = h.emu.botMessages(h.dm).find((x) => x.reply_to_message_id === put.message_id);
    expect(first).toBeDefined();
    expect(first!.message_id).toBeLessThan(second.message_id);
  }, 40_000);
});

describe("inbound flood guard", () => {
  let h: Harness;
  const RATE = 10;
  beforeAll(async () => {
    h = await startHarness({ telegramToml: `inbound_rate_per_minute = ${RATE}` });
  });
  afterAll(async () => {
    await h.stop();
    await h.emu.stop();
  });

  const count = (re: RegExp) => [...h.output().matchAll(re)].length;

  test("300 messages in 10 s from one user: at most the bucket's worth run, one notice, another user answered", async () => {
    const bobDm = h.emu.privateChat(h.bob).id;
    let bobMessage = 0;
    const started = Date.now();
    for (let i = 0; i < 300; i++) {
      h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: `flood ${i}` });
      if (i === 150)
        bobMessage = h.emu.sendUserMessage({ chatId: bobDm, from: h.bob, text: "still there?" }).message_id;
      await Bun.sleep(33);
    }
    const seconds = (Date.now() - started) / 1000;
    await h.emu.waitForBotMessage(bobDm, (x) => x.reply_to_message_id === bobMessage, 30_000);
    // Every admitted run finishes (the mock answers at once); then nothing more starts.
    await h.emu.waitFor(
      () => count(/engine\.spawn"/g) > 0 && count(/"run\.finished"/g) === count(/engine\.spawn"/g),
      60_000,
      "the admitted runs to finish",
    );
    const aliceRuns = count(/engine\.spawn"/g) - 1; // Bob's one run
    const bucket = RATE + Math.ceil((seconds * RATE) / 60);
    expect(aliceRuns).toBeGreaterThanOrEqual(RATE);
    expect(aliceRuns).toBeLessThanOrEqual(bucket);
    const notices = h.emu.botMessages(h.dm).filter((x) => (x.text ?? "").startsWith("⏳ Slow down"));
    expect(notices.length).toBe(1);
    expect(h.output()).toContain('"telegram.inbound_flood"');
    expect(h.output()).not.toMatch(/inbound_flood[^\n]*flood \d/);
  }, 120_000);
});
