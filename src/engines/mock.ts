// The `mock` engine definition: runs the mock agent (src/engines/mock-engine-main.ts) as a real
// child process — this very program, compiled or from source — and parses its JSONL.
import { definePermissions } from "./permissions.ts";
import { RESUME_SYNTAX } from "./resume-syntax.ts";
import type { EngineDefinition, EngineParser, PermissionDecision, PermissionRequest, StdinSession } from "./types.ts";

/** argv prefix that re-executes this program: the binary itself, or bun + src/main.ts from source. */
export function selfCommand(): string[] {
  const here = import.meta.path;
  if (here.startsWith("/$bunfs/") || here.startsWith("B:\\~BUN")) return [process.execPath];
  return [process.execPath, new URL("../main.ts", import.meta.url).pathname];
}

export const MOCK_RESUME = RESUME_SYNTAX.mock;

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function createMockParser(): EngineParser {
  let session = "";
  return {
    parse(msg) {
      switch (msg.type) {
        case "session":
          session = str(msg.id);
          return [
            { type: "started", engine: "mock", resume: { engine: "mock", value: session }, meta: { model: "mock-1" } },
          ];
        case "note":
          return [
            {
              type: "action",
              engine: "mock",
              phase: "completed",
              ok: true,
              action: { id: str(msg.id), kind: "note", title: str(msg.text), detail: {} },
            },
          ];
        case "command": {
          const completed = msg.phase === "completed";
          const exit = typeof msg.exit_code === "number" ? msg.exit_code : undefined;
          return [
            {
              type: "action",
              engine: "mock",
              phase: completed ? "completed" : "started",
              ok: completed ? exit === 0 : undefined,
              action: {
                id: str(msg.id),
                kind: "command",
                title: str(msg.command),
                detail: exit === undefined ? {} : { exit_code: exit },
              },
            },
          ];
        }
        case "file":
          return [
            {
              type: "action",
              engine: "mock",
              phase: "completed",
              ok: true,
              action: {
                id: str(msg.id),
                kind: "file_change",
                title: str(msg.path),
                detail: { changes: [{ path: str(msg.path), kind: "update" }] },
              },
            },
          ];
        case "final":
          return [
            {
              type: "completed",
              engine: "mock",
              ok: true,
              answer: str(msg.answer),
              resume: { engine: "mock", value: str(msg.session) || session },
            },
          ];
        default:
          return [];
      }
    },
    missingCompletion(exitCode) {
      return `the mock agent exited (code ${exitCode ?? "none"}) without a final answer`;
    },
  };
}

/** The first stdin line: the prompt, as one JSON line (never on the command line). */
export function mockPromptLine(prompt: string): string {
  return JSON.stringify({ type: "prompt", text: prompt });
}

function createMockStdin(prompt: string, ask: (req: PermissionRequest) => Promise<PermissionDecision>): StdinSession {
  return {
    initialLines: [mockPromptLine(prompt)],
    onMessage(msg, write) {
      if (msg.type !== "control_request") return false;
      const req = (msg.request ?? {}) as Record<string, unknown>;
      const requestId = str(msg.request_id);
      void ask({ requestId, toolName: str(req.tool_name), input: (req.input ?? {}) as Record<string, unknown> }).then(
        (d) =>
          write(
            JSON.stringify({
              type: "control_response",
              response: { subtype: "success", request_id: requestId, response: d },
            }),
          ),
      );
      return true;
    },
  };
}

export function createMockEngine(opts: { delayMs?: number } = {}): EngineDefinition {
  const [cli, ...prefix] = selfCommand() as [string, ...string[]];
  return {
    id: "mock",
    cli,
    displayName: "Mock agent",
    supportsContinue: false,
    buildArgs(job) {
      const args = [...prefix, "__mock-engine"];
      args.push(...MOCK_RESUME.args(job.resume));
      if (opts.delayMs) args.push("--delay-ms", String(opts.delayMs));
      return args;
    },
    // Without a permission channel the prompt line is written and stdin closed; with one it stays open.
    stdinText: (job) => `${mockPromptLine(job.prompt)}\n`,
    createParser: () => createMockParser(),
    createStdinSession: (job, ask) => createMockStdin(job.prompt, ask),
    resume: MOCK_RESUME,
    permissions: definePermissions({ configured: undefined, order: [undefined], shellWithoutApproval: () => false }),
  };
}
