import { describe, expect, test } from "bun:test";
import { bindingLabel, ContextBindings, parseBindingArgs } from "../../src/core/bindings.ts";
import { StateDb } from "../../src/state/db.ts";

describe("parseBindingArgs", () => {
  const projects = ["web", "api"];
  test("project and optional @branch, in any order, a leading slash allowed", () => {
    expect(parseBindingArgs("web @feature-x", projects)).toEqual({
      ok: true,
      binding: { project: "web", branch: "feature-x" },
    });
    expect(parseBindingArgs("@fix /API", projects)).toEqual({ ok: true, binding: { project: "api", branch: "fix" } });
    expect(parseBindingArgs("@fix", projects, "web")).toEqual({ ok: true, binding: { project: "web", branch: "fix" } });
  });
  test("refusals say what is wrong", () => {
    expect(parseBindingArgs("", projects)).toEqual({ ok: false, message: "name a project" });
    expect(parseBindingArgs("nope", projects)).toEqual({
      ok: false,
      message: "unknown project 'nope' (projects: web, api)",
    });
    expect(parseBindingArgs("web @a @b", projects)).toEqual({ ok: false, message: "only one @branch" });
    expect(parseBindingArgs("web api", projects)).toEqual({ ok: false, message: "only one project" });
    expect(parseBindingArgs("web @-x", projects)).toEqual({ ok: false, message: "the branch name starts with '-'" });
  });
  test("labels", () => {
    expect(bindingLabel({ project: "web" })).toBe("web");
    expect(bindingLabel({ project: "web", branch: "x" })).toBe("web @x");
  });
});

describe("ContextBindings", () => {
  test("a topic's own binding wins, else its chat's; clear says whether there was one; survives reopening", () => {
    const db = StateDb.open(":memory:");
    const b = new ContextBindings(db);
    b.set({ chatId: -1 }, { project: "web" });
    expect(b.effective({ chatId: -1, threadId: 7 })).toEqual({ project: "web" });
    b.set({ chatId: -1, threadId: 7 }, { project: "api", branch: "fix" });
    expect(b.effective({ chatId: -1, threadId: 7 })).toEqual({ project: "api", branch: "fix" });
    expect(b.effective({ chatId: -1, threadId: 8 })).toEqual({ project: "web" });
    expect(b.clear({ chatId: -1, threadId: 7 })).toBe(true);
    expect(b.clear({ chatId: -1, threadId: 7 })).toBe(false);
    expect(b.own({ chatId: -1, threadId: 7 })).toBeUndefined();
    db.close();
  });
});
