// pi: `pi --print --mode json`, the prompt on stdin (print mode reads a piped stdin as the message;
// nothing of it on the command line). pi has no permission prompts.
import { chmodSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { defineEngine } from "./define.ts";
import type { Action, EngineEvent, Usage } from "./events.ts";
import { contentText, isRecord, type Json, list, numOf, rec, str, truncate } from "./json.ts";
import { definePermissions } from "./permissions.ts";
import { missingCompletionText, RunTracker } from "./run-tracker.ts";
import { toolAction } from "./tool-actions.ts";
import type { EngineJob, EngineParser } from "./types.ts";

/**
 * pi keeps its sessions (full transcripts) in `<agent dir>/sessions/--<cwd with / \ : → ->--/`.
 * Created 0700, and tightened to 0700 if it already existed, before every spawn (§3.6).
 * Returns the directory.
 */
export function preparePiSessionDir(cwd: string, env: Record<string, string | undefined>): string {
  const agentDir = env.PI_CODING_AGENT_DIR || join(env.HOME || homedir(), ".pi", "agent");
  const encoded = cwd.replace(/^[/\\]/, "").replace(/[/\\:]/g, "-");
  const dir = join(agentDir, "sessions", `--${encoded}--`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/**
 * The resume token for a session header id. The original shortened it to the text before the first
 * `-`; pi 0.73 ids are UUIDv7, whose first 8 hex digits are a timestamp shared by every session
 * started in the same ~65 s, so the short form could resume someone else's conversation. We keep the
 * full id (what `pi --session <id>` was recorded with).
 */
export function promotePiToken(headerId: string): string {
  return headerId;
}

function addUsage(total: Usage | undefined, u: Json): Usage | undefined {
  const input = numOf(u.input);
  const output = numOf(u.output);
  const cost = numOf(rec(u.cost).total);
  if (input === undefined && output === undefined) return total;
  const next: Usage = {
    inputTokens: (total?.inputTokens ?? 0) + (input ?? 0),
    outputTokens: (total?.outputTokens ?? 0) + (output ?? 0),
  };
  const sumCost = (total?.costUsd ?? 0) + (cost ?? 0);
  if (total?.costUsd !== undefined || cost !== undefined) next.costUsd = sumCost;
  return next;
}

export function createPiParser(job: EngineJob, model?: string): EngineParser {
  const run = new RunTracker("pi", job.resume);
  let answer = "";
  let error: string | undefined;
  let usage: Usage | undefined;
  let notes = 0;

  const note = (title: string): EngineEvent[] => {
    notes += 1;
    const action: Action = { id: `note_${notes}`, kind: "note", title, detail: {} };
    return run.action(action, "completed", true);
  };

  const onMessageEnd = (message: Json): void => {
    if (message.role !== "assistant") return;
    const text = contentText(list(message.content).filter((b) => isRecord(b) && b.type === "text"));
    if (text) answer = text;
    usage = addUsage(usage, rec(message.usage));
    error = message.stopReason === "error" ? (str(message.errorMessage) ?? "pi reported an error") : undefined;
  };

  return {
    parse(msg) {
      if (run.isDone) return [];
      const type = str(msg.type) ?? "";
      switch (type) {
        case "session":
          return run.start(promotePiToken(str(msg.id) ?? ""), { model: job.model ?? model });
        case "tool_execution_start": {
          const id = str(msg.toolCallId) ?? "";
          return run.action(toolAction(id, str(msg.toolName) ?? "tool", rec(msg.args), job.cwd), "started");
        }
        case "tool_execution_end": {
          const id = str(msg.toolCallId) ?? "";
          const started = run.opened(id) ?? toolAction(id, str(msg.toolName) ?? "tool", rec(msg.args), job.cwd);
          const result = truncate(contentText(rec(msg.result).content), 500);
          return run.action({ ...started, detail: { ...started.detail, result } }, "completed", msg.isError !== true);
        }
        case "message_end":
          onMessageEnd(rec(msg.message));
          return [];
        case "agent_end": {
          const fields: Parameters<RunTracker["complete"]>[0] = { ok: error === undefined, answer };
          if (error !== undefined) fields.error = error;
          if (usage !== undefined) fields.usage = usage;
          return run.complete(fields);
        }
        default:
          if (type.startsWith("auto_compaction_"))
            return note(type === "auto_compaction_start" ? "compacting context" : "context compacted");
          if (type.startsWith("auto_retry_")) return note(type === "auto_retry_start" ? "retrying" : "retry finished");
          return [];
      }
    },
    missingCompletion(exitCode) {
      if (exitCode === 0 && !run.isStarted) return "pi exited cleanly (code 0) but produced no events";
      return missingCompletionText("pi", exitCode, error);
    },
  };
}

/** `pi --thinking <level>` (0.73 `--help`: off, minimal, low, medium, high, xhigh). */
export const PI_THINKING_LEVELS = ["off", "minimal", "low", "medium", "high", "xhigh"] as const;

export const piEngine = defineEngine(
  { id: "pi", cli: "pi", displayName: "pi", npm: "@mariozechner/pi-coding-agent", supportsContinue: true },
  ({ options, extraArgs, modelArgs, resumeArgs }) => ({
    buildArgs(job) {
      const args = [...extraArgs, "--print", "--mode", "json"];
      if (options.provider !== undefined) args.push("--provider", options.provider);
      // A new run lets pi create its session (in the directory preparePiSessionDir secured); the
      // `session` header then gives us the token.
      args.push(...modelArgs(job), ...resumeArgs(job));
      if (job.reasoning !== undefined) args.push("--thinking", job.reasoning);
      return args;
    },
    createParser: (job) => createPiParser(job, options.model),
    reasoningLevels: PI_THINKING_LEVELS,
    env: { add: { NO_COLOR: "1", CI: "1" } },
    // pi has no permission prompts: its tools always run.
    permissions: definePermissions({ configured: undefined, order: [undefined], shellWithoutApproval: () => true }),
  }),
);

export const createPiEngine = piEngine.create;
