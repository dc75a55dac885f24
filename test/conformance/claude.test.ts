// The real Claude Code CLI (pinned in test/conformance/clis) through dist/untether and the emulator,
// against the fake model server: see test/support/conformance/steps.ts and docs/engines.md. Bash is
// left out of allowed_tools and the permission mode asks, so the shell call becomes Approve/Deny
// buttons on the progress message.

import { expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { discussMessage } from "../../src/core/approvals.ts";
import { type ConformanceBot, RUN_TIMEOUT_MS } from "../support/conformance/bot.ts";
import { conformanceSuite } from "../support/conformance/steps.ts";
import { FAKE_QUESTIONS, FAKE_WRITE_CONTENT } from "../support/fake-models/script.ts";

const T = 2 * RUN_TIMEOUT_MS;

async function askForBash(bot: ConformanceBot) {
  const { h } = bot;
  rmSync(join(h.project, "out.txt"), { force: true });
  const m = bot.send("FAKE_BASH please write hello to out.txt", { chat: h.group });
  const progress = await h.emu.waitForBotMessage(
    h.group,
    (x) => x.reply_to_message_id === m.message_id && JSON.stringify(x.reply_markup ?? {}).includes("Approve"),
    RUN_TIMEOUT_MS,
  );
  expect(progress.text ?? "").toContain("Permission needed: Bash");
  expect(progress.text ?? "").toContain("echo hello > out.txt");
  return { m, progress };
}

/** The tool_result texts the CLI sent back to the fake model, for one tool. */
function toolResults(bot: ConformanceBot): string[] {
  const out: string[] = [];
  for (const r of bot.models.requests) {
    const messages = Array.isArray(r.body.messages) ? (r.body.messages as Array<{ content?: unknown }>) : [];
    const last = messages.at(-1);
    const blocks = Array.isArray(last?.content) ? (last.content as Array<Record<string, unknown>>) : [];
    for (const b of blocks) {
      if (b.type !== "tool_result") continue;
      out.push(typeof b.content === "string" ? b.content : JSON.stringify(b.content));
    }
  }
  return out;
}

/** Presses a button once the (throttled) progress edit shows it. */
async function press(bot: ConformanceBot, messageId: number, text: string) {
  await bot.h.emu.waitFor(
    () =>
      bot.h.emu
        .history(bot.h.group)
        .find((x) => x.message_id === messageId && JSON.stringify(x.reply_markup ?? {}).includes(JSON.stringify(text))),
    RUN_TIMEOUT_MS,
    `the button ${text}`,
  );
  const q = bot.h.emu.pressButton({ chatId: bot.h.group, messageId, from: bot.h.alice, text });
  return bot.h.emu.waitForCallbackAnswer(q.id);
}

/** A 1×1 PNG: the real CLI may check what it forwards, so the image must be a real one. */
const PNG = Uint8Array.from(
  Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    "base64",
  ),
);

