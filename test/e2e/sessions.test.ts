// Conversations and permission requests over time: resuming by reply, cancelling while a request
// waits, and a request nobody answers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ telegramToml: "approval_timeout_s = 10" });
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

const finalFor = (chat: number, id: number, re = /^(done|error|cancelled) ·/) =>
  h.emu.waitForBotMessage(chat, (x) => x.reply_to_message_id === id && re.test(x.text ?? ""), 30_000);

describe("sessions (stateless mode)", () => {
  test("replying to an answer continues that session; a new message starts a new one", async () => {
    const first = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "start a session" });
    const answer = await finalFor(h.dm, first.message_id);
    const session = /mock --session (mock-[a-z0-9]+)/.exec(answer.text ?? "")?.[1];
    expect(session).toBeDefined();
    expect(answer.text ?? "").toContain("(a new session)");
    const follow = h.emu.sendUserMessage({
      chatId: h.dm,
      from: h.alice,
      text: "and continue",
      replyTo: answer.message_id,
    });
    const second = await finalFor(h.dm, follow.message_id);
    expect(second.text ?? "").toContain(`(continuing session ${session})`);
    const fresh = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "unrelated" });
    expect((await finalFor(h.dm, fresh.message_id)).text ?? "").toContain("(a new session)");
  }, 60_000);
});

describe("permission requests", () => {
  test("/cancel while a request waits cancels the run cleanly", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:ask rm -rf build" });
    const progress = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && JSON.stringify(x.reply_markup ?? {}).includes("Approve"),
      20_000,
    );
    h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/cancel", replyTo: progress.message_id });
    const final = await finalFor(h.dm, m.message_id);
    expect(final.text ?? "").toStartWith("cancelled");
    expect(final.text ?? "").not.toContain("Permission granted");
    const again = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "after cancel" });
    expect((await finalFor(h.dm, again.message_id)).text ?? "").toContain("You said: after cancel");
  }, 60_000);

  test("a request nobody answers is denied after approval_timeout_s, and the user is told", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:ask make deploy" });
    const progress = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && JSON.stringify(x.reply_markup ?? {}).includes("Approve"),
      20_000,
    );
    const notice = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === progress.message_id && /in time/.test(x.text ?? ""),
      30_000,
    );
    expect(notice.text ?? "").toContain("Bash");
    const final = await finalFor(h.dm, m.message_id);
    expect(final.text ?? "").toContain("Permission denied");
  }, 60_000);
});
