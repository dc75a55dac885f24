// For every engine definition, with its real argv builder: the prompt reaches the CLI through stdin
// (plain, or in the engine's input protocol), intact at 300 KiB — an argument over 128 KiB could not
// even be exec'd (E2BIG) — and never on any process's command line while the runs go on.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAmpEngine } from "../../src/engines/amp.ts";
import { createMockEngine } from "../../src/engines/mock.ts";
import { runEngine } from "../../src/engines/process.ts";
import { createEngineRegistry } from "../../src/engines/registry.ts";
import type { EngineDefinition } from "../../src/engines/types.ts";
import { NO_EXTRAS } from "../../src/security/env-policy.ts";
import { startCmdlineScan } from "../support/cmdline-scanner.ts";
import { fakePath } from "../support/engines/fake-def.ts";

const dir = mkdtempSync(join(tmpdir(), "untether-prompt-"));
const RECORDER = fakePath("stdin-record.ts");
const MARK = "PROMPT-DELIVERY-7f3a9c";

/** ~300 KiB: a leading `-` (once read as a flag), multibyte text, many lines, a distinct head and tail. */
function bigPrompt(): string {
  const body = "Refactor the module — naïve café 東京 ✓, keep \"quotes\" and 'apostrophes' and $HOME as text.\n".repeat(
    3200,
  );
  const p = `-rf ${MARK} start\n${body}${MARK} end`;
  expect(new TextEncoder().encode(p).length).toBeGreaterThan(300 * 1024);
  return p;
}

const DEFINITIONS: EngineDefinition[] = [
  ...createEngineRegistry({}).values(),
  { ...createAmpEngine({ stream_json_input: true }), id: "amp-json-input" },
  createMockEngine(),
];

/** The prompt as the CLI received it: all of stdin, or the text of its user/prompt JSON line. */
function deliveredPrompt(stdin: string): string | undefined {
  for (const line of stdin.split("\n")) {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof msg !== "object" || msg === null) continue;
    const m = msg as { type?: unknown; text?: unknown; message?: { content?: unknown } };
    if (m.type === "prompt" && typeof m.text === "string") return m.text;
    if (m.type === "user") {
      const content = m.message?.content;
      if (typeof content === "string") return content;
      if (Array.isArray(content))
        return content.map((c: { text?: unknown }) => (typeof c.text === "string" ? c.text : "")).join("");
    }
  }
  return stdin;
}

async function deliver(def: EngineDefinition, prompt: string): Promise<{ argv: string[]; stdin: string }> {
  const record = join(dir, `${def.id}.json`);
  rmSync(record, { force: true });
  const h = runEngine(
    def,
    { prompt, cwd: dir },
    {
      sourceEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, UNTETHER_TEST_RECORD: record },
      extras: NO_EXTRAS,
      envAudit: false,
      graceMs: 300,
      onEvent: () => {},
      ask: async () => ({ behavior: "deny", message: "test" }),
      resolveCli: () => RECORDER,
    },
  );
  await h.done;
  return JSON.parse(readFileSync(record, "utf8")) as { argv: string[]; stdin: string };
}

describe("the prompt reaches every engine through stdin", () => {
  test("a 300 KiB prompt arrives intact and nothing of it is on any command line", async () => {
    const prompt = bigPrompt();
    const scan = await startCmdlineScan([MARK, "naïve café"], [RECORDER]);
    const got = new Map<string, { argv: string[]; stdin: string }>();
    for (const def of DEFINITIONS) got.set(def.id, await deliver(def, prompt));
    const report = await scan.stop();
    for (const def of DEFINITIONS) {
      const r = got.get(def.id)!;
      expect({ engine: def.id, argvHasPrompt: r.argv.some((a) => a.includes(MARK)) }).toEqual({
        engine: def.id,
        argvHasPrompt: false,
      });
      expect({ engine: def.id, intact: deliveredPrompt(r.stdin) === prompt }).toEqual({ engine: def.id, intact: true });
    }
    // The scanner was reading command lines while the recorders ran (each lives only a few ms, so not
    // every one is caught; the recorders' own argv above is checked for every engine).
    expect(report.witnessed[0]).toBeGreaterThan(0);
    expect(report.hits).toEqual([]);
  }, 60_000);

  test("every built-in engine is covered", () => {
    expect(DEFINITIONS.map((d) => d.id).sort()).toEqual([
      "amp",
      "amp-json-input",
      "claude",
      "codex",
      "gemini",
      "mock",
      "opencode",
      "pi",
    ]);
  });
});
