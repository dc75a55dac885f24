// A long answer on a phone: past `max_answer_parts` messages it arrives as its first paragraph plus
// the whole answer as answer.md (byte for byte what the engine said); a reply to either continues.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mockLongAnswer } from "../../src/engines/mock-long-answer.ts";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ telegramToml: "max_answer_parts = 3" });
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

describe("a 30 000-character answer with max_answer_parts = 3", () => {
  test("is one short message and answer.md equal to the answer", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:long 30000" });
    const doc = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && x.document !== undefined,
      30_000,
    );
    expect(doc.document?.file_name).toBe("answer.md");
    const bytes = h.emu.fileBytes(doc.document?.file_id ?? "");
    expect(new TextDecoder().decode(bytes)).toBe(`${mockLongAnswer(30_000)}\n`);
    const texts = h.emu
      .botMessages(h.dm)
      .filter((x) => x.reply_to_message_id === m.message_id && x.document === undefined && /^done/.test(x.text ?? ""));
    expect(texts).toHaveLength(1);
    const head = texts[0]?.text ?? "";
    expect(head).toContain("This is a long answer from the mock agent");
    expect(head).toContain("answer.md");
    expect(head).toMatch(/mock --session mock-/);
    expect(head.length).toBeLessThan(2000);
  });

  test("a reply to answer.md continues that run's session", async () => {
    const doc = h.emu.botMessages(h.dm).find((x) => x.document?.file_name === "answer.md");
    const reply = h.emu.sendUserMessage({
      chatId: h.dm,
      from: h.alice,
      text: "mock:pwd",
      replyTo: doc?.message_id,
    });
    const answer = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === reply.message_id && /^done/.test(x.text ?? ""),
      20_000,
    );
    const session = /mock --session (mock-[\w-]+)/.exec(
      h.emu.botMessages(h.dm).find((x) => x.message_id !== doc?.message_id && /answer\.md/.test(x.text ?? ""))?.text ??
        "",
    )?.[1];
    expect(session).toBeDefined();
    expect(answer.text ?? "").toContain(session ?? "none");
  });
});
