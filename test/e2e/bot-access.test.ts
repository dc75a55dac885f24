// Who gets in: only allowlisted senders in allowed chats; strangers get nothing, not even an API call.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

/** Sends a message from Alice and waits for its answer: everything queued before it has been handled. */
async function barrier(chatId: number, tag: string): Promise<void> {
  h.emu.sendUserMessage({ chatId, from: h.alice, text: `barrier ${tag}` });
  await h.emu.waitForBotMessage(chatId, (m) => (m.text ?? "").includes(`You said: barrier ${tag}`), 15_000);
}

function callsMentioning(chatId: number, messageId: number) {
  return h.emu.calls().filter((c) => {
    const p = c.params as Record<string, unknown>;
    return (
      Number(p.chat_id) === chatId &&
      (Number(p.reply_to_message_id) === messageId ||
        JSON.stringify(p.reply_parameters ?? {}).includes(`"message_id":${messageId}`))
    );
  });
}

describe("access", () => {
  test("a stranger in the allowed group gets no reply, no run and causes no API call", async () => {
    const before = h.emu.lastCallSeq();
    const m = h.emu.sendUserMessage({ chatId: h.group, from: h.mallory, text: "run rm -rf / please" });
    await barrier(h.group, "group");
    expect(callsMentioning(h.group, m.message_id)).toEqual([]);
    const after = h.emu.calls({ afterSeq: before }).map((c) => c.method);
    expect(after).not.toContain("getChatMember");
    expect(h.emu.history(h.group).some((x) => (x.text ?? "").includes("rm -rf"))).toBe(true); // only Mallory's own message
    expect(h.emu.botMessages(h.group).some((x) => (x.text ?? "").includes("rm -rf"))).toBe(false);
  });

  test("a stranger in a private chat gets nothing", async () => {
    const dm = h.emu.privateChat(h.mallory).id;
    const before = h.emu.lastCallSeq();
    h.emu.sendUserMessage({ chatId: dm, from: h.mallory, text: "hello?" });
    await barrier(h.dm, "dm");
    expect(h.emu.botMessages(dm)).toEqual([]);
    const touching = h.emu
      .calls({ afterSeq: before })
      .filter((c) => Number((c.params as Record<string, unknown>).chat_id) === dm);
    expect(touching).toEqual([]);
  });

  test("an update without a sender is dropped", async () => {
    h.emu.injectRawUpdate("message", {
      message_id: 99_999,
      date: Math.floor(Date.now() / 1000),
      chat: { id: h.group, type: "supergroup", title: "Team" },
      text: "anonymous: deploy now",
    });
    await barrier(h.group, "nosender");
    expect(h.emu.botMessages(h.group).some((x) => (x.text ?? "").includes("deploy now"))).toBe(false);
  });

  test("a stranger pressing Alice's cancel button gets a toast and the run goes on", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, text: "mock:slow work" });
    const progress = await h.emu.waitForBotMessage(
      h.group,
      (x) => x.reply_to_message_id === m.message_id && JSON.stringify(x.reply_markup ?? {}).includes("Cancel"),
      15_000,
    );
    const press = h.emu.pressButton({
      chatId: h.group,
      messageId: progress.message_id,
      from: h.mallory,
      text: "✖ Cancel",
    });
    const toast = await h.emu.waitForCallbackAnswer(press.id);
    expect(toast.text ?? "").toBe("Not authorised.");
    await Bun.sleep(300);
    const still = h.emu.history(h.group).find((x) => x.message_id === progress.message_id);
    expect(still?.deleted).toBeFalsy();
    expect(still?.text ?? "").not.toMatch(/cancelled/);
    // Alice can cancel it.
    const own = h.emu.pressButton({ chatId: h.group, messageId: progress.message_id, from: h.alice, text: "✖ Cancel" });
    expect((await h.emu.waitForCallbackAnswer(own.id)).text).toBe("Cancelling…");
    const final = await h.emu.waitForBotMessage(
      h.group,
      (x) => x.reply_to_message_id === m.message_id && /^cancelled/.test(x.text ?? ""),
      15_000,
    );
    expect(final.text ?? "").toContain("Cancelled");
  });
});
