import { describe, expect, test } from "bun:test";
import { createCodexEngine, unwrapShell } from "../../src/engines/codex.ts";
import { field, fixtureSessionId, job, lastCompleted, loadMessages, numField, replay } from "./replay.ts";

const codex = createCodexEngine();
const msgs = (name: string) => loadMessages("codex", `${name}.stdout.jsonl`);
const threadId = (name: string) => fixtureSessionId("codex", `${name}.stdout.jsonl`);
const turnUsage = (name: string) => msgs(name).find((m) => m.type === "turn.completed");
/** The text of the last agent_message item of a fixture (what codex last said). */
function lastAgentText(name: string): string {
  const items = msgs(name)
    .filter((m) => m.type === "item.completed")
    .map((m) => field(m, "item") as Record<string, unknown>)
    .filter((i) => i.type === "agent_message");
  const text = items.at(-1)?.text;
  if (typeof text !== "string") throw new Error(`codex/${name} has no agent message`);
  return text;
}

describe("codex parser", () => {
  test("say-hi: thread id, answer, usage", () => {
    const r = replay(codex, job(), msgs("say-hi"));
    expect(r.started[0]?.resume).toEqual({ engine: "codex", value: threadId("say-hi") });
    const done = lastCompleted(r);
    expect(done.ok).toBe(true);
    expect(done.answer).toBe("Hi! I am the fake model.");
    const usage = turnUsage("say-hi");
    expect(done.usage).toEqual({
      inputTokens: numField(usage, "usage", "input_tokens"),
      outputTokens: numField(usage, "usage", "output_tokens"),
    });
    // The recording's model-metadata error item is a warning; the turn brackets the answer.
    expect(r.actions.map((a) => [a.action.kind, a.phase])).toEqual([
      ["warning", "completed"],
      ["turn", "started"],
      ["turn", "completed"],
    ]);
  });

  test("workspace-write: command started and completed ok, the last message is the answer", () => {
    const r = replay(codex, job(), msgs("tool-shell-workspace-write"));
    const cmds = r.actions.filter((a) => a.action.kind === "command");
    expect(cmds.map((a) => [a.action.title, a.phase, a.ok])).toEqual([
      ["echo hello > out.txt", "started", undefined],
      ["echo hello > out.txt", "completed", true],
    ]);
    expect(lastCompleted(r).answer).toStartWith("Tool finished: Chunk ID: ");
    expect(lastCompleted(r).answer).toBe(lastAgentText("tool-shell-workspace-write"));
  });

  test("read-only: no command succeeds, the sandbox refusal is in the answer, the run itself is ok", () => {
    const r = replay(codex, job(), msgs("tool-shell-read-only"));
    expect(r.actions.filter((a) => a.action.kind === "command" && a.ok === true)).toHaveLength(0);
    expect(lastCompleted(r).answer).toBe(lastAgentText("tool-shell-read-only"));
    expect(lastCompleted(r).answer).toContain("Read-only file system");
    expect(lastCompleted(r).ok).toBe(true);
  });

  test("read-only (earlier recording with command items): the failing command completes not ok with its exit code", () => {
    const r = replay(codex, job(), msgs("tool-shell-read-only.recorded"));
    const done = r.actions.find((a) => a.action.kind === "command" && a.phase === "completed");
    expect(done?.ok).toBe(false);
    expect(done?.action.detail.exitCode).toBe(1);
    expect(done?.action.detail.output).toContain("Read-only file system");
    expect(lastCompleted(r).ok).toBe(true);
  });

  test("unknown model: the error item is a warning, the run still succeeds", () => {
    const r = replay(codex, job(), msgs("say-hi-unknown-model"));
    const warn = r.actions.find((a) => a.action.kind === "warning");
    expect(warn?.action.title).toContain("Model metadata for `gpt-fake` not found");
    expect(lastCompleted(r).ok).toBe(true);
  });

  test("api-error: turn.failed → completed not ok with the provider message", () => {
    const done = lastCompleted(replay(codex, job(), msgs("api-error")));
    expect(done.ok).toBe(false);
    expect(done.error).toBe("fake invalid request (FAKE_API_ERROR)");
  });

  test("missing key: the error text reaches the user", () => {
    const done = lastCompleted(replay(codex, job(), msgs("error-missing-key")));
    expect(done.ok).toBe(false);
    expect(done.error).toBe("Missing environment variable: `FAKE_OPENAI_API_KEY`.");
  });

  test("resume keeps the thread id", () => {
    // The recorder resumed the say-hi thread: the resumed run reports the same id.
    expect(threadId("resume")).toBe(threadId("say-hi"));
    const resume = { engine: "codex", value: threadId("say-hi") };
    const r = replay(codex, job({ resume }), msgs("resume"));
    expect(r.started[0]?.resume).toEqual(resume);
    expect(lastCompleted(r).ok).toBe(true);
    expect(lastCompleted(r).answer).toBe("I see 2 user messages in this conversation.");
  });

  test("no completion: clear message", () => {
    const parser = codex.createParser(job());
    expect(parser.missingCompletion(1)).toBe("codex exited (code 1) without a final result: no thread id was reported");
    parser.parse({ type: "thread.started", thread_id: "t" });
    expect(parser.missingCompletion(1)).toBe("codex exited (code 1) without a final result");
  });

  test("reconnect errors are progress notes", () => {
    const parser = codex.createParser(job());
    parser.parse({ type: "thread.started", thread_id: "t" });
    const [ev] = parser.parse({ type: "error", message: "Reconnecting... 1/5" });
    expect(ev?.type === "action" && ev.action.kind).toBe("note");
  });
});

