// `/file put`, `/file get` and auto-put as a user sees them: who may transfer, byte-identical
// round trips, the size limits on declared and actual bytes, de-duplication and the reply texts.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, truncateSync } from "node:fs";
import { formatSize, MIB, readStreamCapped, splitArgs, transferLimits } from "../../src/telegram/files.ts";
import type { IncomingMessage } from "../../src/telegram/incoming.ts";
import { TooLargeError } from "../../src/telegram/zip.ts";
import {
  bytes,
  docMessage,
  GROUP,
  type Harness,
  harness,
  message,
  OWNER,
  quietLogs,
  STRANGER,
  text,
} from "./files-fixtures.ts";

let h: Harness;
beforeAll(quietLogs);
afterEach(() => h?.project.dispose());

const get = (path: string, over = {}) =>
  h.handler.command(message({ text: `/file get ${path}`, ...over }), `get ${path}`, h.project.root);
const put = (args: string, fileId: string, name: string | undefined, size: number | undefined, over = {}) =>
  h.handler.command(docMessage(fileId, name, size, { text: `/file ${args}`, ...over }), args, h.project.root);

describe("who may transfer", () => {
  test("files disabled: /file and a sent document name the setting; nothing is fetched or run", async () => {
    h = harness({ enabled: false });
    await get("ok.txt");
    expect(h.transport.lastText).toContain("<code>[transports.telegram.files] enabled = true</code>");
    h.api.addFile("f", bytes("x"));
    const res = await h.handler.document(docMessage("f", "a.txt", 1, { text: "look at this" }), h.project.root);
    expect(res).toBeUndefined();
    expect(h.transport.texts.length).toBe(2);
    expect(h.transport.lastText).toStartWith("not saved: file transfer is disabled");
    expect(h.api.calls.length).toBe(0);
  });

  test("a stranger not in files.allowed_user_ids is refused, for get and put", async () => {
    h = harness({ allowed_user_ids: [OWNER] });
    h.project.write("ok.txt", "fine");
    await get("ok.txt", { userId: STRANGER, chatId: STRANGER });
    expect(h.transport.lastText).toContain("not allowed for this user");
    expect(h.transport.lastText).toContain("files.allowed_user_ids");
    h.api.addFile("f", bytes("x"));
    await put("put a.txt", "f", "a.txt", 1, { userId: STRANGER, chatId: STRANGER });
    expect(h.transport.lastText).toContain("not allowed for this user");
    expect(h.transport.docs.length).toBe(0);
    expect(existsSync(h.project.path("a.txt"))).toBe(false);
    expect(h.api.count("download")).toBe(0);
  });

  test("files.allowed_user_ids grants transfer even in a group, without an admin lookup", async () => {
    h = harness({ allowed_user_ids: [OWNER] });
    h.project.write("ok.txt", "fine");
    await get("ok.txt", { chatId: GROUP, chatType: "supergroup" });
    expect(h.transport.docs.length).toBe(1);
    expect(h.api.count("getChatMember")).toBe(0);
  });

  test("in a group, a plain member is refused and an admin or the creator is served", async () => {
    h = harness();
    h.project.write("ok.txt", "fine");
    await get("ok.txt", { chatId: GROUP, chatType: "supergroup", userId: 101 });
    expect(h.transport.lastText).toContain("restricted to group admins");
    expect(h.transport.docs.length).toBe(0);
    h.api.statuses.set(`${GROUP}:101`, "administrator");
    await get("ok.txt", { chatId: GROUP, chatType: "supergroup", userId: 101 });
    h.api.statuses.set(`${GROUP}:102`, "creator");
    await get("ok.txt", { chatId: GROUP, chatType: "group", userId: 102 });
    expect(h.transport.docs.length).toBe(2);
    expect(h.api.calls.filter((c) => c.method === "getChatMember").map((c) => c.args)).toEqual([
      [GROUP, 101],
      [GROUP, 101],
      [GROUP, 102],
    ]);
  });

  test("a restricted or departed group member is refused", async () => {
    h = harness();
    for (const status of ["restricted", "left", "kicked"]) {
      h.api.statuses.set(`${GROUP}:101`, status);
      await get("ok.txt", { chatId: GROUP, chatType: "supergroup", userId: 101 });
      expect(h.transport.lastText).toContain("restricted to group admins");
    }
  });

  test("a failed admin lookup refuses (fail closed)", async () => {
    h = harness();
    h.api.memberLookupFails = true;
    await get("ok.txt", { chatId: GROUP, chatType: "supergroup" });
    expect(h.transport.lastText).toContain("could not verify file transfer permissions");
  });

  test("a private chat of someone outside the bot's allowlist is refused; no sender is refused", async () => {
    h = harness();
    await get("ok.txt", { userId: STRANGER, chatId: STRANGER });
    expect(h.transport.lastText).toContain("not allowed for this user");
    await get("ok.txt", { userId: undefined });
    expect(h.transport.lastText).toContain("cannot verify who sent this");
  });

  test("allow_any_user lets anyone transfer in a private chat", async () => {
    h = harness({}, { allowedUserIds: () => new Set(), allowAnyUser: () => true });
    h.project.write("ok.txt", "fine");
    await get("ok.txt", { userId: STRANGER, chatId: STRANGER });
    expect(h.transport.docs.length).toBe(1);
  });

  test("channels are refused", async () => {
    h = harness();
    await get("ok.txt", { chatType: "channel", chatId: -1001 });
    expect(h.transport.lastText).toContain("not available in this chat");
  });
});

