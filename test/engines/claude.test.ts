import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { claudeInitializeLine, claudeNeedsApproval, createClaudeEngine } from "../../src/engines/claude.ts";
import type { PermissionDecision, PermissionRequest } from "../../src/engines/types.ts";
import { UntetherError } from "../../src/errors.ts";
import { createLogger, setLogger } from "../../src/log/logger.ts";
import {
  ACC_CWD,
  fixturePath,
  fixtureSessionId,
  job,
  lastCompleted,
  loadMessages,
  numField,
  replay,
  strField,
} from "./replay.ts";

const claude = createClaudeEngine();

function stdinLines(name: string): string[] {
  return readFileSync(fixturePath("claude", name), "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

function outMessages(name: string): Record<string, unknown>[] {
  return loadMessages("claude", name);
}

/** The result line of a claude fixture (answer, usage and cost as the CLI reported them). */
function resultOf(name: string): Record<string, unknown> {
  const r = outMessages(name).find((m) => m.type === "result");
  if (!r) throw new Error(`claude/${name} has no result`);
  return r;
}

describe("claude parser", () => {
  test("say-hi: started with session and meta, completed with answer, usage and cost", () => {
    const r = replay(claude, job(), outMessages("say-hi.stdout.jsonl"));
    const session = fixtureSessionId("claude", "say-hi.stdout.jsonl");
    const init = outMessages("say-hi.stdout.jsonl")[0];
    expect(r.started).toHaveLength(1);
    expect(r.started[0]?.resume).toEqual({ engine: "claude", value: session });
    expect(r.started[0]?.meta).toEqual({ model: strField(init, "model"), permissionMode: "default" });
    const done = lastCompleted(r);
    expect(done.ok).toBe(true);
    expect(done.answer).toBe("Hi! I am the fake model.");
    const result = resultOf("say-hi.stdout.jsonl");
    expect(done.usage).toEqual({
      inputTokens: numField(result, "usage", "input_tokens"),
      outputTokens: numField(result, "usage", "output_tokens"),
      costUsd: numField(result, "total_cost_usd"),
    });
    expect(done.resume?.value).toBe(session);
  });

  test("say-hi-partial: stream_event lines are ignored", () => {
    const done = lastCompleted(replay(claude, job(), outMessages("say-hi-partial.stdout.jsonl")));
    expect(done.ok).toBe(true);
    expect(done.answer).toBe("Hi! I am the fake model.");
  });

  test("api-error: completed not ok with the API error text", () => {
    const done = lastCompleted(replay(claude, job(), outMessages("api-error.stdout.jsonl")));
    expect(done.ok).toBe(false);
    expect(done.error).toBe("API Error: 400 fake invalid request (FAKE_API_ERROR)");
  });

  test("interrupt: completed not ok, partial text kept as the answer", () => {
    const done = lastCompleted(replay(claude, job(), outMessages("interrupt.stdout.jsonl")));
    expect(done.ok).toBe(false);
    expect(done.error).toBe("Claude Code run was interrupted");
    expect(done.answer).toBe("This answer streams slowly. This answer streams ");
  });

  test("tool-bash-allow: a command action started then completed ok", () => {
    const r = replay(claude, job(), outMessages("tool-bash-allow.stdout.jsonl"));
    // The recorded stdout includes the permission question: it is surfaced, then closed by the result.
    expect(r.actions.map((a) => [a.action.kind, a.action.title, a.phase, a.ok])).toEqual([
      ["command", "echo hello > out.txt", "started", undefined],
      ["warning", "Bash: echo hello > out.txt", "started", undefined],
      ["warning", "Bash: echo hello > out.txt", "completed", true],
      ["command", "echo hello > out.txt", "completed", true],
    ]);
    expect(lastCompleted(r).answer).toBe("Tool finished: (Bash completed with no output)");
    expect(lastCompleted(r).usage).toEqual({ inputTokens: 3418, outputTokens: 71, costUsd: 0.018865 });
  });

  test("tool-bash-deny: the tool completes not ok", () => {
    const r = replay(claude, job(), outMessages("tool-bash-deny.stdout.jsonl"));
    expect(r.actions.at(-1)?.ok).toBe(false);
    expect(lastCompleted(r).answer).toBe("Tool failed: Denied by the acceptance harness (user said no).");
  });

  test("tool-write-allow-init: file change shown relative to the run dir", () => {
    const r = replay(claude, job({ cwd: ACC_CWD }), outMessages("tool-write-allow-init.stdout.jsonl"));
    const first = r.actions[0];
    expect(first?.action.kind).toBe("file_change");
    expect(first?.action.title).toBe("note.txt");
    expect(first?.action.detail.changes).toEqual([{ path: "note.txt", kind: "update" }]);
    expect(lastCompleted(r).ok).toBe(true);
  });

  test("resume: same session id comes back", () => {
    // The recorder resumed the say-hi session: the resumed run reports the same id.
    expect(fixtureSessionId("claude", "resume.stdout.jsonl")).toBe(fixtureSessionId("claude", "say-hi.stdout.jsonl"));
    const resume = { engine: "claude", value: fixtureSessionId("claude", "say-hi.stdout.jsonl") };
    const r = replay(claude, job({ resume }), outMessages("resume.stdout.jsonl"));
    expect(r.started[0]?.resume.value).toBe(resume.value);
    expect(lastCompleted(r).answer).toBe("I see 2 user messages in this conversation.");
  });

  test("resume-stream: stream-json resume parses the same way", () => {
    const resume = { engine: "claude", value: fixtureSessionId("claude", "resume-stream.stdout.jsonl") };
    const r = replay(claude, job({ resume }), outMessages("resume-stream.stdout.jsonl"));
    expect(lastCompleted(r).ok).toBe(true);
    expect(lastCompleted(r).answer).toBe("I see 3 user messages in this conversation.");
  });

  test("a resumed run reporting another session fails", () => {
    const r = replay(
      claude,
      job({ resume: { engine: "claude", value: "other-session" } }),
      outMessages("say-hi.stdout.jsonl"),
    );
    expect(r.started).toHaveLength(1);
    expect(lastCompleted(r).ok).toBe(false);
    expect(lastCompleted(r).error).toContain("other-session");
  });

  test("missing result: clear message with the exit code", () => {
    const msgs = outMessages("say-hi.stdout.jsonl").slice(0, 2);
    const r = replay(claude, job(), msgs, { exitCode: 1 });
    expect(lastCompleted(r).error).toBe("Claude Code exited (code 1) without a final result");
  });

  test("unknown and odd messages are ignored", () => {
    const parser = claude.createParser(job());
    expect(parser.parse({ type: "rate_limit_event" })).toEqual([]);
    expect(parser.parse({ type: "assistant", message: "nonsense" })).toEqual([]);
    expect(parser.parse({})).toEqual([]);
  });
});

describe("claude command line and env", () => {
  test("new run: control mode, prompt not on argv", () => {
    expect(claude.buildArgs(job({ prompt: "-rf everything" }))).toEqual([
      "-p",
      "--output-format",
      "stream-json",
      "--input-format",
      "stream-json",
      "--verbose",
      "--allowedTools",
      "Bash,Read,Edit,Write",
      "--permission-prompt-tool",
      "stdio",
    ]);
  });

  test("resume, continue, model, permission mode (auto → plan), skip permissions, extra args", () => {
    const def = createClaudeEngine({
      model: "opus",
      extra_args: ["--max-turns", "5"],
      dangerously_skip_permissions: true,
      permission_mode: "acceptEdits",
      allowed_tools: [],
    });
    const resumed = def.buildArgs(
      job({ resume: { engine: "claude", value: "11111111-2222-4333-8444-555555555555" }, permissionMode: "auto" }),
    );
    expect(resumed).toEqual([
      "-p",
      "--output-format",
      "stream-json",
      "--input-format",
      "stream-json",
      "--verbose",
      "--max-turns",
      "5",
      "--resume",
      "11111111-2222-4333-8444-555555555555",
      "--model",
      "opus",
      "--dangerously-skip-permissions",
      "--permission-mode",
      "plan",
      "--permission-prompt-tool",
      "stdio",
    ]);
    const cont = def.buildArgs(job({ resume: { engine: "claude", value: "", isContinue: true }, model: "sonnet" }));
    expect(cont).toContain("--continue");
    expect(cont.slice(cont.indexOf("--model"), cont.indexOf("--model") + 2)).toEqual(["--model", "sonnet"]);
    expect(cont.slice(cont.indexOf("--permission-mode"), cont.indexOf("--permission-mode") + 2)).toEqual([
      "--permission-mode",
      "acceptEdits",
    ]);
  });

  test.each(["-p", "--resume=abc", "--permission-prompt-tool", "--output-format", "-c"])(
    "managed flag %s is rejected naming the flag and the key",
    (flag) => {
      let err: unknown;
      try {
        createClaudeEngine({ extra_args: ["--verbose", flag] });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UntetherError);
      expect((err as UntetherError).code).toBe("engine.managed_flag");
      expect((err as UntetherError).message).toContain(`'${flag.split("=")[0]}'`);
      expect((err as UntetherError).message).toContain("claude.extra_args");
    },
  );

  test("invalid permission_mode is a config error", () => {
    expect(() => createClaudeEngine(JSON.parse('{ "permission_mode": "yolo" }'))).toThrow(/claude\.permission_mode/);
  });

  test("env: marker added, API key removed unless use_api_billing", () => {
    expect(claude.extraEnv?.()).toEqual({ UNTETHER_SESSION: "1" });
    expect(claude.removeEnv?.()).toEqual(["ANTHROPIC_API_KEY"]);
    expect(createClaudeEngine({ use_api_billing: true }).removeEnv?.()).toEqual([]);
  });

  test("resume line round-trips", () => {
    const token = { engine: "claude", value: "144faec0-4b9e-4e71-b6c0-25b1a751d3d1" };
    const line = claude.resume.format(token);
    expect(line).toBe("claude --resume 144faec0-4b9e-4e71-b6c0-25b1a751d3d1");
    expect(claude.resume.parse(`answer text\n\n↩️ ${line}`)).toEqual(token);
    expect(claude.resume.parse("claude -r 144faec0-4b9e-4e71-b6c0-25b1a751d3d1")).toEqual(token);
    expect(claude.resume.parse("claude -r abc-1")).toBeUndefined();
    expect(claude.resume.parse("please run claude --resume on it")).toBeUndefined();
  });
});

describe("claude stdin control channel", () => {
  const tick = () => Bun.sleep(1);

  function sessionFor(prompt: string, decide: (req: PermissionRequest) => PermissionDecision, permissionMode?: string) {
    const asked: PermissionRequest[] = [];
    const session = claude.createStdinSession?.(
      job({ prompt, cwd: ACC_CWD, ...(permissionMode ? { permissionMode } : {}) }),
      async (req) => {
        asked.push(req);
        return decide(req);
      },
    );
    if (!session) throw new Error("claude has a stdin session");
    return { session, asked };
  }

  test("initialize + user message + allow answer = the recorded stdin of tool-write-allow-init", async () => {
    const { session, asked } = sessionFor("FAKE_WRITE please write a note", () => ({ behavior: "allow" }));
    const written: string[] = [];
    for (const msg of outMessages("tool-write-allow-init.exchange.jsonl"))
      session.onMessage(msg, (l) => written.push(l));
    await tick();
    expect([...session.initialLines, ...written]).toEqual(stdinLines("tool-write-allow-init.stdin.jsonl"));
    expect(asked.map((a) => a.toolName)).toEqual(["Write"]);
  });

  test.each([
    ["tool-bash-allow", { behavior: "allow" } as PermissionDecision],
    [
      "tool-bash-deny",
      { behavior: "deny", message: "Denied by the acceptance harness (user said no)." } as PermissionDecision,
    ],
  ])("%s: user message + answer match the recording", async (name, decision) => {
    const { session, asked } = sessionFor("FAKE_BASH please write hello to out.txt", () => decision);
    expect(session.initialLines[0]).toBe(claudeInitializeLine());
    const written: string[] = [];
    for (const msg of outMessages(`${name}.exchange.jsonl`)) session.onMessage(msg, (l) => written.push(l));
    await tick();
    // The recordings were made without the initialize handshake.
    expect([session.initialLines[1], ...written]).toEqual(stdinLines(`${name}.stdin.jsonl`));
    expect(asked).toHaveLength(1);
    expect(asked[0]?.input).toEqual({ command: "echo hello > out.txt", description: "Write hello to out.txt" });
  });

  test("tools that need no human are allowed at once with the input echoed", () => {
    const { session, asked } = sessionFor("x", () => ({ behavior: "deny", message: "no" }), "acceptEdits");
    const request = outMessages("tool-bash-allow.exchange.jsonl").find((m) => m.type === "control_request");
    if (!request) throw new Error("fixture has a request");
    const written: string[] = [];
    expect(session.onMessage(request, (l) => written.push(l))).toBe(true);
    expect(asked).toHaveLength(0);
    expect(written).toEqual(stdinLines("tool-bash-allow.stdin.jsonl").slice(1));
  });

  test("permission rule", () => {
    expect(claudeNeedsApproval("AskUserQuestion", "bypassPermissions")).toBe(true);
    expect(claudeNeedsApproval("ExitPlanMode", "plan")).toBe(true);
    expect(claudeNeedsApproval("ExitPlanMode", "auto")).toBe(false);
    for (const t of ["Bash", "Edit", "Write", "MultiEdit", "NotebookEdit"]) {
      expect(claudeNeedsApproval(t, undefined)).toBe(true);
      expect(claudeNeedsApproval(t, "default")).toBe(true);
      expect(claudeNeedsApproval(t, "acceptEdits")).toBe(false);
    }
    expect(claudeNeedsApproval("Read", undefined)).toBe(false);
    expect(claudeNeedsApproval("WebFetch", "default")).toBe(false);
  });

  test("other control requests are acknowledged; unknown ones get an error; responses are consumed", () => {
    const { session } = sessionFor("x", () => ({ behavior: "allow" }));
    const written: string[] = [];
    const w = (l: string) => written.push(l);
    expect(
      session.onMessage({ type: "control_request", request_id: "r1", request: { subtype: "hook_callback" } }, w),
    ).toBe(true);
    expect(session.onMessage({ type: "control_request", request_id: "r2", request: { subtype: "teleport" } }, w)).toBe(
      true,
    );
    expect(
      session.onMessage({ type: "control_response", response: { subtype: "success", request_id: "req_1_init" } }, w),
    ).toBe(true);
    expect(session.onMessage({ type: "assistant", message: {} }, w)).toBe(false);
    expect(written.map((l) => JSON.parse(l))).toEqual([
      { type: "control_response", response: { subtype: "success", request_id: "r1", response: {} } },
      {
        type: "control_response",
        response: { subtype: "error", request_id: "r2", error: "Unsupported control request subtype: teleport" },
      },
    ]);
  });

  test("a failing ask becomes a deny, never a hang", async () => {
    const lines: string[] = [];
    setLogger(createLogger({ level: "warn", sink: { write: (l) => void lines.push(l) }, pretty: false }));
    const session = claude.createStdinSession?.(job(), async () => {
      throw new Error("transport down");
    });
    const written: string[] = [];
    session?.onMessage(
      {
        type: "control_request",
        request_id: "r9",
        request: { subtype: "can_use_tool", tool_name: "AskUserQuestion", input: {} },
      },
      (l) => written.push(l),
    );
    await tick();
    expect(JSON.parse(written[0] ?? "{}").response.response.behavior).toBe("deny");
    expect(lines.join("")).toContain("engine.claude.ask_failed");
  });

  test.each([
    ["tool-bash-allow", true],
    ["tool-bash-deny", false],
  ])("%s: the pending question is surfaced as a warning action, closed when answered", (name, ok) => {
    const { session } = sessionFor("FAKE_BASH", () => ({ behavior: "allow" }));
    const r = replay(claude, job({ cwd: ACC_CWD }), outMessages(`${name}.exchange.jsonl`), { session });
    const warnings = r.actions.filter((a) => a.action.kind === "warning");
    expect(warnings.map((w) => [w.phase, w.ok])).toEqual([
      ["started", undefined],
      ["completed", ok],
    ]);
    const detail = warnings[0]?.action.detail;
    expect(detail?.needsApproval).toBe(true);
    expect(detail?.toolName).toBe("Bash");
    expect(typeof detail?.requestId).toBe("string");
    expect(detail?.input).toBe("echo hello > out.txt");
    expect(warnings[1]?.action.detail.needsApproval).toBe(false);
    expect(lastCompleted(r).ok).toBe(true);
  });
});