conformanceSuite("claude", {
  engineToml:
    '\n[engines.claude]\nallowed_tools = ["Read"]\npermission_mode = "default"\n\n[transports.telegram.files]\nenabled = true\n',
  shellTests(get) {
    test(
      "claude: a photo with a caption reaches the model as an image block, byte-identical, beside the saved path",
      async () => {
        const bot = get();
        const { h } = bot;
        const m = h.emu.sendUserMessage({
          chatId: h.dm,
          from: h.alice,
          photo: { data: PNG, width: 1, height: 1 },
          caption: "FAKE_IMAGE what is in this picture?",
        });
        const final = await bot.finalFor(m.message_id, h.dm);
        expect(final.text ?? "").toContain("I see 1 image(s): image/png.");
        const b64 = Buffer.from(PNG).toString("base64");
        const sent = bot.models.requests.filter((r) => JSON.stringify(r.body).includes(b64));
        expect(sent.length).toBeGreaterThan(0);
        expect(JSON.stringify(sent[0]?.body)).toMatch(/attached: incoming\/photo-\d{4}-\d{2}-\d{2}-\d+\.jpg/);
      },
      T,
    );

    test(
      "claude: a stranger's press changes nothing; Approve runs the shell call",
      async () => {
        const bot = get();
        const { h } = bot;
        const { m, progress } = await askForBash(bot);
        const stranger = h.emu.pressButton({
          chatId: h.group,
          messageId: progress.message_id,
          from: h.mallory,
          text: "✅ Approve",
        });
        expect((await h.emu.waitForCallbackAnswer(stranger.id)).text).toBe("Not authorised.");
        // Still waiting for an answer: nothing ran, the buttons are still there.
        expect(existsSync(join(h.project, "out.txt"))).toBe(false);
        const still = h.emu.history(h.group).find((x) => x.message_id === progress.message_id);
        expect(JSON.stringify(still?.reply_markup ?? {})).toContain("Approve");
        const own = h.emu.pressButton({
          chatId: h.group,
          messageId: progress.message_id,
          from: h.alice,
          text: "✅ Approve",
        });
        expect((await h.emu.waitForCallbackAnswer(own.id)).text).toBe("Approved.");
        const final = await bot.finalFor(m.message_id, h.group);
        expect(final.text ?? "").toStartWith("done · claude");
        expect(final.text ?? "").toContain("Tool finished");
        expect(readFileSync(join(h.project, "out.txt"), "utf8")).toBe("hello\n");
      },
      T,
    );

    test(
      "claude: a Write approval shows the change as a diff; Approve writes exactly that",
      async () => {
        const bot = get();
        const { h } = bot;
        const target = join(h.project, "notes.md");
        rmSync(target, { force: true });
        const m = bot.send(`FAKE_WRITE ${target} please`, { chat: h.group });
        const progress = await h.emu.waitForBotMessage(
          h.group,
          (x) => x.reply_to_message_id === m.message_id && JSON.stringify(x.reply_markup ?? {}).includes("Approve"),
          RUN_TIMEOUT_MS,
        );
        const text = progress.text ?? "";
        expect(text).toContain("Permission needed: Write");
        expect(text).toContain("notes.md (+2 −0)");
        expect(text).toContain("+line one\n+line two");
        expect(existsSync(target)).toBe(false);
        const own = h.emu.pressButton({
          chatId: h.group,
          messageId: progress.message_id,
          from: h.alice,
          text: "✅ Approve",
        });
        expect((await h.emu.waitForCallbackAnswer(own.id)).text).toBe("Approved.");
        const final = await bot.finalFor(m.message_id, h.group);
        expect(final.text ?? "").toStartWith("done · claude");
        expect(readFileSync(target, "utf8")).toBe(FAKE_WRITE_CONTENT);
      },
      T,
    );

    test(
      "claude: Deny does not run the shell call and the model hears it was refused",
      async () => {
        const bot = get();
        const { h } = bot;
        const { m, progress } = await askForBash(bot);
        const own = h.emu.pressButton({
          chatId: h.group,
          messageId: progress.message_id,
          from: h.alice,
          text: "❌ Deny",
        });
        expect((await h.emu.waitForCallbackAnswer(own.id)).text).toBe("Denied.");
        const final = await bot.finalFor(m.message_id, h.group);
        expect(final.text ?? "").toContain("Tool failed");
        expect(existsSync(join(h.project, "out.txt"))).toBe(false);
      },
      T,
    );

    test(
      "claude: AskUserQuestion with two questions (one multi-select) and an Other answer: the CLI gets exactly those answers",
      async () => {
        const bot = get();
        const { h } = bot;
        const [single, multi] = FAKE_QUESTIONS as [(typeof FAKE_QUESTIONS)[0], (typeof FAKE_QUESTIONS)[0]];
        const m = bot.send("FAKE_ASK which options?", { chat: h.group });
        const progress = await h.emu.waitForBotMessage(
          h.group,
          (x) => x.reply_to_message_id === m.message_id && JSON.stringify(x.reply_markup ?? {}).includes("Other"),
          RUN_TIMEOUT_MS,
        );
        const text = progress.text ?? "";
        expect(text).toContain(single.question);
        expect(text).toContain(multi.question);
        expect(text).toContain("Bench — a benchmark");
        // Multi-select: Tests and Bench on, Docs toggled on and off again, then Send.
        expect((await press(bot, progress.message_id, "2· Tests")).text).toContain("Toggled");
        expect((await press(bot, progress.message_id, "2· Docs")).text).toContain("Toggled");
        expect((await press(bot, progress.message_id, "2· ✓ Docs")).text).toContain("Toggled");
        expect((await press(bot, progress.message_id, "2· Bench")).text).toContain("Toggled");
        expect((await press(bot, progress.message_id, "2· 📨 Send")).text).toContain("Sent");
        // Other…: the next reply to the progress message is the typed answer.
        expect((await press(bot, progress.message_id, "1· ✍️ Other…")).text).toContain("Reply");
        const reply = bot.send("Green, like the logo", { chat: h.group, replyTo: progress.message_id });
        const final = await bot.finalFor(m.message_id, h.group);
        expect(final.text ?? "").toStartWith("done · claude");
        // The reply answered the question instead of starting a run of its own.
        expect(h.emu.botMessages(h.group).some((x) => x.reply_to_message_id === reply.message_id)).toBe(false);
        const results = toolResults(bot).filter((r) => r.includes(single.question));
        expect(results).toHaveLength(1);
        expect(results[0]).toContain(`"${single.question}"="Green, like the logo"`);
        expect(results[0]).toContain(`"${multi.question}"="Tests, Bench"`);
        expect(final.text ?? "").toContain("Green, like the logo");
      },
      T,
    );

    test(
      "claude: ExitPlanMode shows the plan; Let's discuss denies with the user's reply as feedback",
      async () => {
        const bot = get();
        const { h } = bot;
        const m = bot.send("FAKE_PLAN make it retry", { chat: h.group });
        const progress = await h.emu.waitForBotMessage(
          h.group,
          (x) => x.reply_to_message_id === m.message_id && JSON.stringify(x.reply_markup ?? {}).includes("discuss"),
          RUN_TIMEOUT_MS,
        );
        expect(progress.text ?? "").toContain("Plan review");
        expect(progress.text ?? "").toContain("Add the retry loop");
        expect((await press(bot, progress.message_id, "💬 Let's discuss")).text).toContain("Reply");
        const reply = bot.send("Why retry at all?", { chat: h.group, replyTo: progress.message_id });
        const final = await bot.finalFor(m.message_id, h.group);
        expect(final.text ?? "").toContain("Tool failed");
        expect(toolResults(bot).some((r) => r.includes(discussMessage("Why retry at all?")))).toBe(true);
        expect(h.emu.botMessages(h.group).some((x) => x.reply_to_message_id === reply.message_id)).toBe(false);
      },
      T,
    );
  },
});
