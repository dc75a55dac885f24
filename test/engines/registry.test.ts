import { describe, expect, test } from "bun:test";
import { buildConfig, parseConfigText } from "../../src/config/load.ts";
import { definePermissions } from "../../src/engines/permissions.ts";
import {
  createEngineRegistry,
  type EngineOptionsMap,
  engineProblems,
  findResumeToken,
  resolveEngine,
} from "../../src/engines/registry.ts";
import { defineResumeSyntax } from "../../src/engines/resume-syntax.ts";
import type { EngineDefinition } from "../../src/engines/types.ts";
import { UntetherError } from "../../src/errors.ts";
import { createLogger, setLogger } from "../../src/log/logger.ts";
import { MINIMAL_TOML } from "../config/helpers.ts";

function fakeEngine(id: string): EngineDefinition {
  return {
    id,
    cli: id,
    displayName: id,
    supportsContinue: false,
    buildArgs: () => [],
    createParser: () => ({ parse: () => [], missingCompletion: () => "" }),
    permissions: definePermissions({ configured: undefined, order: [undefined], shellWithoutApproval: () => false }),
    resume: defineResumeSyntax({
      engine: id,
      command: id,
      idPattern: /^x-\d+$/,
      show: (v) => `${id} ${v}`,
      resumeArgs: (v) => [v],
    }),
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
    expect(() => resolveEngine("cursor", reg)).toThrow(
      /Unknown or unavailable engine 'cursor'; available: claude, codex/,
    );
  });

  test("findResumeToken: the last resume line of any engine wins", () => {
    const reg = createEngineRegistry();
    const text =
      "old: `codex resume 01a20e10-971d-7860-9d09-e649d3ab6dc3`\n\nanswer\n\n↩️ claude --resume fe3105e2-fb1c-47b0-a623-02eb1acd8ae9";
    expect(findResumeToken(text, reg)).toEqual({ engine: "claude", value: "fe3105e2-fb1c-47b0-a623-02eb1acd8ae9" });
    expect(findResumeToken("`amp threads continue T-2775dc92-90ed-4f85-8b73-8f9766029e83`", reg)).toEqual({
      engine: "amp",
      value: "T-2775dc92-90ed-4f85-8b73-8f9766029e83",
    });
    expect(findResumeToken("`pi --session 01a20e10-d45d`", reg)).toBeUndefined();
    expect(findResumeToken("no token here", reg)).toBeUndefined();
  });
});

describe("engine options come from the loaded config", () => {
  test("codex model, gemini/opencode/amp extra_args reach the command lines; no engine is left out", () => {
    const { config } = buildConfig(
      parseConfigText(`${MINIMAL_TOML}
[engines.codex]
model = "gpt-5"
[engines.gemini]
extra_args = ["--sandbox"]
[opencode]
extra_args = ["--agent", "build"]
[engines.amp]
extra_args = ["--no-notifications"]
`),
      { baseDir: "/srv/cfg" },
    );
    expect(engineProblems(config.engines)).toEqual([]);
    const reg = createEngineRegistry(config.engines);
    const argv = (id: string) => reg.get(id)?.buildArgs({ prompt: "hi", cwd: "/tmp" }) ?? [];
    expect(argv("codex").join(" ")).toContain("--model gpt-5");
    expect(argv("gemini")).toContain("--sandbox");
    expect(argv("opencode").join(" ")).toContain("--agent build");
    expect(argv("amp")).toContain("--no-notifications");
  });

  test("a managed flag in any engine's extra_args is a config error naming the key", () => {
    for (const [id, flag] of [
      ["gemini", "--yolo"],
      ["opencode", "--format=default"],
      ["pi", "--mode"],
      ["amp", "-x"],
    ]) {
      expect(() =>
        buildConfig(parseConfigText(`${MINIMAL_TOML}\n[engines.${id}]\nextra_args = ["${flag}"]\n`), {
          baseDir: "/srv/cfg",
        }),
      ).toThrow(new RegExp(`engines\\.${id}\\.extra_args.*managed by Untether`));
    }
  });
});
