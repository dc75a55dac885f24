import { describe, expect, test } from "bun:test";
import { type AccessPolicy, decideAccess } from "../../src/telegram/access.ts";

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
