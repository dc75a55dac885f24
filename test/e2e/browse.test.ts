// /browse as a user meets it: one message edited in place, folders first, pages of 20, ⬆ Up; never
// a dotfile, a deny-glob match or a symlink out of the project; a tapped file arrives as /file get
// would send it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HistoryEntry } from "../../src/emulator/store.ts";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ telegramToml: "\n[transports.telegram.files]\nenabled = true\n" });
  const p = h.project;
  writeFileSync(join(p, "README.md"), "# demo project\n");
  writeFileSync(join(p, ".env"), "API_KEY=never-listed\n");
  writeFileSync(join(p, "server.pem"), "-----BEGIN KEY-----\n");
  mkdirSync(join(p, ".git"));
  writeFileSync(join(p, ".git", "config"), "[core]\n");
  mkdirSync(join(p, "src", "lib"), { recursive: true });
  writeFileSync(join(p, "src", "main.ts"), "console.log('hi');\n");
  writeFileSync(join(p, "src", "lib", "util.ts"), "export const x = 1;\n");
  mkdirSync(join(p, "many"));
  for (let i = 0; i < 25; i++) writeFileSync(join(p, "many", `f${String(i).padStart(2, "0")}.txt`), `file ${i}\n`);
  writeFileSync(join(h.home, "outside.txt"), "OUTSIDE-never-listed\n");
  symlinkSync(h.home, join(p, "escape"));
  symlinkSync("/etc", join(p, "etc-link"));
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

const buttons = (m: HistoryEntry) => (m.reply_markup?.inline_keyboard ?? []).flat().map((b) => b.text);

async function open(chat: number, from: number, text: string) {
  const m = h.emu.sendUserMessage({ chatId: chat, from, text });
  return h.emu.waitForBotMessage(chat, (x) => x.reply_to_message_id === m.message_id, 15_000);
}

/** Presses a button and waits for the browse message to be edited. */
async function press(chat: number, msg: HistoryEntry, from: number, text: string): Promise<HistoryEntry> {
  const before = h.emu.botMessages(chat).find((x) => x.message_id === msg.message_id)?.edits ?? 0;
  const q = h.emu.pressButton({ chatId: chat, messageId: msg.message_id, from, text });
  await h.emu.waitForCallbackAnswer(q.id, 10_000);
  return h.emu.waitFor(
    () => h.emu.botMessages(chat).find((x) => x.message_id === msg.message_id && x.edits > before),
    10_000,
    `an edit of the browse message after ${text}`,
  );
}

