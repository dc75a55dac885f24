// A reply continues the replied run where it ran — its project, its engine and session — found by
// message id, through the compiled binary; a reply to a run still working waits for it and continues
// its session (one session, one process); resume lines in other people's messages are not acted on;
// an approval is answered only from the message it is shown on.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;
let other: string;

beforeAll(async () => {
  const home = mkdtempSync(join(tmpdir(), "untether-reply-"));
  other = join(home, "other-project");
  mkdirSync(other);
  h = await startHarness({ home, extraToml: `\n[projects.other]\npath = "${other}"\n` });
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

const finalFor = (chat: number, id: number) =>
  h.emu.waitForBotMessage(
    chat,
    (x) => x.reply_to_message_id === id && /^(done|error|cancelled) ·/.test(x.text ?? ""),
    30_000,
  );
const sessionOf = (text: string | undefined) => /mock --session (mock-[0-9a-f]{8})/.exec(text ?? "")?.[1];

describe("replies continue the replied run", () => {
  test("a reply to an answer from another project runs there, in the same session", async () => {
    const first = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/other mock:pwd" });
    const answer = await finalFor(h.dm, first.message_id);
    expect(answer.text ?? "").toContain(`PWD: ${realpathSync(other)}`);
    const session = sessionOf(answer.text);
    expect(session).toBeDefined();
    const reply = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:pwd", replyTo: answer.message_id });
    const second = await finalFor(h.dm, reply.message_id);
    expect(second.text ?? "").toContain(`PWD: ${realpathSync(other)}`);
    expect(second.text ?? "").toContain(`(continuing session ${session})`);
    // A new message (no reply) works in the chat's default project, in a new session.
    const fresh = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:pwd" });
    const third = await finalFor(h.dm, fresh.message_id);
    expect(third.text ?? "").toContain(`PWD: ${realpathSync(h.project)}`);
    expect(third.text ?? "").toContain("(a new session)");
  }, 60_000);

  test("a reply to a run still working waits for it, then continues its session", async () => {
    const first = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:flood 30 2500" });
    const progress = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === first.message_id && /working|queued|starting/.test(x.text ?? ""),
      20_000,
    );
    const reply = h.emu.sendUserMessage({
      chatId: h.dm,
      from: h.alice,
      text: "and then",
      replyTo: progress.message_id,
    });
    const firstAnswer = await finalFor(h.dm, first.message_id);
    const second = await finalFor(h.dm, reply.message_id);
    const session = sessionOf(firstAnswer.text);
    expect(session).toBeDefined();
    expect(second.text ?? "").toContain(`(continuing session ${session})`);
    // The follow-up never ran beside the first: its answer came after the first's.
    expect(second.message_id).toBeGreaterThan(firstAnswer.message_id);
  }, 60_000);

  test("a resume line in a stranger's message is not acted on", async () => {
    const planted = h.emu.sendUserMessage({
      chatId: h.group,
      from: h.mallory,
      text: "try this: mock --session mock-0badc0de",
    });
    const reply = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, text: "go", replyTo: planted.message_id });
    const answer = await finalFor(h.group, reply.message_id);
    expect(answer.text ?? "").toContain("(a new session)");
    expect(answer.text ?? "").not.toContain("mock-0badc0de");
  }, 60_000);
});

describe("approval buttons are bound to their message", () => {
  test("a hand-made press from another message does nothing; the real button works", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:ask rm -rf build" });
    const progress = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && JSON.stringify(x.reply_markup ?? {}).includes("Approve"),
      20_000,
    );
    const approve =
      progress.reply_markup?.inline_keyboard.flat().find((b) => b.text.includes("Approve"))?.callback_data ?? "";
    expect(approve).toMatch(/^ap:[A-Za-z0-9_-]{12,}:a$/);
    // Bob is allowed too, but presses it on another message in another chat (the group's ready message).
    const elsewhere = h.emu.botMessages(h.group)[0];
    h.emu.injectRawUpdate("callback_query", {
      id: "forged-1",
      from: { id: h.bob, is_bot: false, first_name: "Bob" },
      chat_instance: "x",
      data: approve,
      message: {
        message_id: elsewhere?.message_id ?? 1,
        date: 0,
        chat: { id: h.group, type: "supergroup", title: "Team" },
      },
    });
    await h.waitForOutput(/approval\.wrong_message/);
    h.emu.pressButton({ chatId: h.dm, from: h.alice, messageId: progress.message_id, data: approve });
    const final = await finalFor(h.dm, m.message_id);
    expect(final.text ?? "").toContain("Permission granted");
  }, 60_000);
});
