import { describe, expect, test } from "bun:test";
import { createEngineRegistry, type EngineOptionsMap, engineProblems, findResumeToken, resolveEngine } from "../../src/engines/registry.ts";
import type { EngineDefinition } from "../../src/engines/types.ts";
import { UntetherError } from "../../src/errors.ts";
import { createLogger, setLogger } from "../../src/log/logger.ts";

function fakeEngine(id: string): EngineDefinition {
  return {
    id,
    cli: id,
    displayName: id,
    supportsContinue: false,
    buildArgs: () => [],
    createParser: () => ({ parse: () => [], missingCompletion: () => "" }),
    formatResume: (t) => `\`${id} ${t.value}\``,
    extractResume: () => undefined,
  };
}

describe("engine registry", () => {
  test("the six built-ins, plus extra engines", () => {
    const reg = createEngineRegistry({}, [fakeEngine("mock")]);
    expect([...reg.keys()]).toEqual(["claude", "codex", "pi", "gemini", "opencode", "amp", "mock"]);
  });

  test("a misconfigured engine is left out and reported, the rest still work", () => {
    const lines: string[] = [];
    setLogger(createLogger({ level: "warn", sink: { write: (l) => void lines.push(l) }, pretty: false }));
    const options = { codex: { extra_args: ["--json"] }, bogus: {} } as EngineOptionsMap;
    const reg = createEngineRegistry(options);
    expect(reg.has("codex")).toBe(false);
    expect(reg.has("claude")).toBe(true);
    expect(lines.join("")).toContain("engines.bad_config");
    expect(engineProblems(options).map((p) => [p.engine, p.code])).toEqual([
      ["bogus", "engine.unknown"],
      ["codex", "engine.managed_flag"],
    ]);
  });

  test("extra engine ids are validated", () => {
    expect(() => createEngineRegistry({}, [fakeEngine("Bad Id")])).toThrow(UntetherError);
    expect(() => createEngineRegistry({}, [fakeEngine("claude")])).toThrow(/defined twice/);
  });

  test("resolveEngine: case-insensitive, clear error listing engines", () => {
    const reg = createEngineRegistry();
    expect(resolveEngine(" Codex ", reg).id).toBe("codex");
    expect(() => resolveEngine("cursor", reg)).toThrow(/Unknown or unavailable engine 'cursor'; available: claude, codex/);
  });

  test("findResumeToken: the last resume line of any engine wins", () => {
    const reg = createEngineRegistry();
    const text = "old: `codex resume 0199a213`\n\nanswer\n\n`claude --resume fe3105e2-fb1c-47b0-a623-02eb1acd8ae9`";
    expect(findResumeToken(text, reg)).toEqual({ engine: "claude", value: "fe3105e2-fb1c-47b0-a623-02eb1acd8ae9" });
    expect(findResumeToken("`amp threads continue T-abc-1`", reg)).toEqual({ engine: "amp", value: "T-abc-1" });
    expect(findResumeToken("`pi --session 01a20e10-d45d`", reg)).toEqual({ engine: "pi", value: "01a20e10-d45d" });
    expect(findResumeToken("no token here", reg)).toBeUndefined();
  });
});