describe("/browse", () => {
  test("the top: folders first, then files; no dotfile, no deny-glob match, no symlink", async () => {
    const r = await open(h.dm, h.alice, "/browse");
    expect(r.text ?? "").toContain("demo");
    expect(buttons(r)).toEqual(["📁 many/", "📁 src/", "📄 README.md"]);
    const all = `${r.text} ${buttons(r).join(" ")}`;
    for (const never of [".env", ".git", "server.pem", "escape", "etc-link", "outside", "never-listed"])
      expect(all).not.toContain(never);
  }, 40_000);

  test("into a folder, ⬆ Up back out — the same message, edited in place", async () => {
    const r = await open(h.dm, h.alice, "/browse");
    const inSrc = await press(h.dm, r, h.alice, "📁 src/");
    expect(inSrc.text ?? "").toContain("src/");
    expect(buttons(inSrc)).toEqual(["📁 lib/", "📄 main.ts", "⬆ Up"]);
    const inLib = await press(h.dm, inSrc, h.alice, "📁 lib/");
    expect(buttons(inLib)).toEqual(["📄 util.ts", "⬆ Up"]);
    await press(h.dm, inLib, h.alice, "⬆ Up");
    const top = await press(h.dm, inLib, h.alice, "⬆ Up");
    expect(buttons(top)).toEqual(["📁 many/", "📁 src/", "📄 README.md"]);
  }, 40_000);

  test("pages of 20 with ◀ ▶", async () => {
    const r = await open(h.dm, h.alice, "/browse many");
    expect(r.text ?? "").toContain("page 1/2");
    expect(buttons(r)).toHaveLength(22);
    expect(buttons(r).slice(-2)).toEqual(["▶", "⬆ Up"]);
    const second = await press(h.dm, r, h.alice, "▶");
    expect(second.text ?? "").toContain("page 2/2");
    expect(buttons(second)).toEqual([
      "📄 f20.txt",
      "📄 f21.txt",
      "📄 f22.txt",
      "📄 f23.txt",
      "📄 f24.txt",
      "◀",
      "⬆ Up",
    ]);
    const back = await press(h.dm, second, h.alice, "◀");
    expect(buttons(back)[0]).toBe("📄 f00.txt");
  }, 40_000);

  test("tapping a file delivers the document, as /file get would", async () => {
    const r = await open(h.dm, h.alice, "/browse src");
    const q = h.emu.pressButton({ chatId: h.dm, messageId: r.message_id, from: h.alice, text: "📄 main.ts" });
    await h.emu.waitForCallbackAnswer(q.id, 10_000);
    const doc = await h.emu.waitForBotMessage(h.dm, (m) => m.document?.file_name === "main.ts", 15_000);
    expect(doc.reply_to_message_id).toBe(r.message_id);
    expect(new TextDecoder().decode(h.emu.fileBytes(doc.document?.file_id ?? ""))).toBe("console.log('hi');\n");
    expect(doc.text ?? "").toContain("src/main.ts");
  }, 40_000);

  test("a path into .git, a deny glob, a symlink out or above the project is refused", async () => {
    for (const [path, says] of [
      [".git", "denied"],
      ["escape", "symlink"],
      ["etc-link", "symlink"],
      ["../", "invalid"],
      ["/etc", "invalid"],
    ] as const) {
      const r = await open(h.dm, h.alice, `/browse ${path}`);
      expect(r.reply_markup).toBeUndefined();
      expect(r.text ?? "").toContain(says);
      expect(r.text ?? "").not.toContain("passwd");
    }
  }, 40_000);

  test("in a group only admins may browse (as /file); a plain member's press is refused too", async () => {
    const refused = await open(h.group, h.bob, "/browse");
    expect(refused.text ?? "").toContain("restricted to group admins");
    expect(refused.reply_markup).toBeUndefined();
    const r = await open(h.group, h.alice, "/browse");
    expect(buttons(r)).toContain("📁 src/");
    const q = h.emu.pressButton({ chatId: h.group, messageId: r.message_id, from: h.bob, text: "📁 src/" });
    const answer = await h.emu.waitForCallbackAnswer(q.id, 10_000);
    expect(answer.text ?? "").toContain("restricted to group admins");
    expect(h.emu.botMessages(h.group).find((x) => x.message_id === r.message_id)?.edits).toBe(0);
  }, 40_000);

  test("a forged button (unknown token, a path in the data, another message's token) does nothing", async () => {
    const r = await open(h.dm, h.alice, "/browse");
    const other = await open(h.dm, h.alice, "/browse src");
    const realData = other.reply_markup?.inline_keyboard.flat()[0]?.callback_data ?? "";
    expect(realData).toMatch(/^br:[A-Za-z0-9_-]{8}:d0$/);
    const refused = () => (h.output().match(/browse\.button_refused/g) ?? []).length;
    const before = refused();
    for (const [i, data] of ["br:AAAAAAAA:f0", "br:../../etc/passwd", "br:x:d0", realData].entries()) {
      h.emu.injectRawUpdate("callback_query", {
        id: `forged-${i}`,
        from: { id: h.alice, is_bot: false, first_name: "Alice" },
        chat_instance: "x",
        data,
        message: { message_id: r.message_id, date: 0, chat: { id: h.dm, type: "private" } },
      });
    }
    await h.emu.waitFor(() => refused() - before >= 4, 10_000, "four refused presses");
    expect(h.emu.botMessages(h.dm).find((x) => x.message_id === r.message_id)?.edits).toBe(0);
    expect(h.emu.botMessages(h.dm).filter((x) => x.document !== undefined && x.message_id > r.message_id)).toEqual([]);
  }, 40_000);
});

describe("/browse with file transfer disabled", () => {
  test("it refuses, naming the config key", async () => {
    const h2 = await startHarness();
    try {
      writeFileSync(join(h2.project, "README.md"), "x\n");
      const m = h2.emu.sendUserMessage({ chatId: h2.dm, from: h2.alice, text: "/browse" });
      const r = await h2.emu.waitForBotMessage(h2.dm, (x) => x.reply_to_message_id === m.message_id, 15_000);
      expect(r.text ?? "").toContain("file transfer is disabled");
      expect(r.text ?? "").toContain("enabled = true");
      expect(r.reply_markup).toBeUndefined();
    } finally {
      await h2.stop();
      await h2.emu.stop();
    }
  }, 40_000);
});