describe("codex command line", () => {
  test("new run reads the prompt from stdin", () => {
    expect(codex.buildArgs(job({ prompt: "-v" }))).toEqual([
      "-c",
      "notify=[]",
      "--ask-for-approval",
      "never",
      "exec",
      "--json",
      "--skip-git-repo-check",
      "--color=never",
      "-",
    ]);
    expect(codex.stdinText?.(job({ prompt: "-v" }))).toBe("-v");
  });

  test("resume, continue, profile, model, safe mode", () => {
    const def = createCodexEngine({ profile: "work", extra_args: [] });
    expect(
      def.buildArgs(
        job({
          resume: { engine: "codex", value: "11111111-2222-4333-8444-555555555555" },
          model: "gpt-5",
          permissionMode: "safe",
        }),
      ),
    ).toEqual([
      "--profile",
      "work",
      "--model",
      "gpt-5",
      "--ask-for-approval",
      "untrusted",
      "exec",
      "--json",
      "--skip-git-repo-check",
      "--color=never",
      "resume",
      "11111111-2222-4333-8444-555555555555",
      "-",
    ]);
    expect(def.buildArgs(job({ resume: { engine: "codex", value: "", isContinue: true } })).slice(-3)).toEqual([
      "resume",
      "--last",
      "-",
    ]);
  });

  test.each(["--json", "--color=always", "-o", "--output-last-message=x", "--ask-for-approval"])(
    "managed %s rejected",
    (flag) => {
      expect(() => createCodexEngine({ extra_args: [flag] })).toThrow(/codex\.extra_args/);
    },
  );

  test("resume line round-trips", () => {
    const token = { engine: "codex", value: "01a20e10-971d-7860-9d09-e649d3ab6dc3" };
    expect(codex.resume.format(token)).toBe("codex resume 01a20e10-971d-7860-9d09-e649d3ab6dc3");
    expect(codex.resume.parse(`done\n${codex.resume.format(token)}`)).toEqual(token);
  });

  test("shell wrapper is removed from titles", () => {
    expect(unwrapShell("/bin/bash -lc 'echo hello > out.txt'")).toBe("echo hello > out.txt");
    expect(unwrapShell("/bin/bash -lc 'echo '\\''q'\\'''")).toBe("echo 'q'");
    expect(unwrapShell("ls -la")).toBe("ls -la");
  });
});
