import { describe, expect, test } from "bun:test";
import { DirectiveError, leadingCommand, parseDirectives } from "../../src/core/directives.ts";

const engines = new Set(["claude", "codex", "mock"]);
const projects = new Set(["backend"]);

describe("directives", () => {
  test("engine and project tokens on the first line are consumed", () => {
    expect(parseDirectives("/claude /backend fix the tests\nmore", engines, projects)).toEqual({
      engine: "claude",
      project: "backend",
      prompt: "fix the tests\nmore",
    });
  });

  test("the bot suffix and case are ignored", () => {
    expect(parseDirectives("/Codex@my_bot hi", engines, projects)).toMatchObject({ engine: "codex", prompt: "hi" });
  });

  test("an unknown slash word stops parsing and stays in the prompt", () => {
    expect(parseDirectives("/etc/passwd is odd", engines, projects)).toEqual({ prompt: "/etc/passwd is odd" });
    expect(parseDirectives("/claude /unknown x", engines, projects)).toEqual({
      engine: "claude",
      prompt: "/unknown x",
    });
  });

  test("two engines is an error", () => {
    expect(() => parseDirectives("/claude /codex x", engines, projects)).toThrow(DirectiveError);
  });

  test("@branch tokens mix with engine and project tokens", () => {
    expect(parseDirectives("/claude @feature-x fix it", engines, projects)).toEqual({
      engine: "claude",
      branch: "feature-x",
      prompt: "fix it",
    });
    expect(parseDirectives("@fix/ci /backend go\nmore", engines, projects)).toEqual({
      project: "backend",
      branch: "fix/ci",
      prompt: "go\nmore",
    });
    // A lone "@" or an @ after the prompt started is prompt text.
    expect(parseDirectives("@ hi", engines, projects)).toEqual({ prompt: "@ hi" });
    expect(parseDirectives("ping @alice", engines, projects)).toEqual({ prompt: "ping @alice" });
  });

  test("two @branch tokens is an error", () => {
    expect(() => parseDirectives("@a @b x", engines, projects)).toThrow("only one @branch per message");
  });

  test("leading commands", () => {
    expect(leadingCommand("/cancel@bot now")).toEqual({ name: "cancel", args: "now" });
    expect(leadingCommand("/cancelled")).toEqual({ name: "cancelled", args: "" });
    expect(leadingCommand("hello /cancel")).toBeUndefined();
  });
});
