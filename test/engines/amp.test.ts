import { describe, expect, test } from "bun:test";
import { createAmpEngine } from "../../src/engines/amp.ts";
import { job, lastCompleted, loadMessages, replay } from "./replay.ts";

// Amp fixtures are synthetic (no recording exists): see test/fixtures/engines/amp/README.md.
const amp = createAmpEngine({ model: "smart-label" });
const msgs = (name: string) => loadMessages("amp", `${name}.synthetic.stdout.jsonl`);

describe("amp parser (claude stream-json shape)", () => {
  test("tool run: T- thread id, actions, answer, usage", () => {
    const r = replay(amp, job({ cwd: "/work/proj" }), msgs("tool-bash"));
    expect(r.started[0]?.resume).toEqual({ engine: "amp", value: "T-2775dc92-90ed-4f85-8b73-8f9766029e83" });
    expect(r.started[0]?.meta).toEqual({ model: "smart-label" });
    expect(r.actions.map((a) => [a.action.kind, a.action.title, a.phase, a.ok])).toEqual([
      ["command", "echo hello > out.txt", "started", undefined],
      ["command", "echo hello > out.txt", "completed", true],
      ["file_change", "src/app.ts", "started", undefined],
      ["file_change", "src/app.ts", "completed", true],
    ]);
    expect(lastCompleted(r).answer).toBe("Done: wrote out.txt and edited src/app.ts.");
    expect(lastCompleted(r).usage).toEqual({ inputTokens: 2100, outputTokens: 64 });
  });

  test("error result", () => {
    const done = lastCompleted(replay(amp, job(), msgs("api-error")));
    expect(done.ok).toBe(false);
    expect(done.error).toBe("400 fake invalid request (FAKE_API_ERROR)");
  });
});

describe("amp command line", () => {
  test("new and resumed; continue tokens start fresh; the prompt goes to stdin, never the command line", () => {
    expect(createAmpEngine().buildArgs(job({ prompt: "-v" }))).toEqual(["--stream-json", "-x"]);
    expect(createAmpEngine().stdinText?.(job({ prompt: "-v" }))).toBe("-v");
    const def = createAmpEngine({ mode: "rush", dangerously_allow_all: true, stream_json_input: true });
    expect(def.buildArgs(job({ resume: { engine: "amp", value: "T-11111111-2222-4333-8444-555555555555" } }))).toEqual([
      "threads",
      "continue",
      "T-11111111-2222-4333-8444-555555555555",
      "--dangerously-allow-all",
      "--mode",
      "rush",
      "--stream-json",
      "--stream-json-input",
      "-x",
    ]);
    // --stream-json-input: one Claude-shaped user message, then stdin closes.
    expect(def.stdinText?.(job({}))).toBe(
      `${JSON.stringify({ type: "user", message: { role: "user", content: [{ type: "text", text: "say hi" }] } })}\n`,
    );
    expect(
      def.buildArgs(job({ resume: { engine: "amp", value: "", isContinue: true }, model: "deep" })).slice(0, 3),
    ).toEqual(["--dangerously-allow-all", "--mode", "deep"]);
    expect(amp.supportsContinue).toBe(false);
  });

  test("bad mode and managed flags rejected", () => {
    expect(() => createAmpEngine(JSON.parse('{ "mode": "turbo" }'))).toThrow(/amp\.mode/);
    expect(() => createAmpEngine({ extra_args: ["--stream-json"] })).toThrow(/amp\.extra_args/);
  });

  test("resume line round-trips", () => {
    const token = { engine: "amp", value: "T-2775dc92-90ed-4f85-8b73-8f9766029e83" };
    expect(amp.resume.format(token)).toBe("amp threads continue T-2775dc92-90ed-4f85-8b73-8f9766029e83");
    expect(amp.resume.parse(amp.resume.format(token))).toEqual(token);
    expect(amp.resume.parse("amp threads continue 1234")).toBeUndefined();
  });
});
