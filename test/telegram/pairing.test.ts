import { describe, expect, test } from "bun:test";
import type { PairRedeem } from "../../src/state/pair-codes.ts";
import type { IncomingMessage } from "../../src/telegram/incoming.ts";
import { PairingGate, pairAttemptCode } from "../../src/telegram/pairing.ts";
import { captureLogs } from "../config/helpers.ts";

const STRANGER = 555;
const msg = (text: string, over: Partial<IncomingMessage> = {}): IncomingMessage => ({
  kind: "message",
  updateId: 1,
  chatId: STRANGER,
  chatType: "private",
  messageId: 10,
  userId: STRANGER,
  text,
  ...over,
});

describe("the gate's exception: exactly /pair <6 digits> in a private chat with the sender", () => {
  test("accepted", () => {
    expect(pairAttemptCode(msg("/pair 123456"))).toBe("123456");
    expect(pairAttemptCode(msg("/pair 000042"))).toBe("000042");
  });

  test("anything else is not a pairing attempt", () => {
    for (const text of [
      "/pair",
      "/pair 12345",
      "/pair 1234567",
      "/pair  123456",
      " /pair 123456",
      "/pair 123456 ",
      "/pair 123456\nrun rm -rf /",
      "/pair@untether_test_bot 123456",
      "/PAIR 123456",
      "/pair １２３４５６",
      "/pair abcdef",
      "/pairing 123456",
      "hello /pair 123456",
    ]) {
      expect(pairAttemptCode(msg(text))).toBeUndefined();
    }
  });

  test("not in a group, not in someone else's private chat, not in a topic, not with a file", () => {
    expect(pairAttemptCode(msg("/pair 123456", { chatId: -100, chatType: "supergroup" }))).toBeUndefined();
    expect(pairAttemptCode(msg("/pair 123456", { chatId: 777 }))).toBeUndefined();
    expect(pairAttemptCode(msg("/pair 123456", { threadId: 5 }))).toBeUndefined();
    expect(pairAttemptCode(msg("/pair 123456", { userId: undefined }))).toBeUndefined();
    expect(
      pairAttemptCode(
        msg("/pair 123456", { document: { file_id: "f", file_unique_id: "u" } as IncomingMessage["document"] }),
      ),
    ).toBeUndefined();
  });
});

function gate(right: string, now: () => number) {
  const replies: string[] = [];
  const owner: string[] = [];
  const added: number[] = [];
  let used = false;
  const g = new PairingGate({
    redeem: (code): PairRedeem => {
      if (code !== right) return "wrong";
      if (used) return "none";
      used = true;
      return "ok";
    },
    allow: (userId) => {
      added.push(userId);
      return true;
    },
    reply: async (_chatId, html) => {
      replies.push(html);
    },
    tellOwner: async (html) => {
      owner.push(html);
    },
    now,
  });
  return { g, replies, owner, added };
}

describe("PairingGate", () => {
  test("the right code adds the user and tells the owner who; logs never carry the code", async () => {
    const logs = captureLogs();
    const { g, replies, owner, added } = gate("424242", () => 0);
    await g.handle(msg("/pair 424242"), "424242", { firstName: "Nina", username: "nina" });
    expect(added).toEqual([STRANGER]);
    expect(replies[0]).toContain("Paired");
    expect(owner[0]).toContain("Nina @nina");
    expect(owner[0]).toContain(`<code>${STRANGER}</code>`);
    expect(logs.find((l) => l.msg === "pair.added")).toMatchObject({ user_id: STRANGER });
    expect(JSON.stringify(logs)).not.toContain("424242");
  });

  test("wrong codes are refused and logged without the code; the 6th attempt in a minute is refused unchecked", async () => {
    const logs = captureLogs();
    let now = 0;
    const { g, replies, added } = gate("424242", () => now);
    for (let i = 0; i < 5; i++) {
      now = i * 1000;
      await g.handle(msg(`/pair 00000${i}`), `00000${i}`);
    }
    expect(replies.every((r) => r.includes("not valid"))).toBe(true);
    now = 10_000;
    await g.handle(msg("/pair 424242"), "424242"); // even the right code: refused, not checked
    expect(added).toEqual([]);
    expect(replies[5]).toContain("Too many pairing attempts");
    // A flood past that is dropped silently: no reply, no log line per message.
    for (let i = 0; i < 20; i++) await g.handle(msg("/pair 111111"), "111111");
    expect(replies).toHaveLength(6);
    const refused = logs.filter((l) => l.msg === "pair.refused");
    expect(refused.map((l) => l.reason)).toEqual(["wrong", "wrong", "wrong", "wrong", "wrong", "rate_limited"]);
    expect(JSON.stringify(logs)).not.toMatch(/00000\d|424242/);
    // A minute after the first wrong attempts, the right code works.
    now = 70_000;
    await g.handle(msg("/pair 424242"), "424242");
    expect(added).toEqual([STRANGER]);
  });

  test("expired and reused codes are refused", async () => {
    const replies: string[] = [];
    const g = new PairingGate({
      redeem: () => "expired",
      allow: () => true,
      reply: async (_c, h) => {
        replies.push(h);
      },
      tellOwner: async () => {},
      now: () => 0,
    });
    await g.handle(msg("/pair 424242"), "424242");
    expect(replies[0]).toContain("expired");
    const reused = gate("424242", () => 0);
    await reused.g.handle(msg("/pair 424242"), "424242");
    await reused.g.handle(msg("/pair 424242", { userId: 556, chatId: 556 }), "424242");
    expect(reused.added).toEqual([STRANGER]);
    expect(reused.replies[1]).toContain("not valid");
  });
});
