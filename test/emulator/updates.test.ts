import { afterEach, beforeEach, expect, test } from "bun:test";
import type { TgUpdate } from "../../src/emulator/index.ts";
import { type World, world } from "./helpers.ts";

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(() => w.emu.stop());

const say = (text: string) => w.emu.sendUserMessage({ chatId: w.dm.id, from: w.alice.id, text });

test("a held long poll is woken by a new update", async () => {
  const poll = w.api<TgUpdate[]>("getUpdates", { timeout: 30 });
  await w.emu.waitFor(() => w.emu.isPolling(), 5000, "the poll to be held");
  say("hello");
  const r = await poll;
  expect(r.result).toHaveLength(1);
  expect(r.result[0]?.message).toMatchObject({
    text: "hello",
    from: { id: w.alice.id },
    chat: { id: w.dm.id, type: "private" },
  });
});

test("a long poll with nothing to deliver is held, then answers [] when its timeout ends", async () => {
  const poll = w.api<TgUpdate[]>("getUpdates", { timeout: 1 });
  await w.emu.waitFor(() => w.emu.isPolling(), 5000, "the poll to be held");
  const r = await poll;
  expect(r).toMatchObject({ status: 200, ok: true, result: [] });
  expect(w.emu.isPolling()).toBe(false);
});

test("pending updates are answered at once and stay until an offset confirms them", async () => {
  say("one");
  say("two");
  const first = await w.api<TgUpdate[]>("getUpdates", { timeout: 30 });
  expect(first.result.map((u) => u.message?.text)).toEqual(["one", "two"]);
  const [a, b] = first.result.map((u) => u.update_id);
  expect(b).toBe((a ?? 0) + 1);
  expect((await w.api<TgUpdate[]>("getUpdates")).result).toHaveLength(2);
  const after = await w.api<TgUpdate[]>("getUpdates", { offset: b });
  expect(after.result.map((u) => u.message?.text)).toEqual(["two"]);
  expect((await w.api<TgUpdate[]>("getUpdates", { offset: (b ?? 0) + 1 })).result).toEqual([]);
  expect(w.emu.pendingUpdates()).toEqual([]);
});

test("limit caps a batch and a negative offset keeps only the newest updates", async () => {
  for (const t of ["1", "2", "3", "4"]) say(t);
  expect((await w.api<TgUpdate[]>("getUpdates", { limit: 2 })).result.map((u) => u.message?.text)).toEqual(["1", "2"]);
  expect((await w.api<TgUpdate[]>("getUpdates", { offset: -1 })).result.map((u) => u.message?.text)).toEqual(["4"]);
  expect(w.emu.pendingUpdates()).toHaveLength(1);
});

test("allowed_updates is remembered and filters updates created afterwards", async () => {
  await w.api("getUpdates", { allowed_updates: ["callback_query"] });
  say("ignored");
  expect(w.emu.pendingUpdates()).toEqual([]);
  await w.api("getUpdates", { allowed_updates: [] });
  say("seen");
  expect((await w.api<TgUpdate[]>("getUpdates")).result.map((u) => u.message?.text)).toEqual(["seen"]);
});

test("a second concurrent getUpdates makes the first answer 409 Conflict", async () => {
  const first = w.api("getUpdates", { timeout: 30 });
  await w.emu.waitFor(() => w.emu.isPolling(), 5000, "the first poll");
  const second = w.api<TgUpdate[]>("getUpdates", { timeout: 30 });
  const r1 = await first;
  expect(r1).toMatchObject({ status: 409, ok: false, error_code: 409 });
  expect(r1.description).toStartWith("Conflict: terminated by other getUpdates request");
  say("for the second");
  expect((await second).result[0]?.message?.text).toBe("for the second");
});

test("update ids increase across messages and button presses; stop() ends a held poll", async () => {
  const sent = await w.api<{ message_id: number }>("sendMessage", {
    chat_id: w.dm.id,
    text: "pick",
    reply_markup: { inline_keyboard: [[{ text: "Yes", callback_data: "yes" }]] },
  });
  say("m");
  const q = w.emu.pressButton({ chatId: w.dm.id, messageId: sent.result.message_id, from: w.alice.id, data: "yes" });
  const ids = w.emu.pendingUpdates().map((u) => u.update_id);
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(w.emu.pendingUpdates()[1]?.callback_query).toMatchObject({
    id: q.id,
    data: "yes",
    message: { message_id: sent.result.message_id },
  });
  await w.api("getUpdates", { offset: (ids.at(-1) ?? 0) + 1 });
  const held = w.api<TgUpdate[]>("getUpdates", { timeout: 30 });
  await w.emu.waitFor(() => w.emu.isPolling(), 5000, "the poll");
  await w.emu.stop();
  expect((await held).result).toEqual([]);
});
