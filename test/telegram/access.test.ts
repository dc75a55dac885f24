import { describe, expect, test } from "bun:test";
import { type AccessPolicy, DropLogger, decideAccess } from "../../src/telegram/access.ts";
import { captureLogs } from "../config/helpers.ts";

const closed: AccessPolicy = {
  allowedUserIds: new Set([100, 200]),
  allowAnyUser: false,
  allowedChatIds: new Set([-500]),
};
const open: AccessPolicy = { allowedUserIds: new Set(), allowAnyUser: true, allowedChatIds: new Set([-500]) };

describe("access gate", () => {
  test("allowed user in the main group and in their own private chat", () => {
    expect(decideAccess(closed, { chatId: -500, chatType: "supergroup", userId: 100, isCallback: false })).toEqual({
      allowed: true,
    });
    expect(decideAccess(closed, { chatId: 200, chatType: "private", userId: 200, isCallback: false })).toEqual({
      allowed: true,
    });
  });

  test("strangers are dropped silently; their button presses get a toast", () => {
    expect(
      decideAccess(closed, { chatId: -500, chatType: "supergroup", userId: 999, isCallback: false }),
    ).toMatchObject({ allowed: false, reason: "sender_not_allowed", toast: false });
    expect(decideAccess(closed, { chatId: -500, chatType: "supergroup", userId: 999, isCallback: true })).toMatchObject(
      { allowed: false, toast: true },
    );
    expect(decideAccess(closed, { chatId: 999, chatType: "private", userId: 999, isCallback: false })).toMatchObject({
      allowed: false,
      reason: "chat_not_allowed",
    });
  });

  test("an allowed user in a chat that is not configured is dropped", () => {
    expect(decideAccess(closed, { chatId: -777, chatType: "group", userId: 100, isCallback: false })).toMatchObject({
      allowed: false,
      reason: "chat_not_allowed",
    });
  });

  test("updates without a sender are dropped when an allowlist is set, allowed for an open bot", () => {
    expect(decideAccess(closed, { chatId: -500, chatType: "supergroup", isCallback: false })).toMatchObject({
      allowed: false,
      reason: "no_sender",
    });
    expect(decideAccess(open, { chatId: -500, chatType: "supergroup", isCallback: false })).toEqual({ allowed: true });
  });

  test("an open bot accepts any private chat", () => {
    expect(decideAccess(open, { chatId: 4242, chatType: "private", userId: 4242, isCallback: false })).toEqual({
      allowed: true,
    });
  });
});

describe("dropped updates are logged for the owner", () => {
  const stranger = { chatId: 999, chatType: "private", userId: 999, isCallback: false } as const;
  const otherGroup = { chatId: -777, chatType: "group", userId: 100, isCallback: false } as const;

  test("at info, with the chat id, the user id and the key to change", () => {
    const logs = captureLogs();
    const drops = new DropLogger(20, () => 0);
    drops.log("sender_not_allowed", stranger);
    drops.log("chat_not_allowed", otherGroup);
    const lines = logs.filter((l) => l.msg === "access.update_dropped");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: "info", chat_id: 999, user_id: 999, reason: "sender_not_allowed" });
    expect(lines[0]?.fix).toContain("add 999 to transports.telegram.allowed_user_ids");
    expect(lines[1]).toMatchObject({ level: "info", chat_id: -777, user_id: 100 });
    expect(lines[1]?.fix).toContain("transports.telegram.chat_id");
    expect(lines[1]?.fix).toContain("-777");
  });

  test("rate-limited: one line a minute per chat and user, a cap in all, the rest counted", () => {
    const logs = captureLogs();
    let now = 0;
    const drops = new DropLogger(3, () => now);
    for (let i = 0; i < 50; i++) drops.log("sender_not_allowed", stranger);
    for (let u = 1; u <= 10; u++) drops.log("sender_not_allowed", { ...stranger, chatId: u, userId: u });
    expect(logs.filter((l) => l.msg === "access.update_dropped")).toHaveLength(3);
    now = 60_000;
    drops.log("sender_not_allowed", stranger);
    expect(logs.filter((l) => l.msg === "access.update_dropped")).toHaveLength(4);
    expect(logs.find((l) => l.msg === "access.dropped_suppressed")).toMatchObject({ level: "info", suppressed: 57 });
  });
});
