// The real client: a gramio Bot pointed at the emulator receives a user's message, replies with a
// keyboard, and handles the button press — all visible in the chat history.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { Bot, InlineKeyboard, MediaUpload } from "gramio";
import { type Emulator, startEmulator } from "../../src/emulator/index.ts";

let emu: Emulator;
let bot: Bot | undefined;
beforeEach(async () => {
  emu = await startEmulator({ botUsername: "gramio_test_bot" });
});
afterEach(async () => {
  await bot?.stop();
  await emu.stop();
  bot = undefined;
});

test("a gramio Bot receives a posted message and its reply shows up in the history", async () => {
  bot = new Bot(emu.token, { api: { baseURL: `${emu.apiBaseUrl}/bot` } })
    .on("message", (ctx) => ctx.send(`echo: <b>${ctx.text ?? ""}</b>`, { parse_mode: "HTML", reply_markup: new InlineKeyboard().text("Again", "again") }))
    .callbackQuery("again", async (ctx) => {
      await ctx.answer({ text: "once more" });
      await ctx.editText("edited by button");
    });
  const info = await bot.start();
  expect(info.username).toBe("gramio_test_bot");

  const alice = emu.addUser({ firstName: "Alice" });
  const dm = emu.privateChat(alice.id);
  emu.sendUserMessage({ chatId: dm.id, from: alice.id, text: "hello" });
  const reply = await emu.waitForBotMessage(dm.id);
  expect(reply).toMatchObject({ text: "echo: hello", html: "echo: <b>hello</b>", reply_markup: { inline_keyboard: [[{ text: "Again", callback_data: "again" }]] } });

  const q = emu.pressButton({ chatId: dm.id, messageId: reply.message_id, from: alice.id, text: "Again" });
  expect(await emu.waitForCallbackAnswer(q.id)).toMatchObject({ text: "once more", showAlert: false });
  await emu.waitFor(() => emu.history(dm.id).find((m) => m.text === "edited by button"), 5000, "the edit");
  expect(emu.history(dm.id).map((m) => [m.by, m.text, m.edits])).toEqual([
    ["user", "hello", 0],
    ["bot", "edited by button", 1],
  ]);
  expect(emu.calls({ method: "getMe" })).toHaveLength(1);
  expect(emu.calls({ method: "getUpdates", ok: false })).toEqual([]);
});

test("gramio uploads a document as multipart and downloads it back", async () => {
  bot = new Bot(emu.token, { api: { baseURL: `${emu.apiBaseUrl}/bot` } });
  const alice = emu.addUser();
  const dm = emu.privateChat(alice.id);
  const sent = await bot.api.sendDocument({ chat_id: dm.id, document: await MediaUpload.text("file body", "out.txt"), caption: "here" });
  expect(sent.document?.file_name).toBe("out.txt");
  const buffer = await bot.downloadFile(sent.document?.file_id ?? "");
  expect(new TextDecoder().decode(buffer as ArrayBuffer)).toBe("file body");
  expect(emu.botMessages(dm.id)[0]).toMatchObject({ text: "here", document: { file_name: "out.txt", mime_type: "text/plain" } });
});
