import { afterEach, beforeEach, expect, test } from "bun:test";
import { type Emulator, startEmulator } from "../../src/emulator/index.ts";

let emu: Emulator;
beforeEach(async () => {
  emu = await startEmulator({ privacyMode: true, botUsername: "quiet_bot" });
});
afterEach(() => emu.stop());

test("group privacy mode: the bot sees commands, mentions and replies to itself, unless it is an admin", () => {
  const alice = emu.addUser();
  const group = emu.addChat({ type: "group", members: [{ userId: alice.id, status: "member" }] });
  const say = (text: string, replyTo?: number) =>
    emu.sendUserMessage({ chatId: group.id, from: alice.id, text, replyTo });
  say("just chatting");
  say("/status");
  say("hey @quiet_bot");
  expect(emu.pendingUpdates().map((u) => u.message?.text)).toEqual(["/status", "hey @quiet_bot"]);
  expect(emu.history(group.id)).toHaveLength(3);
  emu.setMember(group.id, emu.bot.id, "administrator");
  say("now seen");
  expect(emu.pendingUpdates().at(-1)?.message?.text).toBe("now seen");
  expect(emu.bot.can_read_all_group_messages).toBe(false);
});

test("forum topics: thread ids, per-topic history and the creation-message reply quirk", () => {
  const alice = emu.addUser();
  const forum = emu.addChat({
    type: "supergroup",
    isForum: true,
    botStatus: "administrator",
    members: [{ userId: alice.id, status: "creator" }],
  });
  const a = emu.addTopic(forum.id, "a");
  const b = emu.addTopic(forum.id, "b");
  const inA = emu.sendUserMessage({ chatId: forum.id, from: alice.id, text: "in a", threadId: a });
  emu.sendUserMessage({ chatId: forum.id, from: alice.id, text: "in b", threadId: b });
  const replyInA = emu.sendUserMessage({
    chatId: forum.id,
    from: alice.id,
    text: "reply",
    threadId: a,
    replyTo: inA.message_id,
  });
  expect(inA.reply_to_message?.message_id).toBe(a);
  expect(replyInA.reply_to_message?.message_id).toBe(inA.message_id);
  expect(emu.history(forum.id, a).map((m) => m.text)).toEqual([undefined, "in a", "reply"]);
  // The creation message is not a "reply" in the history view; the real reply is.
  expect(emu.history(forum.id, a).map((m) => m.reply_to_message_id)).toEqual([undefined, undefined, inA.message_id]);
  expect(emu.pendingUpdates().filter((u) => u.message?.forum_topic_created)).toHaveLength(2);
  expect(() => emu.sendUserMessage({ chatId: forum.id, from: alice.id, text: "x", threadId: 999 })).toThrow(
    /no topic 999/,
  );
});

test("users act only where they belong, and buttons must exist", () => {
  const alice = emu.addUser();
  const mallory = emu.addUser();
  const dm = emu.privateChat(alice.id);
  expect(emu.privateChat(alice.id).id).toBe(dm.id);
  expect(() => emu.sendUserMessage({ chatId: dm.id, from: mallory.id, text: "x" })).toThrow(
    /not the user of private chat/,
  );
  const group = emu.addChat({ type: "group", members: [{ userId: alice.id, status: "member" }] });
  expect(() => emu.sendUserMessage({ chatId: group.id, from: mallory.id, text: "/x" })).toThrow(/not a member/);
  const m = emu.sendUserMessage({ chatId: dm.id, from: alice.id, text: "  padded  " });
  expect(m.text).toBe("padded");
  expect(() => emu.pressButton({ chatId: dm.id, messageId: m.message_id, from: alice.id, data: "x" })).toThrow(
    /no callback button/,
  );
  expect(() => emu.addUser({ id: alice.id })).toThrow(/already exists/);
  expect(() => emu.addTopic(group.id, "t")).toThrow(/not a forum/);
});

test("waitFor rejects with a clear message when the condition never holds", async () => {
  await expect(emu.waitFor(() => false, 20, "the impossible")).rejects.toThrow(
    "timed out after 20 ms waiting for the impossible",
  );
});
