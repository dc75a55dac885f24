import { describe, expect, test } from "bun:test";
import { createOpencodeEngine } from "../../src/engines/opencode.ts";
import { job, lastCompleted, loadMessages, replay } from "./replay.ts";

const opencode = createOpencodeEngine();
const msgs = (name: string) => loadMessages("opencode", `${name}.stdout.jsonl`);

describe("opencode parser", () => {
  test("say-hi: session, answer, tokens and cost", () => {
    const r = replay(opencode, job(), msgs("say-hi"));
    expect(r.started[0]?.resume).toEqual({ engine: "opencode", value: "ses_df1ee545fffeBwxAlfGBjddRUc" });
    const done = lastCompleted(r);
    expect(done.answer).toBe("Hi! I am the fake model.");
    expect(done.usage).toEqual({ inputTokens: 2454, outputTokens: 9, costUsd: 0 });
  });

  test("tool-bash: completed tool seen as started + completed; answer from the last step", () => {
    const r = replay(opencode, job(), msgs("tool-bash"));
    expect(r.actions.map((a) => [a.action.kind, a.action.title, a.phase, a.ok])).toEqual([
      ["command", "echo hello > out.txt", "started", undefined],
      ["command", "echo hello > out.txt", "completed", true],
    ]);
    const done = lastCompleted(r);
    expect(done.answer).toBe("Tool finished: (no output)");
    expect(done.usage).toEqual({ inputTokens: 2462 + 2537, outputTokens: 36, costUsd: 0 });
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
    expect(r.started[0]?.resume.value).toBe("ses_df1ee1616ffeUgW545BFqcc1Jy");
    expect(lastCompleted(r).ok).toBe(false);
    expect(lastCompleted(r).error).toBe("fake invalid request (FAKE_API_ERROR)");
  });

  test.each(["resume", "continue"])("%s", (name) => {
    const r = replay(opencode, job({ resume: { engine: "opencode", value: "ses_df1ee545fffeBwxAlfGBjddRUc" } }), msgs(name));
    expect(lastCompleted(r).ok).toBe(true);
  });
});

describe("opencode command line", () => {
  test("the prompt goes to stdin, never the command line", () => {
    expect(opencode.buildArgs(job({ prompt: "-x" }))).toEqual(["run", "--format", "json"]);
    expect(opencode.stdinText?.(job({ prompt: "-x" }))).toBe("-x");
    const def = createOpencodeEngine({ model: "fake/fake-model" });
    expect(def.buildArgs(job({ resume: { engine: "opencode", value: "ses_abcdefgh12" } }))).toEqual([
      "run", "--format", "json", "--session", "ses_abcdefgh12", "--model", "fake/fake-model",
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
    expect(opencode.resume.parse("opencode run -s ses_abcdefgh1")).toEqual({ engine: "opencode", value: "ses_abcdefgh1" });
  });
});
