// Codex: `codex exec --json`, prompt on stdin (never on argv, so no quoting or `-` problems).
import { defineEngine } from "./define.ts";
import type { Action, EngineEvent, Usage } from "./events.ts";
import { isRecord, type Json, list, numOf, rec, str, truncate, unwrapErrorText } from "./json.ts";
import { definePermissions } from "./permissions.ts";
import { missingCompletionText, RunTracker } from "./run-tracker.ts";
import { pathFromCwd } from "./tool-actions.ts";
import type { EngineJob, EngineParser } from "./types.ts";

const RECONNECT_RE = /^Reconnecting\.\.\.\s*\d+\/\d+/;

/** `/bin/bash -lc 'echo hi'` → `echo hi`: the wrapper is noise in a progress line. */
export function unwrapShell(command: string): string {
  const m = /^\S*\/(?:ba|z)?sh\s+-l?c\s+'(.*)'$/s.exec(command);
  return m?.[1] !== undefined ? m[1].replace(/'\\''/g, "'") : command;
}

function itemAction(item: Json, cwd: string): Action | undefined {
  const id = str(item.id) ?? "";
  switch (item.type) {
    case "command_execution": {
      const command = unwrapShell(str(item.command) ?? "");
      return { id, kind: "command", title: truncate(command.split("\n", 1)[0] ?? "", 200), detail: { command } };
    }
    case "file_change": {
      const changes = list(item.changes)
        .filter(isRecord)
        .map((c) => ({ path: pathFromCwd(str(c.path) ?? "", cwd), kind: str(c.kind) ?? "update" }));
      return { id, kind: "file_change", title: changes.map((c) => c.path).join(", ") || "files", detail: { changes } };
    }
    case "mcp_tool_call":
      return { id, kind: "tool", title: `${str(item.server) ?? "mcp"}.${str(item.tool) ?? "tool"}`, detail: {} };
    case "web_search":
      return { id, kind: "web_search", title: str(item.query) ?? "web search", detail: { query: str(item.query) } };
    case "todo_list":
      return { id, kind: "note", title: "update todos", detail: {} };
    case "reasoning":
      return {
        id,
        kind: "note",
        title: truncate((str(item.text) ?? "thinking").split("\n", 1)[0] ?? "", 200),
        detail: {},
      };
    default:
      return undefined;
  }
}

function itemOk(item: Json): boolean {
  if (item.status === "failed" || item.status === "declined") return false;
  const exit = numOf(item.exit_code);
  if (exit !== undefined && exit !== 0) return false;
  return !isRecord(item.error);
}

export function createCodexParser(job: EngineJob, model?: string, profile?: string): EngineParser {
  const run = new RunTracker("codex", job.resume, false);
  let answer = "";
  let turns = 0;
  let lastError: string | undefined;

  const turnAction = (): Action => ({ id: `turn_${turns}`, kind: "turn", title: `turn ${turns}`, detail: {} });

  const onItem = (phase: "started" | "updated" | "completed", item: Json): EngineEvent[] => {
    if (item.type === "agent_message") {
      if (phase === "completed") answer = str(item.text) ?? answer;
      return [];
    }
    if (item.type === "error") {
      const message = str(item.message) ?? "codex reported an error";
      const action: Action = {
        id: str(item.id) ?? "error",
        kind: "warning",
        title: truncate(message, 200),
        detail: { message },
      };
      return run.action(action, "completed", false);
    }
    const action = itemAction(item, job.cwd);
    if (action === undefined) return [];
    if (phase !== "completed") return run.action(action, phase);
    const output = str(item.aggregated_output);
    if (output) action.detail.output = truncate(output, 500);
    const exit = numOf(item.exit_code);
    if (exit !== undefined) action.detail.exitCode = exit;
    return run.action(action, "completed", itemOk(item));
  };

  return {
    parse(msg) {
      if (run.isDone) return [];
      switch (msg.type) {
        case "thread.started":
          return run.start(
            str(msg.thread_id) ?? "",
            { model: job.model ?? model, permissionMode: job.permissionMode },
            profile,
          );
        case "turn.started":
          turns += 1;
          return run.action(turnAction(), "started");
        case "item.started":
        case "item.updated":
        case "item.completed":
          return isRecord(msg.item) ? onItem(msg.type.slice(5) as "started" | "updated" | "completed", msg.item) : [];
        case "turn.completed": {
          const u = rec(msg.usage);
          const usage: Usage = { inputTokens: numOf(u.input_tokens) ?? 0, outputTokens: numOf(u.output_tokens) ?? 0 };
          return [...run.action(turnAction(), "completed", true), ...run.complete({ ok: true, answer, usage })];
        }
        case "turn.failed": {
          const error = unwrapErrorText(str(rec(msg.error).message) ?? lastError ?? "codex turn failed");
          return [...run.action(turnAction(), "completed", false), ...run.complete({ ok: false, answer, error })];
        }
        case "error": {
          const message = unwrapErrorText(str(msg.message) ?? "codex reported an error");
          const reconnect = RECONNECT_RE.test(message);
          if (!reconnect) lastError = message;
          const action: Action = {
            id: reconnect ? "codex.reconnect" : `error_${turns}`,
            kind: reconnect ? "note" : "warning",
            title: truncate(message, 200),
            detail: { message },
          };
          return run.action(action, reconnect ? "updated" : "completed", reconnect ? undefined : false);
        }
        default:
          return [];
      }
    },
    missingCompletion(exitCode) {
      if (!run.isStarted) return missingCompletionText("codex", exitCode, lastError ?? "no thread id was reported");
      return missingCompletionText("codex", exitCode, lastError);
    },
  };
}

/** `-c model_reasoning_effort=<level>`: the values of codex's `model_reasoning_effort` config key. */
export const CODEX_REASONING_LEVELS = ["minimal", "low", "medium", "high", "xhigh"] as const;

export const codexEngine = defineEngine(
  { id: "codex", cli: "codex", displayName: "Codex", npm: "@openai/codex", supportsContinue: true },
  ({ options, extraArgs, modelArgs, resumeArgs }) => ({
    buildArgs(job) {
      // extra_args and the options before `exec` are codex's global options.
      const args = [...extraArgs];
      if (options.profile !== undefined) args.push("--profile", options.profile);
      args.push(...modelArgs(job));
      if (job.reasoning !== undefined) args.push("-c", `model_reasoning_effort=${job.reasoning}`);
      args.push("--ask-for-approval", job.permissionMode === "safe" ? "untrusted" : "never");
      args.push("exec", "--json", "--skip-git-repo-check", "--color=never", ...resumeArgs(job));
      args.push("-"); // read the prompt from stdin
      return args;
    },
    createParser: (job) => createCodexParser(job, options.model, options.profile),
    reasoningLevels: CODEX_REASONING_LEVELS,
    // "safe" asks (untrusted); anything else runs with --ask-for-approval never.
    permissions: definePermissions({
      configured: undefined,
      order: ["safe", undefined],
      shellWithoutApproval: (mode) => mode !== "safe",
    }),
  }),
);

export const createCodexEngine = codexEngine.create;
