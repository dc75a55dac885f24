import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPiEngine, preparePiSessionDir } from "../../src/engines/pi.ts";
import { field, fixtureSessionId, job, lastCompleted, loadMessages, numField, replay } from "./replay.ts";

const pi = createPiEngine();
const msgs = (name: string) => loadMessages("pi", `${name}.stdout.jsonl`);
const sessionId = (name: string) => fixtureSessionId("pi", `${name}.stdout.jsonl`);
/** The usage of each model call in a fixture (its assistant message_end lines). */
function modelCalls(name: string): { input: number; output: number; cost: number }[] {
  return msgs(name)
    .filter((m) => m.type === "message_end" && field(m, "message", "role") === "assistant")
    .map((m) => {
      const msg = field(m, "message") as Record<string, unknown>;
      return {
        input: numField(msg, "usage", "input"),
        output: numField(msg, "usage", "output"),
        cost: numField(msg, "usage", "cost", "total"),
      };
    });
}

describe("pi parser", () => {
  test("say-hi: session id token, answer, usage", () => {
    const r = replay(pi, job(), msgs("say-hi"));
    expect(r.started[0]?.resume).toEqual({ engine: "pi", value: sessionId("say-hi") });
    const done = lastCompleted(r);
    expect(done.ok).toBe(true);
    expect(done.answer).toBe("Hi! I am the fake model.");
    const calls = modelCalls("say-hi");
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(done.usage).toEqual({
      inputTokens: call?.input ?? NaN,
      outputTokens: call?.output ?? NaN,
      costUsd: call?.cost ?? NaN,
    });
  });

  test("tool-bash: command action, usage summed over both model calls", () => {
    const r = replay(pi, job(), msgs("tool-bash"));
    expect(r.actions.map((a) => [a.action.kind, a.action.title, a.phase, a.ok])).toEqual([
      ["command", "echo hello > out.txt", "started", undefined],
      ["command", "echo hello > out.txt", "completed", true],
    ]);
    const done = lastCompleted(r);
    expect(done.answer).toBe("Tool finished: (no output)");
    const calls = modelCalls("tool-bash");
    expect(calls).toHaveLength(2);
    const [a, b] = calls;
    expect(done.usage).toEqual({
      inputTokens: (a?.input ?? NaN) + (b?.input ?? NaN),
      outputTokens: (a?.output ?? NaN) + (b?.output ?? NaN),
      costUsd: (a?.cost ?? NaN) + (b?.cost ?? NaN),
    });
  });

  test("api-error exits 0 but the run is reported failed", () => {
    const done = lastCompleted(replay(pi, job(), msgs("api-error")));
    expect(done.ok).toBe(false);
    expect(done.error).toBe("400 fake invalid request (FAKE_API_ERROR)");
  });

  test.each(["resume", "continue"])("%s keeps the session", (name) => {
    // The recorder resumed / continued the say-hi session: both runs report its id.
    expect(sessionId(name)).toBe(sessionId("say-hi"));
    const resume =
      name === "resume" ? { engine: "pi", value: sessionId("say-hi") } : { engine: "pi", value: "", isContinue: true };
    const r = replay(pi, job({ resume }), msgs(name));
    expect(r.started[0]?.resume.value).toBe(sessionId("say-hi"));
    expect(lastCompleted(r).ok).toBe(true);
  });

  test("a short (prefix) token is accepted on resume", () => {
    const prefix = sessionId("resume").slice(0, 8);
    const r = replay(pi, job({ resume: { engine: "pi", value: prefix } }), msgs("resume"));
    expect(lastCompleted(r).ok).toBe(true);
  });

  test("no agent_end: clear message", () => {
    expect(pi.createParser(job()).missingCompletion(0)).toBe("pi exited cleanly (code 0) but produced no events");
    const r = replay(pi, job(), msgs("say-hi").slice(0, 3), { exitCode: 2 });
    expect(lastCompleted(r).error).toBe("pi exited (code 2) without a final result");
  });
});

describe("pi command line and session dir", () => {
  test("new, resume, continue; the prompt goes to stdin, never the command line", () => {
    const def = createPiEngine({ provider: "fake", model: "fake-model" });
    expect(def.buildArgs(job({ prompt: "-x" }))).toEqual([
      "--print",
      "--mode",
      "json",
      "--provider",
      "fake",
      "--model",
      "fake-model",
    ]);
    expect(def.stdinText?.(job({ prompt: "-x" }))).toBe("-x");
    expect(
      def.buildArgs(job({ resume: { engine: "pi", value: "11111111-2222-4333-8444-555555555555" } })).slice(-2),
    ).toEqual(["--session", "11111111-2222-4333-8444-555555555555"]);
    expect(def.buildArgs(job({ resume: { engine: "pi", value: "", isContinue: true } })).slice(-1)).toEqual([
      "--continue",
    ]);
    expect(def.extraEnv?.()).toEqual({ NO_COLOR: "1", CI: "1" });
  });

  test("managed flags rejected", () => {
    expect(() => createPiEngine({ extra_args: ["--mode=text"] })).toThrow(/'--mode'.*pi\.extra_args/);
  });

  test("resume line round-trips; a path is not a session id", () => {
    const token = { engine: "pi", value: "01a20e10-d45d-72f5-8085-a2be95d09b6e" };
    expect(pi.resume.format(token)).toBe("pi --session 01a20e10-d45d-72f5-8085-a2be95d09b6e");
    expect(pi.resume.parse(pi.resume.format(token))).toEqual(token);
    expect(pi.resume.parse('pi --session "/home/u/my s.jsonl"')).toBeUndefined();
    expect(pi.resume.parse("pi --session /etc/passwd")).toBeUndefined();
  });

  test("session dir is created 0700 and tightened if it exists", () => {
    const root = mkdtempSync(join(tmpdir(), "untether-pi-"));
    const dir = preparePiSessionDir("/srv/app:1/x", { PI_CODING_AGENT_DIR: root });
    expect(dir).toBe(join(root, "sessions", "--srv-app-1-x--"));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    chmodSync(dir, 0o755);
    preparePiSessionDir("/srv/app:1/x", { PI_CODING_AGENT_DIR: root });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const home = mkdtempSync(join(tmpdir(), "untether-pihome-"));
    mkdirSync(join(home, ".pi"));
    expect(preparePiSessionDir("/w", { HOME: home })).toBe(join(home, ".pi", "agent", "sessions", "--w--"));
  });
});
