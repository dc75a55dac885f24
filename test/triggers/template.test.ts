import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { lookupPath, MAX_RENDERED_CHARS, renderTemplate, renderValue } from "../../src/triggers/template.ts";

const ctx = {
  action: "opened",
  number: 42,
  draft: false,
  ratio: 0.5,
  nothing: null,
  "with-dash": "dash ok",
  pull_request: { title: "Fix it", labels: [{ name: "bug" }, { name: "p1" }], user: { login: "octo" } },
  items: ["a", "b", ["c"]],
  nested: { a: [1, { b: true }] },
};

describe("renderTemplate", () => {
  const cases: [string, string][] = [
    ["PR {{ pull_request.title }} by {{pull_request.user.login}}", "PR Fix it by octo"],
    ["{{ action }}/{{ number }}/{{ draft }}/{{ ratio }}", "opened/42/false/0.5"],
    ["first label: {{ pull_request.labels.0.name }}", "first label: bug"],
    ["{{ items.2.0 }}", "c"],
    ["{{ items }}", '["a","b",["c"]]'],
    ["{{ nested }}", '{"a":[1,{"b":true}]}'],
    ["{{ pull_request.user }}", '{"login":"octo"}'],
    ["{{ with-dash }}", "dash ok"],
    ["[{{ missing }}] [{{ nothing }}] [{{ items.9 }}] [{{ items.x }}] [{{ action.length }}]", "[] [] [] [] []"],
    ["[{{ items.01 }}] [{{ items.-1 }}] [{{ number.0 }}]", "[] [] []"],
    [
      "[{{ __proto__ }}] [{{ constructor }}] [{{ pull_request.constructor.name }}] [{{ items.constructor }}]",
      "[] [] [] []",
    ],
    ["[{{ prototype }}] [{{ toString }}] [{{ hasOwnProperty }}] [{{ items.length }}]", "[] [] [] []"],
    ["[{{ a..b }}] [{{ .action }}] [{{ action. }}]", "[] [] []"],
    [
      "unmatched {{ action and }} and {{ { x }} {{}} {{ a b }}",
      "unmatched {{ action and }} and {{ { x }} {{}} {{ a b }}",
    ],
    ["{{{ action }}}", "{opened}"],
    ["no placeholders at all", "no placeholders at all"],
  ];
  for (const [template, expected] of cases) {
    test(template, () => expect(renderTemplate(template, ctx)).toBe(expected));
  }

  test("the context can be any value, including one that is not an object", () => {
    expect(renderTemplate("[{{ a }}]", null)).toBe("[]");
    expect(renderTemplate("[{{ a }}]", "str")).toBe("[]");
    expect(renderTemplate("[{{ 0 }}]", ["x"])).toBe("[x]");
  });

  test("a JSON-parsed __proto__ key is data, and still unreachable", () => {
    const payload: unknown = JSON.parse('{"__proto__": {"polluted": "yes"}, "ok": "fine"}');
    expect(renderTemplate("{{ __proto__.polluted }}|{{ ok }}", payload)).toBe("|fine");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("unrenderable values become empty, never an exception", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const throwing = {
      toJSON: () => {
        throw new Error("boom");
      },
    };
    expect(
      renderTemplate("[{{ c }}][{{ t }}][{{ b }}][{{ f }}][{{ n }}]", {
        c: cyclic,
        t: throwing,
        b: 10n,
        f: () => 1,
        n: Number.NaN,
      }),
    ).toBe("[][][10][][]");
    expect(renderValue(Symbol("s"))).toBe("");
    expect(renderValue(undefined)).toBe("");
  });

  test("a getter on the prototype chain is never invoked", () => {
    let called = false;
    const proto = {
      get secret() {
        called = true;
        return "leak";
      },
    };
    expect(renderTemplate("[{{ secret }}]", Object.create(proto))).toBe("[]");
    expect(called).toBe(false);
  });

  test("output is capped, even when a small template expands a large value many times", () => {
    const big = { blob: "x".repeat(50_000) };
    const out = renderTemplate("{{ blob }}".repeat(1000), big);
    expect(out.length).toBe(MAX_RENDERED_CHARS);
    expect(renderTemplate("abc{{ blob }}", big, { maxChars: 10 })).toBe("abcxxxxxxx");
  });

  test("the cap never splits a surrogate pair", () => {
    expect(renderTemplate("{{ e }}", { e: "😀😀" }, { maxChars: 3 })).toBe("😀");
  });

  test("lookupPath only walks own properties", () => {
    expect(lookupPath({ a: { b: 1 } }, "a.b")).toBe(1);
    expect(lookupPath({ a: {} }, "a.toString")).toBeUndefined();
  });
});

describe("properties", () => {
  const key = fc.constantFrom("a", "b", "0", "1", "x-y", "__proto__", "constructor", "prototype", "length");
  const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.double());
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.array(tie("node"), { maxLength: 3 }),
      fc.dictionary(key, tie("node"), { maxKeys: 3 }),
    ),
  })).node;
  const pathArb = fc.array(key, { minLength: 1, maxLength: 4 }).map((a) => a.join("."));
  const piece = fc.oneof(
    fc.string({ maxLength: 6 }),
    pathArb.map((p) => `{{ ${p} }}`),
    pathArb.map((p) => `{{${p}}}`),
    fc.constantFrom("{{", "}}", "{", "}", "{{ }}", "{{ a b }}"),
  );
  const templateArb = fc.array(piece, { maxLength: 8 }).map((a) => a.join(""));

  /** Every rendering any placeholder could legitimately produce: "" or some sub-value of the context. */
  function renderings(root: unknown): Set<string> {
    const out = new Set<string>([""]);
    const walk = (v: unknown): void => {
      out.add(renderValue(v));
      if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(root);
    return out;
  }

  test("never throws; output = template with each placeholder replaced by a context value or empty", () => {
    const placeholder = /\{\{\s*([\w.-]+)\s*\}\}/g;
    fc.assert(
      fc.property(templateArb, fc.dictionary(key, value, { maxKeys: 4 }), (template, context) => {
        const out = renderTemplate(template, context);
        const allowed = renderings(context);
        let expected = "";
        let last = 0;
        for (const m of template.matchAll(placeholder)) {
          const one = renderTemplate(m[0], context);
          if (!allowed.has(one)) return false;
          expected += template.slice(last, m.index) + one;
          last = m.index + m[0].length;
        }
        expected += template.slice(last);
        return out === expected;
      }),
      { numRuns: 10_000 },
    );
  });

  test("arbitrary strings and contexts never throw and respect the cap", () => {
    fc.assert(
      fc.property(fc.string(), fc.jsonValue(), fc.integer({ min: 0, max: 50 }), (template, context, maxChars) => {
        return renderTemplate(template, context, { maxChars }).length <= maxChars;
      }),
      { numRuns: 10_000 },
    );
  });
});
