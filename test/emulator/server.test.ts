import { afterEach, beforeEach, expect, test } from "bun:test";
import type { TgBotUser, TgChat, TgMessage } from "../../src/emulator/index.ts";
import { type World, world } from "./helpers.ts";

let w: World;
beforeEach(async () => {
  w = await world({ token: "123456:TEST-token", botUsername: "test_bot" });
});
afterEach(() => w.emu.stop());

test("getMe answers in Telegram's envelope with the bot user", async () => {
  const r = await w.api<TgBotUser>("getMe");
  expect(r.status).toBe(200);
  expect(r.ok).toBe(true);
  expect(r.result).toMatchObject({ id: 123456, is_bot: true, username: "test_bot" });
  expect(w.emu.apiBaseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});

test("a wrong token is 401 Unauthorized and an unknown method 404 Not Found", async () => {
  const wrong = await fetch(`${w.emu.apiBaseUrl}/bot123456:nope/getMe`, { method: "POST" });
  expect(wrong.status).toBe(401);
  expect(await wrong.json()).toEqual({ ok: false, error_code: 401, description: "Unauthorized" });
  const unknown = await w.api("sendTelepathy");
  expect(unknown.status).toBe(404);
  expect(unknown).toMatchObject({ ok: false, error_code: 404, description: "Not Found" });
  const stray = await fetch(`${w.emu.apiBaseUrl}/elsewhere`);
  expect(stray.status).toBe(404);
});

test("method names are case-insensitive and calls are recorded under the canonical name", async () => {
  expect((await w.api("GETME")).ok).toBe(true);
  expect(w.emu.calls({ method: "getMe" })).toHaveLength(1);
  expect(w.emu.calls()[0]).toMatchObject({ method: "getMe", status: 200, ok: true });
});

test("parameters arrive as GET query, form-urlencoded and JSON alike", async () => {
  const base = `${w.emu.apiBaseUrl}/bot${w.emu.token}`;
  const viaGet = (await (await fetch(`${base}/sendMessage?chat_id=${w.dm.id}&text=from+get`)).json()) as {
    result: TgMessage;
  };
  expect(viaGet.result.text).toBe("from get");
  const form = new URLSearchParams({
    chat_id: String(w.dm.id),
    text: "from form",
    reply_markup: JSON.stringify({ inline_keyboard: [[{ text: "A", callback_data: "a" }]] }),
  });
  const viaForm = (await (await fetch(`${base}/sendMessage`, { method: "POST", body: form })).json()) as {
    result: TgMessage;
  };
  expect(viaForm.result.reply_markup?.inline_keyboard[0]?.[0]?.callback_data).toBe("a");
  const viaJson = await w.api<TgMessage>("sendMessage", { chat_id: w.dm.id, text: "from json" });
  expect(viaJson.result.message_id).toBe(3);
  expect(w.emu.history(w.dm.id).map((m) => m.text)).toEqual(["from get", "from form", "from json"]);
});

test("sendMessage returns the message as Telegram shapes it, with HTML parsed into entities", async () => {
  const r = await w.api<TgMessage>("sendMessage", {
    chat_id: w.dm.id,
    text: '<b>Done</b> &amp; <a href="https://x.test/">link</a>',
    parse_mode: "HTML",
  });
  expect(r.result).toMatchObject({
    message_id: 1,
    from: { id: 123456, is_bot: true },
    chat: { id: w.dm.id, type: "private" },
    text: "Done & link",
    entities: [
      { type: "bold", offset: 0, length: 4 },
      { type: "text_link", offset: 7, length: 4, url: "https://x.test/" },
    ],
  });
  expect(Number.isInteger(r.result.date)).toBe(true);
  const [entry] = w.emu.history(w.dm.id);
  expect(entry).toMatchObject({
    by: "bot",
    text: "Done & link",
    html: '<b>Done</b> &amp; <a href="https://x.test/">link</a>',
  });
});

test("chat_id may be @username; getChat and getChatMember describe chats and members", async () => {
  const bob = w.emu.addUser({ firstName: "Bob" });
  const group = w.emu.addChat({
    type: "supergroup",
    title: "Team",
    username: "team",
    members: [
      { userId: w.alice.id, status: "creator" },
      { userId: bob.id, status: "administrator" },
    ],
  });
  expect((await w.api<TgChat>("getChat", { chat_id: "@team" })).result).toMatchObject({
    id: group.id,
    type: "supergroup",
    title: "Team",
  });
  const member = async (id: number) =>
    (await w.api<{ status: string }>("getChatMember", { chat_id: group.id, user_id: id })).result.status;
  expect(await member(w.alice.id)).toBe("creator");
  expect(await member(bob.id)).toBe("administrator");
  expect(await member(w.emu.bot.id)).toBe("member");
  const stranger = w.emu.addUser();
  expect(await member(stranger.id)).toBe("left");
  expect((await w.api("getChat", { chat_id: -999 })).description).toBe("Bad Request: chat not found");
});

test("commands are stored per scope, chat actions and webhook deletion are accepted", async () => {
  const commands = [{ command: "new", description: "Start a new session" }];
  expect((await w.api("setMyCommands", { commands })).result).toBe(true);
  expect((await w.api("getMyCommands")).result).toEqual(commands);
  expect((await w.api("getMyCommands", { scope: { type: "all_private_chats" } })).result).toEqual([]);
  expect((await w.api("setMyCommands", { commands: [{ command: "Bad-Name", description: "x" }] })).description).toBe(
    "Bad Request: BOT_COMMAND_INVALID",
  );
  expect((await w.api("sendChatAction", { chat_id: w.dm.id, action: "typing" })).result).toBe(true);
  expect(w.emu.chatAction(w.dm.id)?.action).toBe("typing");
  expect((await w.api("sendChatAction", { chat_id: w.dm.id, action: "dancing" })).description).toBe(
    "Bad Request: wrong parameter action in request",
  );
  expect((await w.api("deleteWebhook", { drop_pending_updates: true })).result).toBe(true);
});
