import { describe, expect, test } from "bun:test";
import { withoutMention } from "../../src/core/dispatch.ts";

describe("a mention of the bot", () => {
  test("is dropped before directives, so it is never taken for an @branch", () => {
    expect(withoutMention("@Untether_Bot fix it", "untether_bot")).toBe("fix it");
    expect(withoutMention("@feature-x fix it", "untether_bot")).toBe("@feature-x fix it");
    expect(withoutMention("@untether_bot", "untether_bot")).toBe("");
    expect(withoutMention("hi @untether_bot", "untether_bot")).toBe("hi @untether_bot");
  });
});
