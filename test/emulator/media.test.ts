// Photos, albums and forwards as Telegram sends them to a bot.
import { afterEach, beforeEach, expect, test } from "bun:test";
import type { TelegramUpdate } from "../../src/botapi/types.ts";
import { type Emulator, startEmulator } from "../../src/emulator/index.ts";
import { parseUpdate } from "../../src/telegram/incoming.ts";

/** An update as the bot receives it: JSON over the wire. */
const wire = (u: unknown): TelegramUpdate => JSON.parse(JSON.stringify(u ?? { update_id: 0 }));

let emu: Emulator;
beforeEach(async () => {
  emu = await startEmulator();
});
afterEach(() => emu.stop());

const bytes = (n: number) => new Uint8Array(Array.from({ length: n }, (_, i) => (i * 31) % 256));

test("a photo arrives as PhotoSize renditions, smallest first; the largest holds the photo's bytes", () => {
  const alice = emu.addUser();
  const dm = emu.addChat({ type: "private", userId: alice.id });
  const data = bytes(5000);
  const m = emu.sendUserMessage({
    chatId: dm.id,
    from: alice.id,
    photo: { data, width: 1000, height: 750 },
    caption: "look",
  });
  const sizes = m.photo ?? [];
  expect(sizes.map((s) => [s.width, s.height])).toEqual([
    [90, 68],
    [320, 240],
    [800, 600],
    [1000, 750],
  ]);
  for (const s of sizes) {
    expect(s.file_id).not.toBe("");
    expect(s.file_unique_id).not.toBe("");
    expect(s.file_size).toBe(emu.fileBytes(s.file_id)?.byteLength ?? -1);
  }
  expect(emu.fileBytes(sizes.at(-1)?.file_id ?? "")).toEqual(data);
  expect(emu.fileBytes(sizes[0]?.file_id ?? "")).not.toEqual(data);
  expect(m.caption).toBe("look");
  expect(m.text).toBeUndefined();
  const parsed = parseUpdate(wire(emu.pendingUpdates().at(-1)));
  expect(parsed?.kind === "message" && parsed.photo?.length).toBe(4);
});

test("an album: one message and update per item, one media_group_id, the caption on its item only", () => {
  const alice = emu.addUser();
  const dm = emu.addChat({ type: "private", userId: alice.id });
  const items = emu.sendUserAlbum({
    chatId: dm.id,
    from: alice.id,
    items: [
      { document: { fileName: "a.log", data: bytes(3) } },
      { document: { fileName: "b.log", data: bytes(4) }, caption: "compare" },
      { document: { fileName: "c.log", data: bytes(5) } },
    ],
  });
  const ids = new Set(items.map((m) => m.media_group_id));
  expect(ids.size).toBe(1);
  expect([...ids][0]).toMatch(/^\d+$/);
  expect(items.map((m) => m.caption)).toEqual([undefined, "compare", undefined]);
  expect(emu.pendingUpdates().map((u) => u.message?.document?.file_name)).toEqual(["a.log", "b.log", "c.log"]);
  const again = emu.sendUserAlbum({
    chatId: dm.id,
    from: alice.id,
    items: [{ photo: { data: bytes(10), width: 10, height: 10 } }, { video: { fileName: "v.mp4", data: bytes(9) } }],
  });
  expect(again[0]?.media_group_id).not.toBe(items[0]?.media_group_id);
  expect(again[1]?.video?.file_name).toBe("v.mp4");
  expect(() =>
    emu.sendUserAlbum({
      chatId: dm.id,
      from: alice.id,
      items: [{ document: { fileName: "a", data: bytes(1) } }, { photo: { data: bytes(1), width: 1, height: 1 } }],
    }),
  ).toThrow("cannot hold");
  expect(() =>
    emu.sendUserAlbum({ chatId: dm.id, from: alice.id, items: [{ document: { fileName: "a", data: bytes(1) } }] }),
  ).toThrow("2 to 10");
});

test("forwards carry forward_origin (user, hidden user, chat) and parse into an origin and a date", () => {
  const alice = emu.addUser();
  const bob = emu.addUser({ firstName: "Bob", username: "bob" });
  const dm = emu.addChat({ type: "private", userId: alice.id });
  const ops = emu.addChat({ type: "group", title: "Ops", members: [{ userId: alice.id, status: "member" }] });
  const a = emu.sendUserMessage({
    chatId: dm.id,
    from: alice.id,
    text: "one",
    forward: { fromUserId: bob.id, date: 1000 },
  });
  const b = emu.sendUserMessage({ chatId: dm.id, from: alice.id, text: "two", forward: { hiddenName: "Carol" } });
  const c = emu.sendUserMessage({ chatId: dm.id, from: alice.id, text: "three", forward: { chatId: ops.id } });
  expect(a.forward_origin).toEqual({ type: "user", date: 1000, sender_user: expect.objectContaining({ id: bob.id }) });
  expect(b.forward_origin?.type).toBe("hidden_user");
  expect(c.forward_origin?.type).toBe("chat");
  const parsed = emu.pendingUpdates().map((u) => parseUpdate(wire(u)));
  expect(parsed.map((p) => (p?.kind === "message" ? p.forward?.from : undefined))).toEqual([
    "Bob (@bob)",
    "Carol",
    "Ops",
  ]);
  expect(parsed[0]?.kind === "message" && parsed[0].forward?.date).toBe(1000);
});
