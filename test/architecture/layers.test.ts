// The layer rule of docs/architecture.md, checked on every import (static, dynamic and type-only)
// under src/: cli → (telegram | triggers | doctor) → core → engines → (botapi, security, log,
// config, state); security/, log/ and botapi/ import nothing of ours but security/, log/ and
// src/errors.ts (botapi/ also itself).
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../src");
const BASE = ["security", "log", "config", "state", "botapi"];

/** What each folder may import besides itself and the shared root files (errors.ts, version.ts). */
const ALLOWED: Record<string, string[]> = {
  security: ["security", "log"],
  log: ["security", "log"],
  botapi: ["security", "log"],
  config: BASE,
  state: BASE,
  engines: ["engines", ...BASE],
  core: ["core", "engines", ...BASE],
  telegram: ["telegram", "core", "engines", ...BASE],
  triggers: ["triggers", "core", "engines", ...BASE],
  doctor: ["doctor", "core", "engines", ...BASE],
  // The emulator stands in for Telegram in the tests and the demo; it shares only the low layers.
  emulator: ["emulator", ...BASE],
  cli: ["cli", "telegram", "triggers", "doctor", "core", "emulator", "engines", ...BASE],
};
const ROOT_FILES = new Set(["errors.ts", "version.ts"]);

function folderOf(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes("/") ? (rel.split("/")[0] as string) : rel;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)"(\.{1,2}\/[^"]+)"/g))
    out.push(resolve(dirname(file), m[1] as string));
  return out;
}

test("every import under src/ follows the layer rule", () => {
  const violations: string[] = [];
  const files = [...new Bun.Glob("**/*.ts").scanSync({ cwd: SRC, absolute: true })];
  expect(files.length).toBeGreaterThan(50);
  for (const file of files) {
    const from = folderOf(file);
    if (from === "main.ts" || ROOT_FILES.has(from)) continue;
    const allowed = ALLOWED[from];
    if (!allowed) {
      violations.push(`${relative(SRC, file)}: folder ${from} has no place in the layer rule`);
      continue;
    }
    for (const target of importsOf(file)) {
      const to = folderOf(target);
      if (to === from || ROOT_FILES.has(to) || allowed.includes(to)) continue;
      violations.push(`${relative(SRC, file)} imports ${relative(SRC, target)}`);
    }
  }
  expect(violations).toEqual([]);
});

test("the checker sees a violation", () => {
  // core importing telegram would break the rule: the same resolution the test above uses.
  const core = join(SRC, "core/runs.ts");
  expect(folderOf(core)).toBe("core");
  expect(ALLOWED.core?.includes(folderOf(join(SRC, "telegram/outbox.ts")))).toBe(false);
  expect(importsOf(join(SRC, "cli/service.ts")).map(folderOf)).toContain("botapi");
});
