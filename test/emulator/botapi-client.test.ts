// The real client (src/botapi) against the emulator: it receives a user's message by long polling,
// replies with a keyboard, handles the button press, uploads a document as multipart and downloads
// it back — all visible in the chat history. The emulator checks every method's parameters.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { type BotApi, createBotApi } from "../../src/botapi/client.ts";
import { type Emulator, startEmulator } from "../../src/emulator/index.ts";

let emu: Emulator;
let api: BotApi;
beforeEach(async () => {
  emu = await startEmulator({ botUsername: "client_test_bot" });
  api = createBotApi({ token: emu.token, baseUrl: emu.apiBaseUrl });
});
afterEach(async () => {
  await emu.stop();
});

test("the client receives a posted message, replies with a keyboard and handles the button", async () => {
  const me = await api.call("getMe");
  expect(me.username).toBe("client_test_bot");

  const alice = emu.addUser({ firstName: "Alice" });
  const dm = emu.privateChat(alice.id);
  emu.sendUserMessage({ chatId: dm.id, from: alice.id, text: "hello" });
  const [update] = await api.call("getUpdates", { timeout: 5, allowed_updates: ["message", "callback_query"] });
  expect(update?.message?.text).toBe("hello");

  const sent = await api.call("sendMessage", {
    chat_id: dm.id,
    text: `echo: <b>${update?.message?.text ?? ""}</b>`,
    parse_mode: "HTML",
    reply_markup: { inline_keyboard: [[{ text: "Again", callback_data: "again" }]] },
  });
  expect(sent.chat.id).toBe(dm.id);
  const reply = await emu.waitForBotMessage(dm.id);
  expect(reply).toMatchObject({
    text: "echo: hello",
    html: "echo: <b>hello</b>",
    reply_markup: { inline_keyboard: [[{ text: "Again", callback_data: "again" }]] },
  });

  const q = emu.pressButton({ chatId: dm.id, messageId: reply.message_id, from: alice.id, text: "Again" });
  const [press] = await api.call("getUpdates", { offset: (update?.update_id ?? 0) + 1, timeout: 5 });
  expect(press?.callback_query?.data).toBe("again");
  expect(
    await api.call("answerCallbackQuery", { callback_query_id: press?.callback_query?.id ?? "", text: "once more" }),
  ).toBe(true);
  expect(await emu.waitForCallbackAnswer(q.id)).toMatchObject({ text: "once more", showAlert: false });
  await api.call("editMessageText", { chat_id: dm.id, message_id: sent.message_id, text: "edited by button" });
  expect(emu.history(dm.id).map((m) => [m.by, m.text, m.edits])).toEqual([
    ["user", "hello", 0],
    ["bot", "edited by button", 1],
  ]);
  expect(emu.calls({ method: "getUpdates", ok: false })).toEqual([]);
});

test("the client uploads a document as multipart and downloads it back", async () => {
  const alice = emu.addUser();
  const dm = emu.privateChat(alice.id);
  const sent = await api.call("sendDocument", {
    chat_id: dm.id,
    document: new File(["file body"], "out.txt", { type: "text/plain" }),
    caption: "here",
  });
  expect(sent.document?.file_name).toBe("out.txt");
  const file = await api.call("getFile", { file_id: sent.document?.file_id ?? "" });
  const bytes = await api.download(file.file_path ?? "", 1024);
  expect(new TextDecoder().decode(bytes)).toBe("file body");
  expect(emu.botMessages(dm.id)[0]).toMatchObject({
    text: "here",
    document: { file_name: "out.txt", mime_type: "text/plain" },
  });
});
