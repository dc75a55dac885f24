import { describe, expect, test } from "bun:test";
import { createGeminiEngine } from "../../src/engines/gemini.ts";
import { fixtureSessionId, job, lastCompleted, loadMessages, numField, replay } from "./replay.ts";

const gemini = createGeminiEngine();
const msgs = (name: string) => loadMessages("gemini", `${name}.stdout.jsonl`);
const sessionId = (name: string) => fixtureSessionId("gemini", `${name}.stdout.jsonl`);

describe("gemini parser", () => {
  test("say-hi: deltas joined, stats as usage", () => {
    const r = replay(gemini, job(), msgs("say-hi"));
    expect(r.started[0]?.resume).toEqual({ engine: "gemini", value: sessionId("say-hi") });
    expect(r.started[0]?.meta).toEqual({ model: "auto" });
    const done = lastCompleted(r);
    expect(done.answer).toBe("Hi! I am the fake model.");
    const result = msgs("say-hi").find((m) => m.type === "result");
    expect(done.usage).toEqual({
      inputTokens: numField(result, "stats", "input_tokens"),
      outputTokens: numField(result, "stats", "output_tokens"),
    });
  });

  test("tool-shell-yolo: command action and the reply after the tool as the answer", () => {
    const r = replay(gemini, job(), msgs("tool-shell-yolo"));
    expect(r.actions.map((a) => [a.action.kind, a.action.title, a.phase, a.ok])).toEqual([
      ["command", "echo hello > out.txt", "started", undefined],
      ["command", "echo hello > out.txt", "completed", true],
    ]);
    expect(lastCompleted(r).answer).toStartWith("Tool finished: <untrusted_context>");
  });

  test("tool-shell-default: no tool offered, plain answer", () => {
    const r = replay(gemini, job(), msgs("tool-shell-default"));
    expect(r.actions).toHaveLength(0);
    expect(lastCompleted(r).ok).toBe(true);
  });

  test("api-error: the provider message", () => {
    const done = lastCompleted(replay(gemini, job(), msgs("api-error")));
    expect(done.ok).toBe(false);
    expect(done.error).toBe("400 fake invalid request (FAKE_API_ERROR)");
  });

  test("resume by id keeps the session; resume latest gives the newest", () => {
    // The recorder resumed the say-hi session by id, and "latest" right after say-hi: both report its id.
    expect(sessionId("resume-id")).toBe(sessionId("say-hi"));
    expect(sessionId("resume-latest")).toBe(sessionId("say-hi"));
    const resume = { engine: "gemini", value: sessionId("say-hi") };
    const byId = replay(gemini, job({ resume }), msgs("resume-id"));
    expect(byId.started[0]?.resume).toEqual(resume);
    expect(lastCompleted(byId).ok).toBe(true);
    const latest = replay(
      gemini,
      job({ resume: { engine: "gemini", value: "", isContinue: true } }),
      msgs("resume-latest"),
    );
    expect(latest.started[0]?.resume.value).toBe(sessionId("say-hi"));
    expect(lastCompleted(latest).answer).toBe("I see 2 user messages in this conversation.");
  });

  test("no result: the last error is in the message", () => {
    const parser = gemini.createParser(job());
    parser.parse({ type: "init", session_id: "s1" });
    parser.parse({ type: "error", message: "quota exceeded" });
    expect(parser.missingCompletion(1)).toBe("gemini exited (code 1) without a final result: quota exceeded");
  });
});

describe("gemini command line", () => {
  test("new, resume, latest; the prompt goes to stdin, never the command line", () => {
    expect(gemini.buildArgs(job({ prompt: "-rf" }))).toEqual([
      "--output-format",
      "stream-json",
      "--approval-mode",
      "yolo",
      "--skip-trust",
    ]);
    expect(gemini.stdinText?.(job({ prompt: "-rf" }))).toBe("-rf");
    const def = createGeminiEngine({ skip_trust: false, model: "gemini-pro" });
    expect(
      def.buildArgs(
        job({ resume: { engine: "gemini", value: "11111111-2222-4333-8444-555555555555" }, permissionMode: "default" }),
      ),
    ).toEqual([
      "--resume",
      "11111111-2222-4333-8444-555555555555",
      "--output-format",
      "stream-json",
      "--model",
      "gemini-pro",
      "--approval-mode",
      "default",
    ]);
    expect(def.buildArgs(job({ resume: { engine: "gemini", value: "", isContinue: true } })).slice(0, 2)).toEqual([
      "--resume",
      "latest",
    ]);
  });

  test("managed flags rejected", () => {
    expect(() => createGeminiEngine({ extra_args: ["--yolo"] })).toThrow(/gemini\.extra_args/);
  });

  test("resume line round-trips", () => {
    const token = { engine: "gemini", value: "8f685e6c-3780-4121-93b8-3d466f59eadb" };
    expect(gemini.resume.format(token)).toBe("gemini --resume 8f685e6c-3780-4121-93b8-3d466f59eadb");
    expect(gemini.resume.parse(gemini.resume.format(token))).toEqual(token);
  });
});
