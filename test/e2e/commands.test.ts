// Chat commands as a user meets them: the command menu, /help, typos that must not become paid runs,
// and the `//` escape that sends text to the agent as typed.
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

const spawns = () => (h.output().match(/engine\.spawn"/g) ?? []).length;

describe("the command menu and /help", () => {
  test("setMyCommands lists the commands from the registry", () => {
    const menu = [...h.emu.store.commands.values()][0] ?? [];
    const names = menu.map((c) => c.command);
    expect(names).toEqual(expect.arrayContaining(["cancel", "new", "agent", "continue", "file", "at", "help"]));
    expect(names).not.toContain("start");
  });

  test("/help lists every command, the engines and the projects", async () => {
    const msg = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/help" });
    const reply = await h.emu.waitForBotMessage(h.dm, (m) => m.reply_to_message_id === msg.message_id, 10_000);
    const text = reply.text ?? "";
    for (const c of ["/cancel", "/new", "/agent", "/continue", "/file", "/at 30m", "/help"]) expect(text).toContain(c);
    expect(text).toMatch(/Engines: .*\/mock/);
    expect(text).toContain("Projects: /demo");
    expect(text).toContain("//");
  });
});

describe("a mistyped command", () => {
  test("/cancle gets a did-you-mean hint and starts no engine", async () => {
    const before = spawns();
    const msg = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/cancle" });
    const reply = await h.emu.waitForBotMessage(h.dm, (m) => m.reply_to_message_id === msg.message_id, 10_000);
    expect(reply.text ?? "").toContain(
      "Unknown command /cancle — nothing was sent to the agent. Did you mean /cancel?",
    );
    await h.waitForOutput(/command\.unknown/);
    expect(spawns()).toBe(before);
  });

  test("an unknown word with no close command points at /help", async () => {
    const msg = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/deploy now please" });
    const reply = await h.emu.waitForBotMessage(h.dm, (m) => m.reply_to_message_id === msg.message_id, 10_000);
    expect(reply.text ?? "").toContain("Unknown command /deploy");
    expect(reply.text ?? "").toContain("/help lists the commands");
  });

  test(".cancel (a dot for a slash) gets the same hint", async () => {
    const before = spawns();
    const msg = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: ".cancel" });
    const reply = await h.emu.waitForBotMessage(h.dm, (m) => m.reply_to_message_id === msg.message_id, 10_000);
    expect(reply.text ?? "").toContain("Unknown command .cancel");
    expect(reply.text ?? "").toContain("Did you mean /cancel?");
    expect(spawns()).toBe(before);
  });

  test("an engine or project name is still a directive, not an unknown command", async () => {
    const msg = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/mock /demo count the files" });
    const final = await h.emu.waitForBotMessage(
      h.dm,
      (m) => m.reply_to_message_id === msg.message_id && (m.text ?? "").includes("You said: count the files"),
      20_000,
    );
    expect(final.text ?? "").toMatch(/^done · mock/);
  });
});

describe("the // escape", () => {
  test("//cancle the order goes to the agent as '/cancle the order'", async () => {
    const msg = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "//cancle the order" });
    const final = await h.emu.waitForBotMessage(
      h.dm,
      (m) => m.reply_to_message_id === msg.message_id && (m.text ?? "").includes("You said: /cancle the order"),
      20_000,
    );
    expect(final.text ?? "").toMatch(/^done · mock/);
  });

  test("a sentence starting with a dot-word that is no command runs as a task", async () => {
    const msg = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: ".gitignore should list dist" });
    const final = await h.emu.waitForBotMessage(
      h.dm,
      (m) =>
        m.reply_to_message_id === msg.message_id && (m.text ?? "").includes("You said: .gitignore should list dist"),
      20_000,
    );
    expect(final.text ?? "").toMatch(/^done · mock/);
  });
});
