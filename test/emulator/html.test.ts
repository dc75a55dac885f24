import { expect, test } from "bun:test";
import { ApiError, htmlToEntities } from "../../src/emulator/index.ts";

test("every allowed tag becomes its entity, with offsets in UTF-16 units", () => {
  const r = htmlToEntities(
    '<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler><a href="https://a.test/?x=1&amp;y=2">a</a><code>c</code><pre>p</pre><blockquote>q</blockquote>',
  );
  expect(r.text).toBe("bsieunskdpqacpq");
  expect(r.entities.map((e) => e.type)).toEqual([
    "bold",
    "bold",
    "italic",
    "italic",
    "underline",
    "underline",
    "strikethrough",
    "strikethrough",
    "strikethrough",
    "spoiler",
    "spoiler",
    "text_link",
    "code",
    "pre",
    "blockquote",
  ]);
  expect(r.entities[11]).toEqual({ type: "text_link", offset: 11, length: 1, url: "https://a.test/?x=1&y=2" });
  expect(htmlToEntities("😀<b>x</b>").entities[0]).toEqual({ type: "bold", offset: 2, length: 1 });
});

test("entities decode; unknown ones stay literal; nesting and pre with a language work", () => {
  expect(htmlToEntities("&lt;&gt;&amp;&quot;&#65;&#x42;&nbsp;&").text).toBe('<>&"AB&nbsp;&');
  const nested = htmlToEntities("<b>a<i>b</i></b>");
  expect(nested.entities).toEqual([
    { type: "bold", offset: 0, length: 2 },
    { type: "italic", offset: 1, length: 1 },
  ]);
  expect(htmlToEntities('<pre><code class="language-ts">let x</code></pre>').entities).toEqual([
    { type: "pre", offset: 0, length: 5, language: "ts" },
  ]);
  expect(htmlToEntities("<blockquote expandable>q</blockquote>").entities[0]?.type).toBe("expandable_blockquote");
  expect(htmlToEntities("<B>x</B>").entities[0]?.type).toBe("bold");
});

test("errors are ApiError 400 with Telegram's description", () => {
  try {
    htmlToEntities("<b>x");
    throw new Error("expected a parse error");
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).errorCode).toBe(400);
    expect((err as ApiError).code).toBe("emulator.api_error");
  }
});
