// File transfer through the bot on the emulator, with a real project on disk.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;
const readme = new Uint8Array(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));

beforeAll(async () => {
  h = await startHarness({ telegramToml: "\n[transports.telegram.files]\nenabled = true\n" });
  writeFileSync(join(h.project, "README.bin"), readme);
  writeFileSync(join(h.project, ".env"), "API_KEY=never-sent\n");
  mkdirSync(join(h.project, "sub"), { recursive: true });
  writeFileSync(join(h.project, "sub", "key.pem"), "-----BEGIN KEY-----\n");
  symlinkSync("/etc", join(h.project, "etc-link"));
  symlinkSync(join(h.project, ".env"), join(h.project, "innocent.txt"));
  // Hard links: the same inode under a harmless name, inside the project.
  writeFileSync(join(h.home, "outside-secret.txt"), "OUTSIDE-SECRET-never-sent\n");
  linkSync(join(h.home, "outside-secret.txt"), join(h.project, "notes.txt"));
  linkSync(join(h.project, ".env"), join(h.project, "settings.txt"));
  mkdirSync(join(h.project, "bundle"));
  writeFileSync(join(h.project, "bundle", "plain.txt"), "plain content\n");
  linkSync(join(h.home, "outside-secret.txt"), join(h.project, "bundle", "linked.txt"));
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

async function reply(chat: number, from: number, text: string) {
  const m = h.emu.sendUserMessage({ chatId: chat, from, text });
  return h.emu.waitForBotMessage(chat, (x) => x.reply_to_message_id === m.message_id, 15_000);
}

describe("/file through the bot", () => {
  test("/file get sends the file, byte-identical", async () => {
    const r = await reply(h.dm, h.alice, "/file get README.bin");
    expect(r.document?.file_name).toBe("README.bin");
    expect(h.emu.fileBytes(r.document!.file_id)).toEqual(readme);
  });

  for (const [path, reason] of [
    [".env", "denied"],
    ["sub/key.pem", "denied"],
    ["../../etc/passwd", ""],
    ["/etc/passwd", ""],
    [".git/config", "denied"],
    ["etc-link/passwd", ""],
    ["innocent.txt", ""],
  ] as const) {
    test(`/file get ${path} is refused`, async () => {
      const r = await reply(h.dm, h.alice, `/file get ${path}`);
      expect(r.document).toBeUndefined();
      if (reason) expect(r.text ?? "").toContain(reason);
      expect(r.text ?? "").not.toContain("never-sent");
    });
  }

  test("/file put as a document caption writes the file atomically, byte-identical", async () => {
    const data = new TextEncoder().encode("uploaded from the phone\n");
    const m = h.emu.sendUserMessage({
      chatId: h.dm,
      from: h.alice,
      caption: "/file put docs/note.txt",
      document: { fileName: "note.txt", data },
    });
    const r = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id, 15_000);
    expect(r.text ?? "").toContain("docs/note.txt");
    expect(new Uint8Array(readFileSync(join(h.project, "docs", "note.txt")))).toEqual(data);
  });

  test("/file put cannot write .env or escape the project", async () => {
    for (const target of [".env", "../outside.txt", "sub/.env"]) {
      const m = h.emu.sendUserMessage({
        chatId: h.dm,
        from: h.alice,
        caption: `/file put ${target}`,
        document: { fileName: "x.txt", data: new TextEncoder().encode("x") },
      });
      const r = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id, 15_000);
      expect(r.text ?? "").not.toMatch(/^saved/);
    }
    expect(readFileSync(join(h.project, ".env"), "utf8")).toBe("API_KEY=never-sent\n");
  });

  test("in a group, an allowed user who is not an admin is refused; the admin is served", async () => {
    const bobReply = await reply(h.group, h.bob, "/file get README.bin");
    expect(bobReply.document).toBeUndefined();
    expect(bobReply.text ?? "").toMatch(/admin/i);
    const aliceReply = await reply(h.group, h.alice, "/file get README.bin");
    expect(aliceReply.document?.file_name).toBe("README.bin");
  });

  test("files the agent leaves in the outbox arrive as documents after the run", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:outbox report.txt" });
    const doc = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && x.document !== undefined,
      20_000,
    );
    expect(doc.document?.file_name).toBe("report.txt");
    expect(new TextDecoder().decode(h.emu.fileBytes(doc.document!.file_id)!)).toContain(
      "report written by the mock agent",
    );
  }, 30_000);

  test("hard links are refused: /file get, inside a zip, and in the outbox", async () => {
    for (const path of ["notes.txt", "settings.txt"]) {
      const r = await reply(h.dm, h.alice, `/file get ${path}`);
      expect(r.document, path).toBeUndefined();
      expect(r.text ?? "", path).toContain("hard link");
    }
    const z = await reply(h.dm, h.alice, "/file get bundle");
    expect(z.document?.file_name).toBe("bundle.zip");
    const members = unzipSync(h.emu.fileBytes(z.document!.file_id)!);
    expect(Object.keys(members)).toEqual(["bundle/plain.txt"]);

    mkdirSync(join(h.project, ".untether-outbox"), { recursive: true });
    linkSync(join(h.project, ".env"), join(h.project, ".untether-outbox", "leak.txt"));
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:outbox report.txt" });
    const notice = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && (x.text ?? "").includes("leak.txt"),
      20_000,
    );
    expect(notice.text).toContain("hard_link");
    await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && x.document?.file_name === "report.txt",
      20_000,
    );
    // No document the bot ever sent holds the linked content.
    for (const entry of h.emu.botMessages(h.dm)) {
      if (!entry.document) continue;
      expect(entry.document.file_name).not.toBe("leak.txt");
      const bytes = h.emu.fileBytes(entry.document.file_id)!;
      const texts = entry.document.file_name?.endsWith(".zip") ? Object.values(unzipSync(bytes)) : [bytes];
      for (const t of texts) expect(new TextDecoder().decode(t)).not.toContain("never-sent");
    }
  }, 40_000);

  test("the mock agent's outbox cannot write outside the project (mock:outbox ../../x)", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:outbox ../../escaped.txt" });
    const answer = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && (x.text ?? "").includes("Refused"),
      20_000,
    );
    expect(answer.text).toContain("plain file name");
    expect(existsSync(join(h.home, "escaped.txt"))).toBe(false);
    expect(existsSync(join(h.project, "..", "..", "escaped.txt"))).toBe(false);
  }, 30_000);
});
