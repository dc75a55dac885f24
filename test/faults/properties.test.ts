// Input properties at 10 000 cases each: `config set` values (parse, validate, round-trip through
// `config get`), and the Markdown splitter (whose own properties in test/telegram/render.test.ts run
// 4 000 + 4 000 + 2 500 cases, none reaching 10 000 alone).
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parse, stringify } from "smol-toml";
import { runConfigCommand } from "../../src/cli/config.ts";
import { coerceForKey, getAt, parseCliValue, setAt, tomlLiteral } from "../../src/config/edit.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { parseKeyPath } from "../../src/config/keys.ts";
import type { TomlDoc } from "../../src/config/migrate.ts";
import { isSecretPath } from "../../src/config/secret-keys.ts";
import { validateDocument } from "../../src/config/validate.ts";
import { visibleText } from "../../src/telegram/html.ts";
import { markdownToTelegramHtml, splitForTelegram, telegramTextLength } from "../../src/telegram/render.ts";

const KEYS = [
  "default_engine",
  "default_project",
  "transports.telegram.bot_token",
  "transports.telegram.chat_id",
  "transports.telegram.allowed_user_ids",
  "transports.telegram.allow_any_user",
  "transports.telegram.session_mode",
  "transports.telegram.show_resume_line",
  "transports.telegram.forward_coalesce_s",
  "progress.min_render_interval",
  "progress.max_actions",
  "security.env_extra_allow",
  "projects.demo.path",
  "projects.demo.chat_id",
  "engines.codex.model",
  "watchdog.max_concurrent_engine_runs",
];

const tomlish = fc.constantFrom(
  "true",
  "false",
  "0",
  "-0",
  "+1",
  "1_000",
  "0x1F",
  "0o17",
  "0b101",
  "1e3",
  "-1.5",
  "nan",
  "inf",
  "-inf",
  "[]",
  "[1, 2]",
  '["a", "b"]',
  '[1, "x"]',
  "{}",
  "{ a = 1 }",
  '"quoted"',
  "'literal'",
  '"""multi"""',
  "1979-05-27",
  "1979-05-27T07:32:00Z",
  "07:32:00",
  "[",
  "]",
  "{",
  "=",
  '"',
  "'",
  "#",
  "\\",
  "\u0000",
  "\u007f",
  "stateless",
  "chat",
  "mock",
  "claude",
  "123:ABC-def",
  "9007199254740993",
  "-9223372036854775808",
  "1.7976931348623157e309",
);
const raw = fc.oneof(
  { weight: 3, arbitrary: tomlish },
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }) },
  {
    weight: 2,
    arbitrary: fc.array(fc.oneof(tomlish, fc.string({ maxLength: 4 })), { maxLength: 4 }).map((p) => p.join(" ")),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.string({ maxLength: 8 }),
        fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 3 }),
      )
      .map(tomlLiteral),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12, unit: "binary" }) },
);

/** What `config set KEY RAW` stores, in memory: the value, or the ConfigError that refused it. */
function setInMemory(key: string, text: string): { ok: true; doc: TomlDoc; value: unknown } | { ok: false } {
  try {
    const segments = parseKeyPath(key);
    const value = coerceForKey(segments, text, parseCliValue(text));
    const doc: TomlDoc = {};
    setAt(doc, segments, value);
    validateDocument(doc, { partial: true });
    return { ok: true, doc, value };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { ok: false };
  }
}

describe("config set values", () => {
  test("property: parse + validate throw nothing but ConfigError; a stored value survives the file and `config get` → `config set`", () => {
    fc.assert(
      fc.property(fc.constantFrom(...KEYS), raw, (key, text) => {
        const r = setInMemory(key, text);
        if (!r.ok) return;
        const segments = parseKeyPath(key);
        // Through the file format: what is written is what is read back.
        const reread = getAt(parse(stringify(r.doc)) as TomlDoc, segments);
        expect(reread.found).toBe(true);
        if (reread.found) expect(reread.value).toEqual(r.value);
        // `config get --show-secrets` prints tomlLiteral(value); setting that text again stores the same value.
        const again = setInMemory(key, tomlLiteral(r.value));
        expect(again.ok).toBe(true);
        if (again.ok) expect(again.value).toEqual(r.value);
      }),
      { numRuns: 10_000, seed: 20261124 },
    );
  });

  test("property (real files, 300 cases): `config set` (a secret through stdin) then `config get` prints the value set, or set fails with exit 2 and the file is unchanged", async () => {
    const dir = mkdtempSync(join(tmpdir(), "untether-faults-config-"));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...KEYS), raw, async (key, text) => {
        const configPath = join(dir, `c${n++}.toml`);
        const out: string[] = [];
        const err: string[] = [];
        const ctx = {
          configPath,
          configPathSource: "flag" as const,
          env: {},
          out: { write: (t: string) => void out.push(t) },
          err: { write: (t: string) => void err.push(t) },
          isTty: false,
          // Secrets are never taken from argv: `config set KEY -` reads them here (one line end stripped).
          readStdin: async () => text,
        };
        const secret = isSecretPath(parseKeyPath(key));
        const given = secret ? text.replace(/\r?\n$/, "") : text;
        const expected = secret && given.trim() === "" ? ({ ok: false } as const) : setInMemory(key, given);
        const code = await runConfigCommand(["set", "--", key, secret ? "-" : text], ctx as never);
        if (!expected.ok) {
          expect(code).toBe(2);
          expect(await runConfigCommand(["get", key], ctx as never)).toBe(1);
          return;
        }
        expect(code).toBe(0);
        out.length = 0;
        expect(await runConfigCommand(["get", key, "--show-secrets"], ctx as never)).toBe(0);
        expect(out.join("")).toBe(`${tomlLiteral(expected.value)}\n`);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe("the Markdown splitter", () => {
  const piece = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom("word ", "x", "😀", "<&>", '"q"', " ", "\n", "\n\n", "snake_case", "é") },
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
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 300 }).map((k) => "z".repeat(k)) },
  );
  const md = fc.array(piece, { maxLength: 80 }).map((p) => p.join(""));
  const keep = (s: string) => s.replace(/[^\p{L}\p{N}]/gu, "");

  test("property: every part within the limit with balanced tags, and no letter or digit lost", () => {
    fc.assert(
      fc.property(md, fc.integer({ min: 100, max: 600 }), (text, limit) => {
        const parts = splitForTelegram(text, { limit });
        expect(parts.length).toBeGreaterThan(0);
        for (const p of parts) {
          expect(telegramTextLength(p)).toBeLessThanOrEqual(limit);
          const stack: string[] = [];
          for (const m of p.matchAll(/<(\/?)([a-z-]+)[^>]*>/g)) {
            if (m[1]) expect(stack.pop()).toBe(m[2]);
            else stack.push(m[2]!);
          }
          expect(stack).toEqual([]);
        }
        // Parts after the first start with a "continued (i/n)" marker; the rest is the answer, in order.
        const body = parts
          .map((p, i) => (i === 0 ? visibleText(p) : visibleText(p).replace(/^continued \(\d+\/\d+\)/, "")))
          .join("");
        expect(keep(body)).toBe(keep(visibleText(markdownToTelegramHtml(text))));
      }),
      { numRuns: 10_000, seed: 424242 },
    );
  });
});
