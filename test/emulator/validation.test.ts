import { afterEach, beforeEach, expect, test } from "bun:test";
import type { TgMessage } from "../../src/emulator/index.ts";
import { type World, world } from "./helpers.ts";

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(() => w.emu.stop());

const NOT_MODIFIED =
  "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
const keyboard = (data: string) => ({ inline_keyboard: [[{ text: "Go", callback_data: data }]] });

async function expect400(method: string, params: Record<string, unknown>, description: string): Promise<void> {
  const r = await w.api(method, params);
  expect({ status: r.status, ok: r.ok, error_code: r.error_code, description: r.description }).toEqual({
    status: 400,
    ok: false,
    error_code: 400,
    description,
  });
}

test("empty or whitespace-only text is rejected", async () => {
  await expect400("sendMessage", { chat_id: w.dm.id, text: "" }, "Bad Request: message text is empty");
  await expect400("sendMessage", { chat_id: w.dm.id }, "Bad Request: message text is empty");
  await expect400("sendMessage", { chat_id: w.dm.id, text: "  \n " }, "Bad Request: message text is empty");
  await expect400(
    "sendMessage",
    { chat_id: w.dm.id, text: "<b></b>", parse_mode: "HTML" },
    "Bad Request: message text is empty",
  );
});

test("the 4096 limit counts the text after entity parsing", async () => {
  const exact = "x".repeat(4096);
  expect((await w.api("sendMessage", { chat_id: w.dm.id, text: exact })).ok).toBe(true);
  await expect400("sendMessage", { chat_id: w.dm.id, text: `${exact}y` }, "Bad Request: message is too long");
  // Tags do not count and &amp; is one character: 4096 visible characters in far more source.
  const html = `<b>${"&amp;".repeat(2048)}</b><i>${"y".repeat(2048)}</i>`;
  const ok = await w.api<TgMessage>("sendMessage", { chat_id: w.dm.id, text: html, parse_mode: "HTML" });
  expect(ok.result.text?.length).toBe(4096);
  await expect400(
    "sendMessage",
    { chat_id: w.dm.id, text: `${html}z`, parse_mode: "HTML" },
    "Bad Request: message is too long",
  );
});

test("malformed HTML is rejected with tdlib's parse errors", async () => {
  const send = (text: string, description: string) =>
    expect400("sendMessage", { chat_id: w.dm.id, text, parse_mode: "HTML" }, description);
  await send("<b>bold", `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`);
  await send(
    "<b>x</i>",
    `Bad Request: can't parse entities: Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`,
  );
  await send("x</b>", "Bad Request: can't parse entities: Unexpected end tag at byte offset 1");
  await send("é<div>x</div>", `Bad Request: can't parse entities: Unsupported start tag "div" at byte offset 2`);
  await send(
    "<span>x</span>",
    `Bad Request: can't parse entities: Tag "span" must have class "tg-spoiler" at byte offset 0`,
  );
  await send("<b", "Bad Request: can't parse entities: Unclosed start tag at byte offset 0");
});

test("callback_data over 64 bytes is BUTTON_DATA_INVALID", async () => {
  expect(
    (await w.api("sendMessage", { chat_id: w.dm.id, text: "ok", reply_markup: keyboard("d".repeat(64)) })).ok,
  ).toBe(true);
  await expect400(
    "sendMessage",
    { chat_id: w.dm.id, text: "x", reply_markup: keyboard("d".repeat(65)) },
    "Bad Request: BUTTON_DATA_INVALID",
  );
  // Bytes, not characters: 22 three-byte characters are 66 bytes.
  await expect400(
    "sendMessage",
    { chat_id: w.dm.id, text: "x", reply_markup: keyboard("€".repeat(22)) },
    "Bad Request: BUTTON_DATA_INVALID",
  );
});

test("editing to identical text and markup is 'message is not modified'", async () => {
  const sent = await w.api<TgMessage>("sendMessage", {
    chat_id: w.dm.id,
    text: "<b>v1</b>",
    parse_mode: "HTML",
    reply_markup: keyboard("a"),
  });
  const id = sent.result.message_id;
  await expect400(
    "editMessageText",
    { chat_id: w.dm.id, message_id: id, text: "<b>v1</b>", parse_mode: "HTML", reply_markup: keyboard("a") },
    NOT_MODIFIED,
  );
  await expect400(
    "editMessageReplyMarkup",
    { chat_id: w.dm.id, message_id: id, reply_markup: keyboard("a") },
    NOT_MODIFIED,
  );
  // Same characters, different formatting is a change; so is dropping the keyboard.
  const edited = await w.api<TgMessage>("editMessageText", {
    chat_id: w.dm.id,
    message_id: id,
    text: "<i>v1</i>",
    parse_mode: "HTML",
    reply_markup: keyboard("a"),
  });
  expect(edited.result).toMatchObject({ text: "v1", entities: [{ type: "italic", offset: 0, length: 2 }] });
  expect(
    (await w.api("editMessageText", { chat_id: w.dm.id, message_id: id, text: "<i>v1</i>", parse_mode: "HTML" })).ok,
  ).toBe(true);
  const [entry] = w.emu.history(w.dm.id);
  expect(entry).toMatchObject({ text: "v1", html: "<i>v1</i>", edits: 2 });
  expect(entry?.reply_markup).toBeUndefined();
  expect(entry?.edit_date).toBeNumber();
});

