import { describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { type PreambleConfig, PreambleSchema } from "../../src/config/schema.ts";
import { BUILTIN_PREAMBLE, composePrompt, preambleFor } from "../../src/core/preamble.ts";

const defaults = (): PreambleConfig => Value.Default(PreambleSchema, {}) as PreambleConfig;

describe("preamble", () => {
  test("the prompt follows the preamble after a --- separator", () => {
    expect(composePrompt("P", "fix the tests")).toBe("P\n\n---\n\nfix the tests");
    expect(composePrompt(undefined, "fix the tests")).toBe("fix the tests");
  });

  test("a webhook prompt keeps its payload marker at the start of the user part", () => {
    const prompt = "#-- EXTERNAL WEBHOOK PAYLOAD --#\n{}";
    expect(composePrompt("P", prompt).split("\n\n---\n\n")[1]).toStartWith("#-- EXTERNAL WEBHOOK PAYLOAD --#");
  });

  test("defaults: enabled, built-in text, for every engine but mock", () => {
    const c = defaults();
    expect(c.enabled).toBe(true);
    expect(preambleFor(c, "codex")).toBe(BUILTIN_PREAMBLE);
    expect(preambleFor(c, "claude")).toBe(BUILTIN_PREAMBLE);
    expect(preambleFor(c, "mock")).toBeUndefined();
    expect(BUILTIN_PREAMBLE).toContain("Telegram");
    expect(BUILTIN_PREAMBLE).toContain(".untether-outbox/");
  });

  test("enabled = false sends none; a custom text replaces the built-in one; a blank one means none", () => {
    expect(preambleFor({ ...defaults(), enabled: false }, "codex")).toBeUndefined();
    expect(preambleFor({ ...defaults(), text: "  Answer in French.\n" }, "codex")).toBe("Answer in French.");
    expect(preambleFor({ ...defaults(), text: "   " }, "codex")).toBeUndefined();
  });
});