describe("usage and flags", () => {
  test("no or unknown sub-command → usage naming both forms", async () => {
    h = harness();
    for (const args of ["", "list", "GET x"]) {
      await h.handler.command(message(), args, h.project.root);
      expect(h.transport.lastText).toContain("<code>/file put &lt;path&gt;</code>");
      expect(h.transport.lastText).toContain("<code>/file get &lt;path&gt;</code>");
    }
  });

  test("/file get without a path, or with two → get usage", async () => {
    h = harness();
    await h.handler.command(message(), "get", h.project.root);
    expect(h.transport.lastText).toBe("usage: <code>/file get &lt;path&gt;</code>");
    await h.handler.command(message(), "get a b", h.project.root);
    expect(h.transport.lastText).toBe("usage: <code>/file get &lt;path&gt;</code>");
  });

  test("/file put without a document → put usage", async () => {
    h = harness();
    await h.handler.command(message(), "put notes/a.txt", h.project.root);
    expect(h.transport.lastText).toContain(
      "usage: send a document with the caption <code>/file put &lt;path&gt;</code>",
    );
  });

  test("unknown flags are named, escaped", async () => {
    h = harness();
    h.api.addFile("f", bytes("x"));
    await put("put --<b>oops a.txt", "f", "a.txt", 1);
    expect(h.transport.lastText).toBe("unknown flag: <code>--&lt;b&gt;oops</code>");
    await h.handler.command(message(), "get --force a.txt", h.project.root);
    expect(h.transport.lastText).toBe("unknown flag: <code>--force</code>");
  });

  test("quoted paths keep their spaces; HTML in names is escaped in replies", async () => {
    h = harness();
    h.api.addFile("f", bytes("hello"));
    await put('put "my notes/<b>a & b</b>.txt"', "f", "x.txt", 5);
    expect(h.transport.lastText).toBe("saved <code>my notes/&lt;b&gt;a &amp; b&lt;/b&gt;.txt</code> (5 b)");
    expect(readFileSync(h.project.path("my notes/<b>a & b</b>.txt"), "utf8")).toBe("hello");
  });
});