test("editing or deleting a missing message, or replying to one, is rejected", async () => {
  await expect400(
    "editMessageText",
    { chat_id: w.dm.id, message_id: 42, text: "x" },
    "Bad Request: message to edit not found",
  );
  await expect400(
    "editMessageReplyMarkup",
    { chat_id: w.dm.id, message_id: 42 },
    "Bad Request: message to edit not found",
  );
  await expect400("deleteMessage", { chat_id: w.dm.id, message_id: 42 }, "Bad Request: message to delete not found");
  await expect400(
    "sendMessage",
    { chat_id: w.dm.id, text: "x", reply_to_message_id: 42 },
    "Bad Request: message to be replied not found",
  );
  await expect400(
    "sendMessage",
    { chat_id: w.dm.id, text: "x", reply_parameters: { message_id: 42 } },
    "Bad Request: message to be replied not found",
  );
  expect(
    (
      await w.api("sendMessage", {
        chat_id: w.dm.id,
        text: "x",
        reply_parameters: { message_id: 42, allow_sending_without_reply: true },
      })
    ).ok,
  ).toBe(true);
  const sent = await w.api<TgMessage>("sendMessage", { chat_id: w.dm.id, text: "bye" });
  expect((await w.api("deleteMessage", { chat_id: w.dm.id, message_id: sent.result.message_id })).result).toBe(true);
  await expect400(
    "deleteMessage",
    { chat_id: w.dm.id, message_id: sent.result.message_id },
    "Bad Request: message to delete not found",
  );
  await expect400(
    "editMessageText",
    { chat_id: w.dm.id, message_id: sent.result.message_id, text: "again" },
    "Bad Request: message to edit not found",
  );
  expect(w.emu.history(w.dm.id).at(-1)).toMatchObject({ text: "bye", deleted: true });
  expect(w.emu.botMessages(w.dm.id).map((m) => m.text)).toEqual(["x"]);
});

test("unknown chats and users' messages are protected", async () => {
  await expect400("sendMessage", { chat_id: 987654321, text: "x" }, "Bad Request: chat not found");
  await expect400("sendMessage", { chat_id: "@nobody", text: "x" }, "Bad Request: chat not found");
  const m = w.emu.sendUserMessage({ chatId: w.dm.id, from: w.alice.id, text: "mine" });
  await expect400(
    "editMessageText",
    { chat_id: w.dm.id, message_id: m.message_id, text: "hacked" },
    "Bad Request: message can't be edited",
  );
  const group = w.emu.addChat({ type: "group", members: [{ userId: w.alice.id, status: "member" }] });
  const g = w.emu.sendUserMessage({ chatId: group.id, from: w.alice.id, text: "hi" });
  await expect400(
    "deleteMessage",
    { chat_id: group.id, message_id: g.message_id },
    "Bad Request: message can't be deleted",
  );
  w.emu.setMember(group.id, w.emu.bot.id, "kicked");
  const r = await w.api("sendMessage", { chat_id: group.id, text: "x" });
  expect(r).toMatchObject({ status: 403, description: "Forbidden: bot was kicked from the group chat" });
});

test("answerCallbackQuery accepts one answer per query", async () => {
  const sent = await w.api<TgMessage>("sendMessage", { chat_id: w.dm.id, text: "pick", reply_markup: keyboard("go") });
  const q = w.emu.pressButton({ chatId: w.dm.id, messageId: sent.result.message_id, from: w.alice.id, text: "Go" });
  expect(
    (await w.api("answerCallbackQuery", { callback_query_id: q.id, text: "Started", show_alert: true })).result,
  ).toBe(true);
  expect(w.emu.callbackAnswer(q.id)).toMatchObject({ text: "Started", showAlert: true });
  await expect400(
    "answerCallbackQuery",
    { callback_query_id: q.id },
    "Bad Request: query is too old and response timeout expired or query ID is invalid",
  );
  await expect400(
    "answerCallbackQuery",
    { callback_query_id: "nope" },
    "Bad Request: query is too old and response timeout expired or query ID is invalid",
  );
});
