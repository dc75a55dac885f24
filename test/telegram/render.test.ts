import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ProgressState } from "../../src/core/progress.ts";
import type { ActionEvent, ActionKind } from "../../src/engines/events.ts";
import { parseHtml, visibleText } from "../../src/telegram/html.ts";
import {
  formatElapsed,
  markdownToTelegramHtml,
  renderProgress,
  splitForTelegram,
  telegramTextLength,
} from "../../src/telegram/render.ts";

const ALLOWED = new Set(["b", "i", "s", "u", "code", "pre", "a", "blockquote"]);

/** Throws unless `html` is what Telegram's HTML parser accepts: known tags, balanced, nested, escaped. */
function assertWellFormed(html: string): void {
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)([^\s>/]*)([^>]*)>|([^<]+)|(<)/g)) {
    const [, slash, name, attrs, text, stray] = m;
    if (stray !== undefined) throw new Error(`stray < in ${html}`);
    if (text !== undefined) {
      if (/[>]/.test(text)) throw new Error(`raw > in ${html}`);
      const amps = text.match(/&[^;]*;?/g) ?? [];
      for (const a of amps) if (!/^&(lt|gt|amp|quot|#\d+|#x[0-9a-f]+);$/i.test(a)) throw new Error(`bad entity ${a}`);
      continue;
    }
    const tag = (name ?? "").toLowerCase();
    if (!ALLOWED.has(tag)) throw new Error(`unknown tag ${tag} in ${html}`);
    if (slash) {
      if (stack.pop() !== tag) throw new Error(`misnested </${tag}> in ${html}`);
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === "code" || (top === "pre" && tag !== "code")) throw new Error(`<${tag}> inside <${top}>`);
    if (tag === "a" && (stack.includes("a") || !/^ href="https?:\/\/[^"]*"$/.test(attrs ?? "")))
      throw new Error(`bad <a${attrs}>`);
    if (tag === "code" && top === "pre" && attrs !== "" && !/^ class="language-[A-Za-z0-9_+#.-]+"$/.test(attrs ?? "")) {
      throw new Error(`bad code class ${attrs}`);
    }
    if (tag === "blockquote" && stack.includes("blockquote")) throw new Error("nested blockquote");
    stack.push(tag);
  }
  if (stack.length > 0) throw new Error(`unclosed ${stack.join(",")} in ${html}`);
}

const squash = (s: string): string => s.replace(/\s+/g, "");
const MARKER = /^(?:HEADER · )?continued \(\d+\/\d+\)/;

describe("telegramTextLength", () => {
  test("counts visible UTF-16 units: tags removed, entities decoded", () => {
    expect(telegramTextLength("<b>a&amp;b</b> &lt;x&gt; &quot;")).toBe(9);
    expect(telegramTextLength('<a href="https://x.y/?a=1&amp;b=2">go</a>')).toBe(2);
    expect(telegramTextLength("😀")).toBe(2);
    expect(telegramTextLength("&#128512;&#x41;")).toBe(3);
  });
});

describe("markdownToTelegramHtml", () => {
  const cases: Array<[string, string]> = [
    ["**bold** and *it* and _it2_", "<b>bold</b> and <i>it</i> and <i>it2</i>"],
    ["`a < b` & c", "<code>a &lt; b</code> &amp; c"],
    ["~~gone~~", "<s>gone</s>"],
    ["# Title\ntext", "<b>Title</b>\ntext"],
    ["para one\n\n\n\npara two", "para one\n\npara two"],
    ["- a\n* b\n  + c\n1. one\n2) two", "- a\n- b\n  - c\n1. one\n2. two"],
    ["> quoted **x**\n> more", "<blockquote>quoted <b>x</b>\nmore</blockquote>"],
    ["```ts\nconst a = 1 < 2;\n```", '<pre><code class="language-ts">const a = 1 &lt; 2;</code></pre>'],
    ["```\nplain\n```", "<pre>plain</pre>"],
    ['[docs](https://example.com/a?b=1&c="2")', '<a href="https://example.com/a?b=1&amp;c=&quot;2&quot;">docs</a>'],
    ["[x](javascript:alert(1))", "[x](javascript:alert(1)"],
    ["[local](http://localhost:8080/)", "[local](http://localhost:8080/)"],
    ["snake_case_name stays", "snake_case_name stays"],
    ["**unclosed bold", "**unclosed bold"],
    ["a * b * c", "a * b * c"],
    ["<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"],
    ["\\*not italic\\*", "*not italic*"],
    ["---", "———"],
  ];
  for (const [md, html] of cases) {
    test(`${JSON.stringify(md)}`, () => {
      const out = markdownToTelegramHtml(md);
      if (md.startsWith("[x](javascript")) {
        // the first ")" ends the target: not http(s), so it all stays text
        expect(out).toBe("[x](javascript:alert(1))");
      } else {
        expect(out).toBe(html);
      }
      assertWellFormed(out);
    });
  }

  test("an unclosed fence runs to the end as code", () => {
    expect(markdownToTelegramHtml("intro\n```py\nx = 1\n\ny = 2")).toBe(
      'intro\n<pre><code class="language-py">x = 1\n\ny = 2</code></pre>',
    );
  });

  test("a hostile language name is dropped, not put in the class attribute", () => {
    expect(markdownToTelegramHtml('```"><b>\nx\n```')).toBe("<pre>x</pre>");
  });

  test("deeply nested emphasis is bounded and stays well-formed", () => {
    const md = `${"*_".repeat(200)}x${"_*".repeat(200)}`;
    assertWellFormed(markdownToTelegramHtml(md));
  });

  test("property: any input renders to well-formed HTML that keeps all letters and digits", () => {
    const piece = fc.constantFrom(
      "**",
      "*",
      "_",
      "__",
      "~~",
      "`",
      "```",
      "```js\n",
      "\n",
      "\n\n",
      "# ",
      "> ",
      "- ",
      "1. ",
      "[",
      "]",
      "(",
      ")",
      "https://a.io/x",
      "javascript:x",
      "<",
      ">",
      "&",
      '"',
      "\\",
      " ",
      "word",
      "x_y",
      "😀",
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 4 })), { maxLength: 40 }), (parts) => {
        const md = parts.join("");
        const html = markdownToTelegramHtml(md);
        assertWellFormed(html);
        const keep = (s: string) => s.replace(/[^\p{L}\p{N}]/gu, "");
        // Link targets move into href and fence info strings are metadata; all other text is shown.
        const visible = keep(visibleText(html));
        const expected = keep(md.replace(/^ {0,3}(`{3,}|~{3,}).*$/gm, "").replace(/https:\/\/a\.io\/x/g, ""));
        expect(expected.length).toBeLessThanOrEqual(visible.length);
      }),
      { numRuns: 3000 },
    );
  });
});

function progressWith(n: number, kind: ActionKind = "command", title = "ls"): ProgressState {
  const s = new ProgressState({ engine: "claude", startedAtMs: 0, retain: 100 });
  s.apply(
    { type: "started", engine: "claude", resume: { engine: "claude", value: "abc" }, meta: { model: "opus" } },
    0,
  );
  for (let i = 0; i < n; i++) {
    const ev: ActionEvent = {
      type: "action",
      engine: "claude",
      action: { id: `a${i}`, kind, title: `${title} ${i}`, detail: {} },
      phase: "started",
    };
    s.apply(ev, 1000);
  }
  return s;
}

describe("renderProgress", () => {
  test("header, glyphs per status, titles per kind, footer and resume line", () => {
    const s = new ProgressState({ engine: "claude", startedAtMs: 0, trigger: "cron:nightly" });
    s.apply(
      {
        type: "started",
        engine: "claude",
        resume: { engine: "claude", value: "abc" },
        meta: { model: "opus", permissionMode: "plan" },
      },
      0,
    );
    const act = (
      id: string,
      kind: ActionKind,
      title: string,
      phase: ActionEvent["phase"],
      ok?: boolean,
      detail: Record<string, unknown> = {},
    ) =>
      s.apply(
        {
          type: "action",
          engine: "claude",
          action: { id, kind, title, detail },
          phase,
          ...(ok !== undefined && { ok }),
        },
        1000,
      );
    act("1", "command", "rm -rf <tmp>", "completed", false, { exit_code: 1 });
    act("2", "tool", "Read", "started");
    act("3", "web_search", "bun docs", "updated");
    act("4", "file_change", "x", "completed", true, {
      changes: [1, 2, 3, 4].map((n) => ({ path: `src/f${n}.ts`, kind: "update" })),
    });
    act("5", "note", "thinking & planning", "completed", true);
    const html = renderProgress(s, {
      maxActions: 10,
      verbose: false,
      now: 75_000,
      resumeLine: "claude --resume abc",
      footerContext: "dir: api @main",
    });
    expect(html).toBe(
      [
        "<b>working</b> · claude · 1m 15s · step 5",
        "",
        "✗ <code>rm -rf &lt;tmp&gt;</code> (exit 1)",
        "▸ tool: Read · 1m 14s",
        "↻ searched: bun docs",
        "✓ files: update <code>src/f1.ts</code>, update <code>src/f2.ts</code>, update <code>src/f3.ts</code>, …(1 more)",
        "✓ thinking &amp; planning",
        "",
        "🏷 dir: api @main | opus · plan · cron:nightly",
        "",
        "↩️ <code>claude --resume abc</code>",
      ].join("\n"),
    );
    assertWellFormed(html);
  });

  test("only the last maxActions actions; verbose adds a detail line", () => {
    const s = progressWith(10);
    const html = renderProgress(s, { maxActions: 3, verbose: false, now: 2000 });
    expect(html).toContain("step 10");
    expect(html).not.toContain("ls 6");
    expect(html).toContain("ls 7");
    const v = new ProgressState({ engine: "codex", startedAtMs: 0 });
    v.apply(
      {
        type: "action",
        engine: "codex",
        action: { id: "1", kind: "command", title: "make", detail: { output: "ok\n<done>" } },
        phase: "completed",
        ok: true,
      },
      0,
    );
    expect(renderProgress(v, { maxActions: 5, verbose: true, now: 0 })).toContain(
      "✓ <code>make</code>\n  → ok &lt;done&gt;",
    );
  });

  test("titles are cut at 300 characters", () => {
    const s = progressWith(1, "note", "y".repeat(1000));
    const line = renderProgress(s, { maxActions: 5, verbose: false, now: 0 }).split("\n")[2] ?? "";
    expect(line.length).toBe(2 + 300);
    expect(line.endsWith("…")).toBe(true);
  });

  test("never over 4096: the body is cut from the oldest lines, header and resume line kept", () => {
    const s = progressWith(100, "command", "&".repeat(290));
    const resumeLine = "claude --resume 0123456789abcdef";
    const html = renderProgress(s, {
      maxActions: 100,
      verbose: true,
      now: 0,
      resumeLine,
      footerContext: "<ctx>".repeat(100),
    });
    expect(telegramTextLength(html)).toBeLessThanOrEqual(4096);
    expect(html.startsWith("<b>working</b> · claude")).toBe(true);
    expect(html.endsWith(`↩️ <code>${resumeLine}</code>`)).toBe(true);
    expect(html).toContain("\n\n…\n");
    expect(html).toContain(" 99</code>");
    assertWellFormed(html);
  });

  test("property: any actions, titles and footer render well-formed and within 4096", () => {
    const kinds: ActionKind[] = ["command", "tool", "file_change", "web_search", "subagent", "note", "turn", "warning"];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...kinds), fc.string({ maxLength: 600 }), fc.boolean()), { maxLength: 40 }),
        fc.string({ maxLength: 800 }),
        fc.boolean(),
        (actions, ctx, verbose) => {
          const s = new ProgressState({ engine: "<e&>", startedAtMs: 0 });
          for (const [i, [kind, title, ok]] of actions.entries()) {
            s.apply(
              {
                type: "action",
                engine: "e",
                action: { id: `${i}`, kind, title, detail: { output: title, changes: [{ path: title }] } },
                phase: "completed",
                ok,
              },
              0,
            );
          }
          const html = renderProgress(s, {
            maxActions: 40,
            verbose,
            now: 0,
            resumeLine: "e --resume x",
            footerContext: ctx,
          });
          expect(telegramTextLength(html)).toBeLessThanOrEqual(4096);
          expect(html.endsWith("↩️ <code>e --resume x</code>")).toBe(true);
          assertWellFormed(html);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("elapsed formats", () => {
    expect(formatElapsed(59_999)).toBe("59s");
    expect(formatElapsed(61_000)).toBe("1m 01s");
    expect(formatElapsed(3_723_000)).toBe("1h 02m");
  });
});

describe("splitForTelegram", () => {
  test("a short answer is one part with header and footer", () => {
    expect(splitForTelegram("hi **there**", { header: "<b>done</b>", footer: "↩️ <code>r</code>" })).toEqual([
      "<b>done</b>\n\nhi <b>there</b>\n\n↩️ <code>r</code>",
    ]);
  });

  test("splits on paragraphs; footer only on the last part; parts 2..N are marked", () => {
    const para = (c: string) => c.repeat(150);
    const parts = splitForTelegram([para("a"), para("b"), para("c")].join("\n\n"), {
      header: "H",
      footer: "F",
      limit: 300,
    });
    expect(parts).toEqual([
      `H\n\n${para("a")}`,
      `H · <i>continued (2/3)</i>\n\n${para("b")}`,
      `H · <i>continued (3/3)</i>\n\n${para("c")}\n\nF`,
    ]);
  });

  test("a code fence cut in two is closed and re-opened with its language", () => {
    const code = Array.from({ length: 60 }, (_, i) => `line ${i} <x>`).join("\n");
    const parts = splitForTelegram(`intro\n\n\`\`\`python\n${code}\n\`\`\`\n\nafter`, { limit: 300 });
    expect(parts.length).toBeGreaterThan(2);
    for (const [i, p] of parts.entries()) {
      assertWellFormed(p);
      expect(telegramTextLength(p)).toBeLessThanOrEqual(300);
      if (i > 0 && i < parts.length - 1) expect(p).toContain('<pre><code class="language-python">line');
    }
  });

  test("an unbreakable line is hard-cut, never between surrogate halves", () => {
    const parts = splitForTelegram("😀".repeat(500), { limit: 151 });
    for (const p of parts) {
      const body = p.replace(/^<i>continued \(\d+\/\d+\)<\/i>\n\n/, "");
      expect(body).toMatch(/^(😀)+$/u);
      expect(telegramTextLength(p)).toBeLessThanOrEqual(151);
    }
  });

  // Property tests: ≥10 000 cases in all across the properties below.
  const mdPiece = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom("word ", "longerword ", "x", "😀", "<&>", '"q"', " ", "\n", "\n\n", "snake_case"),
    },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "**b**",
        "*i*",
        "`c`",
        "~~s~~",
        "[t](https://ex.am/p)",
        "# h\n",
        "> q\n",
        "- li\n",
        "1. li\n",
      ),
    },
    { weight: 2, arbitrary: fc.constantFrom("\n```ts\n", "\n```\n", "\n~~~\n", "**", "_", "`") },
    { weight: 1, arbitrary: fc.string({ maxLength: 3, unit: "grapheme" }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 400 }).map((n) => "z".repeat(n)) },
  );
  const md = fc.array(mdPiece, { maxLength: 200 }).map((p) => p.join(""));
  const limit = fc.integer({ min: 100, max: 700 });

  function bodies(parts: string[]): string[] {
    return parts.map((p, i) => {
      let v = visibleText(p);
      v = i > 0 ? v.replace(MARKER, "") : v.replace(/^HEADER/, "");
      if (i === parts.length - 1) v = v.replace(/FOOTER$/, "");
      return v;
    });
  }

  test("property: no part over the limit, every part well-formed", () => {
    fc.assert(
      fc.property(md, limit, fc.boolean(), (text, lim, decorate) => {
        const opts = decorate ? { header: "<b>HEADER</b>", footer: "<i>FOOTER</i>", limit: lim } : { limit: lim };
        for (const p of splitForTelegram(text, opts)) {
          expect(telegramTextLength(p)).toBeLessThanOrEqual(lim);
          assertWellFormed(p);
        }
      }),
      { numRuns: 4000 },
    );
  });

  test("property: the parts hold all of the answer, in order; footer only on the last", () => {
    fc.assert(
      fc.property(md, limit, (text, lim) => {
        const parts = splitForTelegram(text, { header: "HEADER", footer: "FOOTER", limit: lim });
        for (const [i, p] of parts.entries()) expect(p.endsWith("FOOTER")).toBe(i === parts.length - 1);
        const whole = visibleText(markdownToTelegramHtml(text));
        expect(squash(bodies(parts).join(""))).toBe(squash(whole));
      }),
      { numRuns: 4000 },
    );
  });

  test("property: code blocks keep their content and language across cuts", () => {
    // Every non-space character inside a <pre>, tagged with the opening tags around it.
    const codeChars = (html: string): string[] =>
      parseHtml(html).runs.flatMap((r) => {
        if (!r.stack.some((t) => t.name === "pre")) return [];
        const tags = r.stack.map((t) => t.raw).join("");
        return [...squash(r.text)].map((c) => `${tags}${c}`);
      });
    fc.assert(
      fc.property(md, limit, (text, lim) => {
        const parts = splitForTelegram(text, { limit: lim });
        expect(parts.flatMap(codeChars)).toEqual(codeChars(markdownToTelegramHtml(text)));
      }),
      { numRuns: 2500 },
    );
  });
});
