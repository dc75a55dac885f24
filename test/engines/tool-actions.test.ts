import { describe, expect, test } from "bun:test";
import { unwrapErrorText } from "../../src/engines/json.ts";
import { RunTracker } from "../../src/engines/run-tracker.ts";
import { toolAction } from "../../src/engines/tool-actions.ts";

describe("tool → action mapping", () => {
  const cwd = "/work/proj";
  test.each([
    ["Bash", { command: "ls -la\nmore" }, "command", "ls -la"],
    ["run_shell_command", { command: "echo hi" }, "command", "echo hi"],
    ["Edit", { file_path: "/work/proj/src/a.ts" }, "file_change", "src/a.ts"],
    ["write_file", { file_path: "/etc/hosts" }, "file_change", "/etc/hosts"],
    ["Read", { file_path: "/work/proj/README.md" }, "tool", "read: `README.md`"],
    ["Glob", { pattern: "**/*.ts" }, "tool", "glob: `**/*.ts`"],
    ["Grep", { pattern: "TODO" }, "tool", "grep: TODO"],
    ["WebSearch", { query: "bun spawn" }, "web_search", "bun spawn"],
    ["WebFetch", { url: "https://example.com" }, "web_search", "https://example.com"],
    ["Task", { description: "explore the repo" }, "subagent", "explore the repo"],
    ["TodoWrite", {}, "note", "update todos"],
    ["AskUserQuestion", {}, "note", "ask user"],
    ["mcp__github__list", {}, "tool", "mcp__github__list"],
  ])("%s", (name, input, kind, title) => {
    const a = toolAction("id1", name, input, cwd);
    expect(a.kind).toBe(kind as typeof a.kind);
    expect(a.title).toBe(title);
  });

  test("file changes carry the changed path", () => {
    expect(toolAction("i", "Write", { file_path: "/work/proj/n.txt", content: "x" }, "/work/proj").detail).toEqual({
      tool: "Write",
      changes: [{ path: "n.txt", kind: "update" }],
    });
  });
});

describe("helpers", () => {
  test("provider error envelopes are unwrapped", () => {
    expect(unwrapErrorText('{"error":{"message":"bad"}}')).toBe("bad");
    expect(unwrapErrorText('[API Error: {"error":{"code":400,"message":"bad"}}]')).toBe("400 bad");
    expect(unwrapErrorText("plain text")).toBe("plain text");
  });

  test("RunTracker: one started, one completed, nothing after", () => {
    const run = new RunTracker("x");
    expect(run.action({ id: "a", kind: "tool", title: "t", detail: {} }, "started")).toEqual([]);
    expect(run.start("s1")).toHaveLength(1);
    expect(run.start("s2")).toEqual([]);
    expect(run.complete({ ok: true, answer: "" })).toHaveLength(1);
    expect(run.complete({ ok: true, answer: "" })).toEqual([]);
    expect(run.action({ id: "a", kind: "tool", title: "t", detail: {} }, "started")).toEqual([]);
  });
});
