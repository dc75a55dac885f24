// Phone-first input through the compiled bot on the emulator: a screenshot with a question, an album
// of logs, three forwarded messages and "summarise these" — each as Telegram sends it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;
const png = new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 13 + 7) % 256));

beforeAll(async () => {
  h = await startHarness({
    telegramToml:
      "forward_coalesce_s = 1.5\nmedia_group_debounce_s = 1\n\n[transports.telegram.files]\nenabled = true\n",
  });
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

const answers = (needle: string) =>
  h.emu.botMessages(h.dm).filter((m) => (m.text ?? "").includes("You said:") && (m.text ?? "").includes(needle));

/** Every message sent before it is handled by the time this one's answer arrives (one chat, one lane). */
async function sentinel(word: string): Promise<void> {
  h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: word });
  await h.emu.waitForBotMessage(h.dm, (x) => (x.text ?? "").includes(`You said: ${word}`), 20_000);
  // The runs started before the sentinel have answered too (runs in one chat are queued in order).
}

describe("photos", () => {
  test("a photo with a caption: saved byte-identical, the prompt names it", async () => {
    h.emu.sendUserMessage({
      chatId: h.dm,
      from: h.alice,
      photo: { data: png, width: 1170, height: 2532 },
      caption: "what is wrong here?",
    });
    const answer = await h.emu.waitForBotMessage(
      h.dm,
      (x) => (x.text ?? "").includes("You said:") && (x.text ?? "").includes("what is wrong here?"),
      20_000,
    );
    const saved = /attached: (incoming\/photo-\d{4}-\d{2}-\d{2}-\d+\.jpg)/.exec(answer.text ?? "")?.[1];
    expect(saved).toBeDefined();
    expect(new Uint8Array(readFileSync(join(h.project, saved as string)))).toEqual(png);
  }, 60_000);

  test("a captionless photo is saved and acknowledged; nothing runs", async () => {
    const before = readdirSync(join(h.project, "incoming")).length;
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, photo: { data: png, width: 100, height: 100 } });
    const ack = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id, 15_000);
    expect(ack.text ?? "").toMatch(/^saved incoming\/photo-\d{4}-\d{2}-\d{2}-2\.jpg/);
    expect(readdirSync(join(h.project, "incoming")).length).toBe(before + 1);
  }, 60_000);

  test("a photo put on a denied path or outside the project is refused, nothing written", async () => {
    for (const [target, reason] of [
      [".env", "denied"],
      ["keys/id.pem", "denied"],
      ["../outside.jpg", "not allowed"],
    ] as const) {
      const m = h.emu.sendUserMessage({
        chatId: h.dm,
        from: h.alice,
        photo: { data: png, width: 10, height: 10 },
        caption: `/file put ${target}`,
      });
      const r = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id, 15_000);
      expect(r.text ?? "").toContain(reason);
    }
    expect(existsSync(join(h.project, ".env"))).toBe(false);
    expect(existsSync(join(h.project, "keys", "id.pem"))).toBe(false);
    expect(existsSync(join(h.project, "..", "outside.jpg"))).toBe(false);
  }, 60_000);
});

describe("albums", () => {
  test("an album of 3 documents with one caption: one run, 3 files", async () => {
    const logs = ["a.log", "b.log", "c.log"].map((name, i) => ({
      fileName: name,
      data: new TextEncoder().encode(`log ${i}\n`),
    }));
    h.emu.sendUserAlbum({
      chatId: h.dm,
      from: h.alice,
      items: [{ document: logs[0] }, { document: logs[1], caption: "compare these logs" }, { document: logs[2] }].map(
        (i) => ({ ...i, document: i.document as (typeof logs)[number] }),
      ),
    });
    const answer = await h.emu.waitForBotMessage(
      h.dm,
      (x) => (x.text ?? "").includes("You said:") && (x.text ?? "").includes("compare these logs"),
      20_000,
    );
    for (const l of logs) {
      expect(answer.text ?? "").toContain(`attached: incoming/${l.fileName}`);
      expect(new Uint8Array(readFileSync(join(h.project, "incoming", l.fileName)))).toEqual(l.data);
    }
    await sentinel("after-the-album");
    expect(answers("compare these logs").length).toBe(1);
  }, 60_000);
});

describe("forwards", () => {
  test("3 forwards then 'summarise these': one run whose prompt holds all three, in order", async () => {
    const bob = h.emu.addUser({ firstName: "Bob" });
    for (const t of ["first forwarded point", "second forwarded point", "third forwarded point"])
      h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: t, forward: { fromUserId: bob.id } });
    h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "summarise these" });
    const answer = await h.emu.waitForBotMessage(
      h.dm,
      (x) => (x.text ?? "").includes("You said:") && (x.text ?? "").includes("summarise these"),
      20_000,
    );
    const text = answer.text ?? "";
    const at = ["first", "second", "third"].map((w) => text.indexOf(`${w} forwarded point`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(text).toContain("forwarded from Bob");
    await sentinel("after-the-forwards");
    expect(answers("forwarded point").length).toBe(1);
  }, 60_000);

  test("a forwarded command is quoted, never run as a command", async () => {
    h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/new", forward: { hiddenName: "Mallory" } });
    const answer = await h.emu.waitForBotMessage(
      h.dm,
      (x) => (x.text ?? "").includes("You said:") && (x.text ?? "").includes("forwarded from Mallory"),
      20_000,
    );
    expect(answer.text ?? "").toContain("/new");
  }, 60_000);
});

describe("uploads folder", () => {
  test("an uploads_dir that is a symlink out of the project is refused", async () => {
    const outside = join(h.home, "elsewhere");
    mkdirSync(outside, { recursive: true });
    rmSync(join(h.project, "incoming"), { recursive: true, force: true });
    symlinkSync(outside, join(h.project, "incoming"));
    const m = h.emu.sendUserMessage({
      chatId: h.dm,
      from: h.alice,
      photo: { data: png, width: 10, height: 10 },
      caption: "look",
    });
    const r = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id, 15_000);
    expect(r.text ?? "").toContain("symlink");
    expect(readdirSync(outside)).toEqual([]);
  }, 60_000);
});
