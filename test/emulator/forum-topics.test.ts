import { afterEach, beforeEach, expect, test } from "bun:test";
import { type World, world } from "./helpers.ts";

let w: World;
beforeEach(async () => {
  w = await world({ token: "123456:TEST-token", botUsername: "test_bot" });
});
afterEach(() => w.emu.stop());

function forum(botStatus: "administrator" | "member") {
  return w.emu.addChat({
    type: "supergroup",
    title: "Team",
    isForum: true,
    members: [
      { userId: w.alice.id, status: "creator" },
      { userId: 123456, status: botStatus },
    ],
  }).id;
}

test("createForumTopic opens a topic the bot can post in; editForumTopic renames it", async () => {
  const chatId = forum("administrator");
  const r = await w.api<{ message_thread_id: number; name: string }>("createForumTopic", {
    chat_id: chatId,
    name: "web @feature-x",
  });
  expect(r.ok).toBe(true);
  const thread = r.result?.message_thread_id ?? 0;
  expect(w.emu.topicName(chatId, thread)).toBe("web @feature-x");
  const sent = await w.api("sendMessage", { chat_id: chatId, message_thread_id: thread, text: "hi" });
  expect(sent.ok).toBe(true);
  expect((await w.api("editForumTopic", { chat_id: chatId, message_thread_id: thread, name: "web" })).ok).toBe(true);
  expect(w.emu.topicName(chatId, thread)).toBe("web");
});

test("topics need a forum and a bot that may manage them; names are 1–128 characters", async () => {
  const plain = forum("member");
  expect((await w.api("createForumTopic", { chat_id: plain, name: "x" })).description).toContain("not enough rights");
  const chatId = forum("administrator");
  expect((await w.api("createForumTopic", { chat_id: chatId, name: "" })).description).toContain("TOPIC_NAME_INVALID");
  expect((await w.api("createForumTopic", { chat_id: w.dm.id, name: "x" })).description).toContain("not a forum");
  expect((await w.api("editForumTopic", { chat_id: chatId, message_thread_id: 999, name: "x" })).description).toContain(
    "thread not found",
  );
});
