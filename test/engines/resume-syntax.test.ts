// One resume syntax per engine: format → the HTML the bot sends → the plain text Telegram hands back
// in reply_to_message → parse gives the same token; ids outside the engine's grammar never parse and
// never reach a CLI's argv.
import { describe, expect, test } from "bun:test";
import { ENGINE_IDS } from "../../src/config/schema.ts";
import { messageText } from "../../src/emulator/message-text.ts";
import { createMockEngine } from "../../src/engines/mock.ts";
import { createEngineRegistry } from "../../src/engines/registry.ts";
import { RESUME_SYNTAX } from "../../src/engines/resume-syntax.ts";
import type { EngineDefinition } from "../../src/engines/types.ts";
import { UntetherError } from "../../src/errors.ts";
import { renderResumeLine } from "../../src/telegram/render.ts";

const registry = createEngineRegistry({}, [createMockEngine()]);
const engine = (id: string) => registry.get(id) as EngineDefinition;

/** A real session id of each engine, from the recorded transcripts. */
const IDS: Record<string, string> = {
  claude: "144faec0-4b9e-4e71-b6c0-25b1a751d3d1",
  codex: "01a20e10-971d-7860-9d09-e649d3ab6dc3",
  pi: "01a20e10-d45d-72f5-8085-a2be95d09b6e",
  gemini: "8f685e6c-3780-4121-93b8-3d466f59eadb",
  opencode: "ses_df1ee1616ffeUgW545BFqcc1Jy",
  amp: "T-2775dc92-90ed-4f85-8b73-8f9766029e83",
  mock: "mock-1a2b3c4d",
};

const INJECTIONS = [
  "--dangerously-skip-permissions",
  '--settings={"hooks":{}}',
  "-c",
  "../../etc/passwd",
  "/tmp/x.jsonl",
  "$(id)",
];

describe("resume syntax", () => {
  test("every engine has a case in this table", () => {
    expect([...registry.keys()].sort()).toEqual(Object.keys(IDS).sort());
  });

  for (const [id, value] of Object.entries(IDS)) {
    test(`${id}: format → HTML → Telegram's plain text → parse is the same token`, () => {
      const syntax = engine(id).resume;
      const token = { engine: id, value };
      const html = `<b>done</b> · ${id}\n\nThe answer.\n\n🏷 demo @feature-x\n${renderResumeLine(syntax.format(token))}`;
      const plain = messageText(html, "HTML").text;
      expect(plain).toContain(`↩️ ${syntax.format(token)}`);
      expect(syntax.parse(plain)).toEqual(token);
      // The line pasted with Markdown backticks, in the middle of a prompt, parses too.
      expect(syntax.parse(`please look at \`${syntax.format(token)}\` again`)).toEqual(token);
    });

    test(`${id}: ids outside the grammar never parse and never reach argv`, () => {
      const syntax = engine(id).resume;
      const def = engine(id);
      for (const bad of INJECTIONS) {
        const line = syntax.format({ engine: id, value: bad });
        expect(syntax.parse(line)).toBeUndefined();
        expect(syntax.parse(`↩️ ${line}`)).toBeUndefined();
        expect(() => def.buildArgs({ prompt: "hi", cwd: "/tmp", resume: { engine: id, value: bad } })).toThrow(
          UntetherError,
        );
      }
      const argv = def.buildArgs({ prompt: "hi", cwd: "/tmp", resume: { engine: id, value: IDS[id] as string } });
      expect(argv).toContain(IDS[id] as string);
    });
  }

  test("a command name inside another word is not a resume line", () => {
    expect(engine("claude").resume.parse(`myclaude --resume ${IDS.claude}`)).toBeUndefined();
    expect(engine("claude").resume.parse(`/usr/bin/claude --resume ${IDS.claude}`)).toBeUndefined();
  });
});

/** Whether `part` occurs in `argv` as consecutive arguments. */
function containsRun(argv: string[], part: string[]): boolean {
  return argv.some((_, i) => part.every((p, j) => argv[i + j] === p));
}

describe("resume syntax owns the resume arguments", () => {
  test("one syntax per engine id, and it is the one the engine uses", () => {
    expect(Object.keys(RESUME_SYNTAX).sort()).toEqual([...ENGINE_IDS].sort());
    for (const id of ENGINE_IDS) expect(engine(id).resume).toBe(RESUME_SYNTAX[id]);
  });

  for (const [id, value] of Object.entries(IDS)) {
    test(`${id}: format → parse → args gives the arguments the engine's command line resumes with`, () => {
      const syntax = engine(id).resume;
      const token = { engine: id, value };
      const parsed = syntax.parse(`↩️ ${syntax.format(token)}`);
      expect(parsed).toEqual(token);
      const args = syntax.args(parsed);
      expect(args).toContain(value);
      expect(args).toEqual(syntax.args(token));
      const argv = engine(id).buildArgs({ prompt: "hi", cwd: "/tmp", resume: token });
      expect(containsRun(argv, args)).toBe(true);
      // A new run resumes nothing.
      expect(syntax.args(undefined)).toEqual([]);
      const fresh = engine(id).buildArgs({ prompt: "hi", cwd: "/tmp" });
      expect(fresh).not.toContain(value);
    });

    test(`${id}: /continue uses the continue arguments exactly when the engine supports it`, () => {
      const def = engine(id);
      const cont = { engine: id, value: "", isContinue: true };
      const args = def.resume.args(cont);
      expect(args.length > 0).toBe(def.supportsContinue);
      expect(containsRun(def.buildArgs({ prompt: "hi", cwd: "/tmp", resume: cont }), args)).toBe(true);
    });
  }
});