describe("put", () => {
  test("an upload is byte-identical, written atomically without leftovers", async () => {
    h = harness();
    const data = new Uint8Array(randomBytes(300_000));
    h.api.addFile("f", data);
    await put("put data/blob.bin", "f", "blob.bin", data.byteLength);
    expect(h.transport.lastText).toBe("saved <code>data/blob.bin</code> (292 kb)");
    expect(new Uint8Array(readFileSync(h.project.path("data/blob.bin")))).toEqual(data);
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(h.project.path("data"))).toEqual(["blob.bin"]);
  });

  test("an existing file gets a de-duplicated name; --force replaces it", async () => {
    h = harness();
    h.project.write("report.txt", "old");
    h.api.addFile("f", bytes("new"));
    await put("put report.txt", "f", "report.txt", 3);
    expect(h.transport.lastText).toBe("saved <code>report_1.txt</code> (3 b)");
    await put("put report.txt", "f", "report.txt", 3);
    expect(h.transport.lastText).toBe("saved <code>report_2.txt</code> (3 b)");
    expect(readFileSync(h.project.path("report.txt"), "utf8")).toBe("old");
    await put("put --force report.txt", "f", "report.txt", 3);
    expect(h.transport.lastText).toBe("saved <code>report.txt</code> (3 b)");
    expect(readFileSync(h.project.path("report.txt"), "utf8")).toBe("new");
  });

  test("a path ending in / means 'into this directory' with the document's name", async () => {
    h = harness();
    h.api.addFile("f", bytes("abc"), { filePath: "documents/file_7.txt" });
    await put("put docs/", "f", "spec.md", 3);
    expect(h.transport.lastText).toBe("saved <code>docs/spec.md</code> (3 b)");
    // No usable name from the user: the basename of Telegram's file path.
    await put("put docs/", "f", undefined, 3);
    expect(h.transport.lastText).toBe("saved <code>docs/file_7.txt</code> (3 b)");
  });

  test("no path: into uploads_dir; a directory target without / is refused; a file as a directory too", async () => {
    h = harness({ uploads_dir: "inbox" });
    h.api.addFile("f", bytes("abc"));
    await put("put", "f", "a.txt", 3);
    expect(h.transport.lastText).toBe("saved <code>inbox/a.txt</code> (3 b)");
    await put("put inbox", "f", "a.txt", 3);
    expect(h.transport.lastText).toBe("upload target is a directory.");
    await put("put inbox/a.txt/", "f", "a.txt", 3);
    expect(h.transport.lastText).toBe("upload path is a file, not a directory.");
  });

  test("20 MiB: refused on the declared size of the message, without any Bot API call", async () => {
    h = harness();
    h.api.addFile("big", new Uint8Array(10));
    await put("put big.bin", "big", "big.bin", 20 * MIB + 1);
    expect(h.transport.lastText).toBe("file is too large to upload (limit 20 mb).");
    expect(h.api.calls.length).toBe(0);
  });

  test("20 MiB: refused on getFile's declared size, before downloading", async () => {
    h = harness();
    h.api.addFile("big", new Uint8Array(10), { declaredSize: 20 * MIB + 1 });
    await put("put big.bin", "big", "big.bin", 10);
    expect(h.transport.lastText).toContain("too large to upload");
    expect(h.api.count("download")).toBe(0);
  });

  test("20 MiB: refused on the actual bytes when the declared sizes lie; exactly 20 MiB passes", async () => {
    h = harness();
    h.api.addFile("liar", new Uint8Array(20 * MIB + 1), { declaredSize: 1000 });
    await put("put liar.bin", "liar", "liar.bin", 1000);
    expect(h.transport.lastText).toContain("too large to upload");
    expect(existsSync(h.project.path("liar.bin"))).toBe(false);
    expect(h.api.calls.find((c) => c.method === "download")?.args[1]).toBe(20 * MIB);
    h.api.addFile("edge", new Uint8Array(20 * MIB));
    await put("put edge.bin", "edge", "edge.bin", 20 * MIB);
    expect(h.transport.lastText).toBe("saved <code>edge.bin</code> (20 mb)");
  });

  test("a FileApi that ignores the cap and returns too many bytes is still refused", async () => {
    h = harness();
    h.api.download = async () => new Uint8Array(20 * MIB + 5);
    h.api.addFile("f", new Uint8Array(1));
    await put("put x.bin", "f", "x.bin", 1);
    expect(h.transport.lastText).toContain("too large to upload");
  });

  test("a self-hosted Bot API server lifts the limit to 2000 MiB", async () => {
    h = harness();
    h.telegram.official = false;
    h.api.addFile("f", new Uint8Array(21 * MIB));
    await put("put big.bin", "f", "big.bin", 21 * MIB);
    expect(h.transport.lastText).toBe("saved <code>big.bin</code> (21 mb)");
    expect(transferLimits(false)).toEqual({ fromTelegram: 2000 * MIB, toTelegram: 2000 * MIB });
  });

  test("Telegram failures are reported without internals", async () => {
    h = harness();
    await put("put x.bin", "missing", "x.bin", 1);
    expect(h.transport.lastText).toContain("could not fetch the file from Telegram");
    h.api.addFile("nopath", new Uint8Array(1), { filePath: "" });
    await put("put x.bin", "nopath", "x.bin", 1);
    expect(h.transport.lastText).toBe("Telegram did not return a download path for this file.");
  });
});

