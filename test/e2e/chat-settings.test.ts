// Per-chat settings through the compiled binary: /model, /reasoning, /planmode, /approval, /verbose,
// /listen and /config as a user meets them — the reply and keyboard, the effect on the next run's
// engine command line (the engine.spawn log line), persistence across a restart, refusal for a group
// member who is no admin, the second tap for a value that lowers safety, and /agent refusing an
// engine that is not installed. Claude and Codex are the replay fakes (test/support/fake-engine.ts).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type HistoryEntry, startEmulator } from "../../src/emulator/index.ts";
import { makeFakeCli } from "../support/fake-engine.ts";
import { type Harness, startHarness } from "../support/harness.ts";

const FIX = resolve(import.meta.dir, "../fixtures/engines");
const fakeDir = mkdtempSync(join(tmpdir(), "untether-settings-"));
makeFakeCli(fakeDir, "claude", join(FIX, "claude/resume-stream.exchange.jsonl"));
makeFakeCli(fakeDir, "codex", join(FIX, "codex/say-hi.stdout.jsonl"));

let h: Harness;

beforeAll(async () => {
  const emulator = await startEmulator({ botUsername: "untether_test_bot" });
  // The harness adds Alice next: her id follows this one's.
  const alice = emulator.addUser({ firstName: "Nobody" }).id + 1;
  h = await startHarness({
    emulator,
    env: { PATH: `${fakeDir}:${process.env.PATH}` },
    // Alice is the bot's admin; Bob is allowed but no bot admin.
    telegramToml: `admin_user_ids = [${alice}]`,
  });
  expect(h.alice).toBe(alice);
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

/** A user's message and the bot's reply to it. */
async function say(text: string, chatId = h.dm, from = h.alice): Promise<HistoryEntry> {
  const m = h.emu.sendUserMessage({ chatId, from, text });
  return h.emu.waitForBotMessage(chatId, (x) => x.reply_to_message_id === m.message_id, 10_000);
}

/** Runs a task and returns the argv of the engine it spawned. */
async function runArgv(text = "say hi", chatId = h.dm, from = h.alice): Promise<string[]> {
  const before = spawnLines().length;
  const m = h.emu.sendUserMessage({ chatId, from, text });
  await h.emu.waitForBotMessage(
    chatId,
    (x) => x.reply_to_message_id === m.message_id && /^(done|error) ·/.test(x.text ?? ""),
    25_000,
  );
  const lines = spawnLines();
  expect(lines.length).toBe(before + 1);
  const argv = lines.at(-1)?.argv;
  if (!Array.isArray(argv)) throw new Error("engine.spawn without argv");
  return argv.slice(1).map(String);
}

function logLines(event: string): Array<Record<string, unknown>> {
  return h
    .output()
    .split("\n")
    .filter((l) => l.includes(`"msg":"${event}"`))
    .map((l) => JSON.parse(l.slice(l.indexOf("{"))) as Record<string, unknown>);
}
const spawnLines = () => logLines("engine.spawn");

const buttons = (m: HistoryEntry) => (m.reply_markup?.inline_keyboard ?? []).map((row) => row.map((b) => b.text));

describe("/model, /reasoning and /planmode in a private chat", () => {
  test("/agent set refuses an engine that is not installed, naming the install command", async () => {
    const r = await say("/agent set gemini");
    expect(r.text).toBe(
      "gemini is not installed on this server. Install it with npm install -g @google/gemini-cli, then try again.",
    );
    expect((await say("/agent set claude")).text).toBe("Engine here is now claude.");
  });

  test("/model name reaches the next run as --model; /model clear removes it", async () => {
    expect((await say("/model")).text).toBe(
      "Model for claude here: not set (the CLI's default).\nUsage: /model [name|clear]",
    );
    expect((await say("/model sonnet")).text).toBe("Model for claude here is now sonnet.");
    expect((await say("/model")).text).toStartWith("Model for claude here: sonnet (set in this chat).");
    const argv = await runArgv();
    expect(argv.join(" ")).toContain("--model sonnet");
    expect((await say("/model clear")).text).toBe("Model for claude cleared here: now not set (the CLI's default).");
    expect(await runArgv()).not.toContain("--model");
  }, 60_000);

  test("/reasoning: an unknown level is refused with Claude's list; a known one becomes --effort", async () => {
    expect((await say("/reasoning extreme")).text).toBe(
      "⚠️ unknown claude reasoning 'extreme'; choose one of low, medium, high, xhigh, max.",
    );
    expect((await say("/reasoning high")).text).toBe("Reasoning for claude here is now high.");
    expect((await runArgv()).join(" ")).toContain("--effort high");
  }, 30_000);

  test("/planmode on → --permission-mode plan; show; another engine is told it is Claude only", async () => {
    expect((await say("/planmode on")).text).toBe("Permission mode for claude here is now plan.");
    expect((await say("/planmode show")).text).toStartWith("Permission mode for claude here: plan (set in this chat).");
    expect((await runArgv()).join(" ")).toContain("--permission-mode plan");
    const changed = logLines("settings.changed").find((l) => l.key === "permission.claude");
    expect(changed).toMatchObject({ user_id: h.alice, chat_id: h.dm, old: null, new: "plan" });
  }, 30_000);
});

describe("/config", () => {
  test("the menu shows each setting with its source and edits itself in place", async () => {
    const menu = await say("/config");
    expect(menu.text).toContain("Settings here (engine claude)");
    expect(menu.text).toContain("Engine: claude — set in this chat");
    expect(menu.text).toContain("Reasoning (claude): high — set in this chat");
    expect(menu.text).toContain("Verbose progress: off — from the config");
    expect(buttons(menu)).toEqual([
      ["Engine: claude"],
      ["Model (claude): —"],
      ["Reasoning (claude): high"],
      ["Plan / permission mode (claude): plan"],
      ["Verbose progress: off"],
      ["Listen: all"],
    ]);
    h.emu.pressButton({ chatId: h.dm, messageId: menu.message_id, from: h.alice, text: "Reasoning (claude): high" });
    const page = await h.emu.waitForBotMessage(
      h.dm,
      (m) => m.message_id === menu.message_id && (m.text ?? "").startsWith("⚙️ Reasoning (claude)"),
      10_000,
    );
    expect(buttons(page)).toEqual([
      ["low", "medium", "• high"],
      ["xhigh", "max"],
      ["Clear (use the default)"],
      ["⬅ Back"],
    ]);
    h.emu.pressButton({ chatId: h.dm, messageId: menu.message_id, from: h.alice, text: "max" });
    const after = await h.emu.waitForBotMessage(
      h.dm,
      (m) => m.message_id === menu.message_id && (m.text ?? "").includes("Reasoning for claude here is now max."),
      10_000,
    );
    expect(after.text).toContain("Now: max (set in this chat).");
    h.emu.pressButton({ chatId: h.dm, messageId: menu.message_id, from: h.alice, text: "⬅ Back" });
    await h.emu.waitForBotMessage(
      h.dm,
      (m) => m.message_id === menu.message_id && (m.text ?? "").includes("Reasoning (claude): max — set in this chat"),
      10_000,
    );
    expect((await runArgv()).join(" ")).toContain("--effort max");
  }, 30_000);

  test("bypassPermissions needs a second tap, then applies and is logged", async () => {
    const menu = await say("/config");
    h.emu.pressButton({
      chatId: h.dm,
      messageId: menu.message_id,
      from: h.alice,
      text: "Plan / permission mode (claude): plan",
    });
    await h.emu.waitForBotMessage(
      h.dm,
      (m) => m.message_id === menu.message_id && (m.text ?? "").startsWith("⚙️ Plan / permission mode"),
      10_000,
    );
    h.emu.pressButton({ chatId: h.dm, messageId: menu.message_id, from: h.alice, text: "bypassPermissions" });
    const ask = await h.emu.waitForBotMessage(
      h.dm,
      (m) => m.message_id === menu.message_id && (m.text ?? "").includes("lowers safety"),
      10_000,
    );
    expect(buttons(ask)).toEqual([["Confirm — valid 60 s"], ["⬅ Back"]]);
    // Not applied before the second tap.
    expect((await say("/planmode show")).text).toStartWith("Permission mode for claude here: plan");
    h.emu.pressButton({ chatId: h.dm, messageId: menu.message_id, from: h.alice, text: "Confirm — valid 60 s" });
    await h.emu.waitForBotMessage(
      h.dm,
      (m) =>
        m.message_id === menu.message_id &&
        (m.text ?? "").includes("Permission mode for claude here is now bypassPermissions."),
      10_000,
    );
    const changed = logLines("settings.changed").filter((l) => l.key === "permission.claude");
    expect(changed.at(-1)).toMatchObject({ user_id: h.alice, old: "plan", new: "bypassPermissions" });
    expect((await runArgv()).join(" ")).toContain("--permission-mode bypassPermissions");
    expect((await say("/planmode off")).text).toBe("Permission mode for claude here is now default.");
  }, 40_000);
});

describe("Codex: reasoning and the approval policy", () => {
  test("-c model_reasoning_effort and --ask-for-approval untrusted from the chat", async () => {
    expect((await say("/agent set codex")).text).toBe("Engine here is now codex.");
    expect((await say("/reasoning max")).text).toBe(
      "⚠️ unknown codex reasoning 'max'; choose one of minimal, low, medium, high, xhigh.",
    );
    await say("/reasoning high");
    expect((await say("/approval")).text).toBe(
      "Permission mode for codex here: full (the CLI's default).\nChoices: safe, full.\nUsage: /approval [mode|clear]",
    );
    expect((await say("/approval safe")).text).toBe("Permission mode for codex here is now safe.");
    const argv = (await runArgv()).join(" ");
    expect(argv).toContain("-c model_reasoning_effort=high");
    expect(argv).toContain("--ask-for-approval untrusted");
    // Back to full access: lowers safety, so a Confirm button first.
    const ask = await say("/approval full");
    expect(ask.text).toContain("full for codex lowers safety");
    expect(buttons(ask)).toEqual([["Confirm — valid 60 s"]]);
    expect((await say("/planmode on")).text).toBe(
      "Plan mode is only for Claude Code; the engine here is codex. Its approval policy is /approval.",
    );
  }, 40_000);
});

describe("/verbose", () => {
  test("on, off and clear; an unknown value is refused with the choices", async () => {
    expect((await say("/verbose loud")).text).toBe("⚠️ unknown verbose 'loud'; choose one of on, off.");
    expect((await say("/verbose on")).text).toBe("Verbose progress here is now on.");
    expect((await say("/verbose")).text).toStartWith("Verbose progress here: on (set in this chat).");
    expect((await say("/verbose clear")).text).toBe("Verbose progress cleared here: now off (from the config).");
  });
});

describe("persistence", () => {
  test("the chat's settings survive a restart", async () => {
    await say("/agent set claude");
    await say("/model opus");
    await h.restart();
    expect((await say("/model")).text).toStartWith("Model for claude here: opus (set in this chat).");
    const argv = (await runArgv()).join(" ");
    expect(argv).toContain("--model opus");
    expect(argv).toContain("--effort max");
  }, 60_000);
});

describe("in a group", () => {
  test("a member who is no admin cannot change settings", async () => {
    const r = await say("/model haiku", h.group, h.bob);
    expect(r.text).toBe("Only the group's admins can change this chat's settings.");
    expect((await say("/model", h.group, h.bob)).text).toStartWith("Model for mock here: not set");
  });

  test("a group admin who is no bot admin cannot lower safety", async () => {
    h.emu.setMember(h.group, h.bob, "administrator");
    await say("/agent set claude", h.group, h.bob);
    const menu = await say("/config", h.group, h.bob);
    h.emu.pressButton({
      chatId: h.group,
      messageId: menu.message_id,
      from: h.bob,
      text: "Plan / permission mode (claude): default",
    });
    await h.emu.waitForBotMessage(
      h.group,
      (m) => m.message_id === menu.message_id && (m.text ?? "").startsWith("⚙️ Plan / permission mode"),
      10_000,
    );
    const q = h.emu.pressButton({
      chatId: h.group,
      messageId: menu.message_id,
      from: h.bob,
      text: "bypassPermissions",
    });
    const answer = await h.emu.waitForCallbackAnswer(q.id);
    expect(answer.text).toContain("lowers safety: only the bot's admins");
    expect(answer.showAlert).toBe(true);
    h.emu.setMember(h.group, h.bob, "member");
    await say("/agent clear", h.group, h.alice);
  }, 30_000);

  test("/listen mentions: only messages addressed to the bot start a run", async () => {
    expect((await say("/listen mentions", h.group, h.alice)).text).toBe("Listen here is now mentions.");
    const before = spawnLines().length;
    h.emu.sendUserMessage({ chatId: h.group, from: h.bob, text: "lunch at noon?" });
    // Messages of a chat are handled in order: once this reply is out, the one before was handled.
    expect((await say("/listen", h.group, h.bob)).text).toStartWith("Listen here: mentions (set in this chat).");
    expect(spawnLines().length).toBe(before);
    expect(h.output()).toContain('"listen.ignored"');
    const argv = await runArgv("@untether_test_bot count the files", h.group, h.bob);
    expect(argv).toContain("__mock-engine");
    await say("/listen clear", h.group, h.alice);
  }, 40_000);
});
