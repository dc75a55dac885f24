import { describe, expect, test } from "bun:test";
import { createOpencodeEngine } from "../../src/engines/opencode.ts";
import { field, fixtureSessionId, job, lastCompleted, loadMessages, numField, replay } from "./replay.ts";

const opencode = createOpencodeEngine();
const msgs = (name: string) => loadMessages("opencode", `${name}.stdout.jsonl`);
const sessionId = (name: string) => fixtureSessionId("opencode", `${name}.stdout.jsonl`);
/** Tokens and cost of each step of a fixture (its step_finish parts). */
function steps(name: string): { input: number; output: number; cost: number }[] {
  return msgs(name)
    .filter((m) => m.type === "step_finish")
    .map((m) => {
      const part = field(m, "part") as Record<string, unknown>;
      return {
        input: numField(part, "tokens", "input"),
        output: numField(part, "tokens", "output"),
        cost: numField(part, "cost"),
      };
    });
}

describe("opencode parser", () => {
  test("say-hi: session, answer, tokens and cost", () => {
    const r = replay(opencode, job(), msgs("say-hi"));
    expect(r.started[0]?.resume).toEqual({ engine: "opencode", value: sessionId("say-hi") });
    const done = lastCompleted(r);
    expect(done.answer).toBe("Hi! I am the fake model.");
    const all = steps("say-hi");
    expect(all).toHaveLength(1);
    const [step] = all;
    expect(done.usage).toEqual({
      inputTokens: step?.input ?? NaN,
      outputTokens: step?.output ?? NaN,
      costUsd: step?.cost ?? NaN,
    });
  });

  test("tool-bash: completed tool seen as started + completed; answer from the last step", () => {
    const r = replay(opencode, job(), msgs("tool-bash"));
    expect(r.actions.map((a) => [a.action.kind, a.action.title, a.phase, a.ok])).toEqual([
      ["command", "echo hello > out.txt", "started", undefined],
      ["command", "echo hello > out.txt", "completed", true],
    ]);
    const done = lastCompleted(r);
    expect(done.answer).toBe("Tool finished: (no output)");
    const all = steps("tool-bash");
    expect(all).toHaveLength(2);
    const [a, b] = all;
    expect(done.usage).toEqual({
      inputTokens: (a?.input ?? NaN) + (b?.input ?? NaN),
      outputTokens: (a?.output ?? NaN) + (b?.output ?? NaN),
      costUsd: (a?.cost ?? NaN) + (b?.cost ?? NaN),
    });
  });

  test("tool-bash-ask: rejected tool, no final step → message names the tool error", () => {
    const r = replay(opencode, job(), msgs("tool-bash-ask"));
    expect(r.actions.at(-1)?.ok).toBe(false);
    const done = lastCompleted(r);
    expect(done.ok).toBe(false);
    expect(done.error).toBe(
      "opencode exited (code 0) without a final result: last tool error: The user rejected permission to use this specific tool call.",
    );
  });

  test("api-error: started from the session id, completed with the API message", () => {
    const r = replay(opencode, job(), msgs("api-error"));
    expect(r.started[0]?.resume.value).toBe(sessionId("api-error"));
    expect(lastCompleted(r).ok).toBe(false);
    expect(lastCompleted(r).error).toBe("fake invalid request (FAKE_API_ERROR)");
  });

  test.each(["resume", "continue"])("%s keeps the say-hi session", (name) => {
    // The recorder resumed / continued the say-hi session: both runs report its id.
    expect(sessionId(name)).toBe(sessionId("say-hi"));
    const resume =
      name === "resume"
        ? { engine: "opencode", value: sessionId("say-hi") }
        : { engine: "opencode", value: "", isContinue: true };
    const r = replay(opencode, job({ resume }), msgs(name));
    expect(r.started[0]?.resume.value).toBe(sessionId("say-hi"));
    expect(lastCompleted(r).ok).toBe(true);
  });
});

describe("opencode command line", () => {
  test("the prompt goes to stdin, never the command line", () => {
    expect(opencode.buildArgs(job({ prompt: "-x" }))).toEqual(["run", "--format", "json"]);
    expect(opencode.stdinText?.(job({ prompt: "-x" }))).toBe("-x");
    const def = createOpencodeEngine({ model: "fake/fake-model" });
    expect(def.buildArgs(job({ resume: { engine: "opencode", value: "ses_abcdefgh12" } }))).toEqual([
      "run",
      "--format",
      "json",
      "--session",
      "ses_abcdefgh12",
      "--model",
      "fake/fake-model",
    ]);
    expect(def.buildArgs(job({ resume: { engine: "opencode", value: "", isContinue: true } }))).toContain("--continue");
  });

  test("managed flags rejected", () => {
    expect(() => createOpencodeEngine({ extra_args: ["--format=default"] })).toThrow(/opencode\.extra_args/);
  });

  test("resume line round-trips", () => {
    const token = { engine: "opencode", value: "ses_494719016ffe85dkDMj0FPRbHK" };
    expect(opencode.resume.format(token)).toBe("opencode --session ses_494719016ffe85dkDMj0FPRbHK");
    expect(opencode.resume.parse(opencode.resume.format(token))).toEqual(token);
    expect(opencode.resume.parse("opencode run -s ses_abcdefgh1")).toEqual({
      engine: "opencode",
      value: "ses_abcdefgh1",
    });
  });
});
