// Claude's questions and plan review on a phone, through the compiled binary and the mock engine's
// Claude-like control channel: the engine's answer quotes the decision it received.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { discussMessage } from "../../src/core/approvals.ts";
import { mockPlan } from "../../src/engines/mock-engine-main.ts";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;
const T = 60_000;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

function progressWith(promptId: number, needle: string) {
  return h.emu.waitForBotMessage(
    h.dm,
    (x) =>
      x.reply_to_message_id === promptId &&
      (JSON.stringify(x.reply_markup ?? {}).includes(JSON.stringify(needle)) || (x.text ?? "").includes(needle)),
    30_000,
  );
}

async function press(promptId: number, text: string): Promise<string | undefined> {
  const progress = await progressWith(promptId, text);
  const q = h.emu.pressButton({ chatId: h.dm, messageId: progress.message_id, from: h.alice, text });
  return (await h.emu.waitForCallbackAnswer(q.id)).text;
}

function finalFor(promptId: number) {
  return h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === promptId && /^done/.test(x.text ?? ""), 30_000);
}

describe("AskUserQuestion", () => {
  test(
    "two questions, one multi-select, and an Other reply: the engine gets exactly those answers",
    async () => {
      const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:questions" });
      const progress = await progressWith(m.message_id, "2· 📨 Send");
      const text = progress.text ?? "";
      expect(text).toContain("1. [Database] Which database?");
      expect(text).toContain("SQLite — one file, no server");
      expect(text).toContain("2. [Checks] Which checks should run?");
      expect(await press(m.message_id, "2· Lint")).toContain("Toggled");
      expect(await press(m.message_id, "2· Types")).toContain("Toggled");
      // The keyboard re-renders with ✓ marks.
      expect(await press(m.message_id, "2· ✓ Lint")).toContain("Toggled");
      expect(await press(m.message_id, "2· Lint")).toContain("Toggled");
      expect(await press(m.message_id, "2· 📨 Send")).toContain("Sent");
      await progressWith(m.message_id, "→ Lint, Types");
      expect(await press(m.message_id, "1· ✍️ Other…")).toContain("Reply");
      await progressWith(m.message_id, "Reply to this message with your answer");
      const reply = h.emu.sendUserMessage({
        chatId: h.dm,
        from: h.alice,
        text: "DuckDB",
        replyTo: progress.message_id,
      });
      const final = await finalFor(m.message_id);
      expect(final.text ?? "").toContain(
        `Allowed with answers: ${JSON.stringify({ "Which database?": "DuckDB", "Which checks should run?": "Lint, Types" })}`,
      );
      // The typed answer started no run of its own.
      expect(h.emu.botMessages(h.dm).some((x) => x.reply_to_message_id === reply.message_id)).toBe(false);
      // Every callback_data stays within Telegram's 64 bytes.
      const data = h.emu
        .calls({ method: "editMessageText" })
        .flatMap((c) => [...JSON.stringify(c.params.reply_markup ?? "").matchAll(/callback_data\\?":\\?"([^"\\]*)/g)])
        .map((x) => x[1] ?? "");
      expect(data.some((d) => d.startsWith("ap:") && d.endsWith(":q1s"))).toBe(true);
      for (const d of data) expect(new TextEncoder().encode(d).length).toBeLessThanOrEqual(64);
    },
    T,
  );
});

describe("plan review", () => {
  test(
    "a long plan: its head in the message, the whole plan as plan.md; Approve lets the engine go on",
    async () => {
      const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:plan 3000" });
      const progress = await progressWith(m.message_id, "💬 Let's discuss");
      expect(progress.text ?? "").toContain("Plan review");
      expect(progress.text ?? "").toContain("plan.md");
      const doc = await h.emu.waitForBotMessage(
        h.dm,
        (x) => x.reply_to_message_id === progress.message_id && x.document !== undefined,
        30_000,
      );
      expect(doc.document?.file_name).toBe("plan.md");
      expect(new TextDecoder().decode(h.emu.fileBytes(doc.document?.file_id ?? ""))).toBe(`${mockPlan(3000)}\n`);
      expect(await press(m.message_id, "✅ Approve")).toBe("Approved.");
      expect((await finalFor(m.message_id)).text ?? "").toContain("Allowed with answers: null");
    },
    T,
  );

  test(
    "Let's discuss waits for the reply, then denies with it as the feedback",
    async () => {
      const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:plan 200" });
      const progress = await progressWith(m.message_id, "💬 Let's discuss");
      expect(progress.text ?? "").toContain("Step 1: change module 1 and test it");
      expect(progress.text ?? "").not.toContain("plan.md");
      expect(await press(m.message_id, "💬 Let's discuss")).toContain("Reply");
      await progressWith(m.message_id, "Reply to this message with what to discuss");
      h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "Use SQLite instead", replyTo: progress.message_id });
      expect((await finalFor(m.message_id)).text ?? "").toContain(`Denied: ${discussMessage("Use SQLite instead")}`);
    },
    T,
  );
});