describe("auto-put", () => {
  test("a document lands in uploads_dir; its caption runs with the saved path; no caption, no run", async () => {
    h = harness();
    h.project.write("incoming/notes.txt", "older");
    h.api.addFile("f", bytes("data"));
    const res = await h.handler.document(docMessage("f", "notes.txt", 4, { text: "please read" }), h.project.root);
    expect(res).toEqual({ startRunWith: "please read\n\n[attached: incoming/notes_1.txt]" });
    expect(h.transport.lastText).toBe("saved <code>incoming/notes_1.txt</code> (4 b)");
    expect(text(new Uint8Array(readFileSync(h.project.path("incoming/notes_1.txt"))))).toBe("data");
    expect(text(new Uint8Array(readFileSync(h.project.path("incoming/notes.txt"))))).toBe("older");
    const none = await h.handler.document(docMessage("f", "notes.txt", 4), h.project.root);
    expect(none).toBeUndefined();
  });

  test("prompt mode: a captionless upload waits for the next message (its paths are handed back)", async () => {
    h = harness({ auto_put_mode: "prompt" });
    h.api.addFile("f", bytes("data"));
    const res = await h.handler.document(docMessage("f", "notes.txt", 4), h.project.root);
    expect(res).toEqual({ pendingPaths: ["incoming/notes.txt"] });
  });

  test("a photo: the largest size within the limit, saved as photo-<day>-N.jpg, never replacing", async () => {
    h = harness();
    h.api.addFile("small", bytes("s"));
    h.api.addFile("big", bytes("BIG"));
    h.api.addFile("huge", bytes("HUGE"));
    const date = Date.UTC(2026, 11, 6, 10) / 1000;
    const photo = [
      { file_id: "small", width: 90, height: 60, file_size: 1 },
      { file_id: "huge", width: 4000, height: 3000, file_size: 21 * MIB },
      { file_id: "big", width: 1280, height: 960, file_size: 3 },
    ];
    const first = await h.handler.document(message({ photo, date, text: "what is wrong here?" }), h.project.root);
    expect(first).toEqual({ startRunWith: "what is wrong here?\n\n[attached: incoming/photo-2026-12-06-1.jpg]" });
    expect(text(new Uint8Array(readFileSync(h.project.path("incoming/photo-2026-12-06-1.jpg"))))).toBe("BIG");
    // "BIG" is no image by its bytes: named by path only, not sent to the engine as an image.
    const second = await h.handler.document(message({ photo, date }), h.project.root);
    expect(second).toBeUndefined();
    expect(h.transport.lastText).toBe("saved <code>incoming/photo-2026-12-06-2.jpg</code> (3 b)");
  });

  test("a real image (by its bytes) is also handed back for the engine, up to 5 MiB", async () => {
    h = harness();
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    h.api.addFile("j", jpeg);
    const photo = [{ file_id: "j", width: 10, height: 10, file_size: jpeg.byteLength }];
    const res = await h.handler.document(message({ photo, text: "see" }), h.project.root);
    expect(res?.images).toEqual([{ mediaType: "image/jpeg", data: jpeg }]);
  });

  test("an album: every item saved, one reply, one prompt naming them all; a refused item is reported", async () => {
    h = harness({ deny_globs: ["**/*.log"] });
    h.api.addFile("a", bytes("A"));
    h.api.addFile("b", bytes("B"));
    h.api.addFile("c", bytes("C"));
    const items = [
      docMessage("a", "a.txt", 1, { mediaGroupId: "g" }),
      docMessage("b", "b.log", 1, { mediaGroupId: "g", text: "compare these" }),
      docMessage("c", "c.txt", 1, { mediaGroupId: "g" }),
    ];
    const res = await h.handler.document({ ...(items[1] as IncomingMessage), album: items }, h.project.root);
    expect(res).toEqual({ startRunWith: "compare these\n\n[attached: incoming/a.txt]\n[attached: incoming/c.txt]" });
    expect(h.transport.lastText).toBe(
      "saved <code>incoming/a.txt</code>, <code>incoming/c.txt</code> (2 b)\nnot saved: path denied by rule: <code>**/*.log</code>",
    );
  });

  test("auto_put off: a hint, nothing saved", async () => {
    h = harness({ auto_put: false });
    h.api.addFile("f", bytes("data"));
    await h.handler.document(docMessage("f", "notes.txt", 4), h.project.root);
    expect(h.transport.lastText).toContain("<code>/file put &lt;path&gt;</code>");
    expect(h.api.calls.length).toBe(0);
  });

  test("auto-put respects permissions and limits", async () => {
    h = harness();
    h.api.addFile("f", bytes("data"));
    const res = await h.handler.document(
      docMessage("f", "notes.txt", 4, { chatId: GROUP, chatType: "supergroup", text: "x" }),
      h.project.root,
    );
    expect(res).toBeUndefined();
    expect(h.transport.lastText).toContain("restricted to group admins");
    await h.handler.document(docMessage("f", "notes.txt", 20 * MIB + 1), h.project.root);
    expect(h.transport.lastText).toContain("too large to upload");
  });
});

