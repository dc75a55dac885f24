import { describe, expect, test } from "bun:test";
import { diffPreview, lineDiff } from "../../src/telegram/diff-preview.ts";

const text = (html: string | undefined) =>
  (html ?? "")
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

describe("lineDiff", () => {
  test("keeps common lines and marks the changed ones", () => {
    expect(lineDiff("a\nb\nc\n", "a\nB\nc\n")).toEqual([
      { kind: " ", text: "a" },
      { kind: "-", text: "b" },
      { kind: "+", text: "B" },
      { kind: " ", text: "c" },
    ]);
  });
});

describe("diffPreview", () => {
  test("Edit: the changed line with one line of context, counts in the head", () => {
    const html = diffPreview("Edit", {
      file_path: "src/app.ts",
      old_string: "one\ntwo\nthree\nfour\nfive\nsix",
      new_string: "one\ntwo\nthree\nFOUR\nfive\nsix",
    });
    expect(text(html)).toBe("src/app.ts (+1 −1)\n three\n-four\n+FOUR\n five");
    expect(html).toContain('class="language-diff"');
  });

  test("Write of a new file: every line added, capped with +N more", () => {
    const content = Array.from({ length: 40 }, (_, i) => `line ${i}`).join("\n");
    const t = text(diffPreview("Write", { file_path: "notes.md", content }));
    expect(t).toStartWith("notes.md (+40 −0)\n+line 0\n");
    expect(t).toContain("+line 11");
    expect(t).not.toContain("+line 12");
    expect(t).toEndWith("+28 more changed lines");
  });

  test("MultiEdit: the hunks of every edit, separated", () => {
    const t = text(
      diffPreview("MultiEdit", {
        file_path: "a.ts",
        edits: [
          { old_string: "x = 1", new_string: "x = 2" },
          { old_string: "y = 1", new_string: "y = 3" },
        ],
      }),
    );
    expect(t).toBe("a.ts (+2 −2)\n-x = 1\n+x = 2\n…\n-y = 1\n+y = 3");
  });

  test("escapes HTML in code and paths; other tools and odd inputs get no diff", () => {
    const html = diffPreview("Write", { file_path: "<b>.html", content: "<script>alert(1)</script>" }) ?? "";
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;");
    expect(diffPreview("Bash", { command: "ls" })).toBeUndefined();
    expect(diffPreview("Edit", { file_path: "a" })).toBeUndefined();
    expect(diffPreview("MultiEdit", { edits: [null, 3] })).toBeUndefined();
  });

  test("long lines are cut", () => {
    const t = text(diffPreview("Write", { file_path: "a", content: "x".repeat(500) }));
    expect(t).toContain(`+${"x".repeat(100)}…`);
  });
});