describe("get", () => {
  test("a file comes back byte-identical, with its path and size in the caption, replying to the command", async () => {
    h = harness();
    const data = new Uint8Array(randomBytes(1536));
    h.project.write("src/bin.dat", data);
    const m = message();
    await h.handler.command(m, "get src/bin.dat", h.project.root);
    const sent = h.transport.docs[0];
    expect(sent?.doc.fileName).toBe("bin.dat");
    expect(sent?.doc.data).toEqual(data);
    expect(sent?.doc.caption).toBe("<code>src/bin.dat</code> (1.5 kb)");
    expect(sent?.opts?.replyTo).toBe(m.messageId);
  });

  test("50 MiB: a bigger file is refused; exactly 50 MiB is sent", async () => {
    h = harness();
    const big = h.project.write("big.bin", "");
    truncateSync(big, 50 * MIB + 1);
    await get("big.bin");
    expect(h.transport.lastText).toBe("file is too large to send (limit 50 mb).");
    truncateSync(big, 50 * MIB);
    await get("big.bin");
    expect(h.transport.docs[0]?.doc.data.byteLength).toBe(50 * MIB);
  });

  test("an empty file is refused (Telegram rejects empty documents)", async () => {
    h = harness();
    h.project.write("empty.txt", "");
    await get("empty.txt");
    expect(h.transport.lastText).toContain("the file is empty");
  });

  test("a failed send is reported", async () => {
    h = harness();
    h.project.write("ok.txt", "fine");
    h.transport.failDocuments = true;
    await get("ok.txt");
    expect(h.transport.lastText).toBe("failed to send the file.");
  });
});

describe("helpers", () => {
  test("formatSize", () => {
    expect([0, 512, 1536, 20 * 1024, 3.2 * MIB, 20 * MIB, 1024].map(formatSize)).toEqual([
      "0 b",
      "512 b",
      "1.5 kb",
      "20 kb",
      "3.2 mb",
      "20 mb",
      "1 kb",
    ]);
  });

  test("splitArgs: quotes group, unbalanced quotes fall back to whitespace", () => {
    expect(splitArgs(`put --force "a b/c.txt"`)).toEqual(["put", "--force", "a b/c.txt"]);
    expect(splitArgs(`get 'x y'`)).toEqual(["get", "x y"]);
    expect(splitArgs(`get "x y`)).toEqual(["get", '"x', "y"]);
    expect(splitArgs(`get ""`)).toEqual(["get", ""]);
  });

  test("readStreamCapped stops and cancels past the cap", async () => {
    let cancelled = false;
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulls++;
        c.enqueue(new Uint8Array(1000));
      },
      cancel() {
        cancelled = true;
      },
    });
    await expect(readStreamCapped(stream, 2500)).rejects.toBeInstanceOf(TooLargeError);
    expect(cancelled).toBe(true);
    expect(pulls).toBeLessThan(6);
    const ok = new Response(new Uint8Array(2500)).body;
    expect((await readStreamCapped(ok as ReadableStream<Uint8Array>, 2500)).byteLength).toBe(2500);
  });
});

describe("unexpected failures", () => {
  test("an unreadable folder gives a generic reply, not the raw error", async () => {
    h = harness();
    h.project.write("locked/inner/a.txt", "a");
    const { chmodSync } = await import("node:fs");
    chmodSync(h.project.path("locked/inner"), 0o000);
    try {
      await get("locked");
      if (process.getuid?.() === 0) {
        // Root ignores permission bits: the zip is sent.
        expect(h.transport.docs.length).toBe(1);
      } else {
        expect(h.transport.lastText).toBe("file transfer failed; see the server log.");
      }
    } finally {
      chmodSync(h.project.path("locked/inner"), 0o755);
    }
  });
});
