// The stream-json parser shared by Claude Code and Amp (Amp prints Claude's shape): assistant text
// and tool_use blocks, tool_result blocks, the final `result` with usage and cost, and Claude's
// `can_use_tool` control requests as approval actions.
import type { Action, EngineEvent, Usage } from "./events.ts";
import { contentText, isRecord, type Json, list, numOf, rec, str, truncate } from "./json.ts";
import { missingCompletionText, RunTracker } from "./run-tracker.ts";
import { inputSummary, toolAction } from "./tool-actions.ts";
import type { EngineJob, EngineParser } from "./types.ts";

export interface StreamJsonParserOptions {
  engine: string;
  displayName: string;
  job: EngineJob;
  /**
   * Which `can_use_tool` control requests go to a human (they become approval actions); the others
   * are answered by the engine's stdin session. Without it no request becomes an approval.
   */
  needsApproval?(toolName: string): boolean;
}

function usageOf(result: Json): Usage | undefined {
  const usage = rec(result.usage);
  const input = numOf(usage.input_tokens);
  const output = numOf(usage.output_tokens);
  const cost = numOf(result.total_cost_usd);
  if (input === undefined && output === undefined && cost === undefined) return undefined;
  const u: Usage = { inputTokens: input ?? 0, outputTokens: output ?? 0 };
  if (cost !== undefined) u.costUsd = cost;
  return u;
}

/** The error text of a failed `result`: its own text, else its `errors`, else its subtype. */
function resultError(result: Json, displayName: string): string {
  const text = str(result.result) ?? str(result.error);
  if (text) return text;
  if (result.subtype === "error_during_execution") return `${displayName} run was interrupted`;
  const errors = list(result.errors).filter((e): e is string => typeof e === "string");
  if (errors.length > 0) return errors.join("; ");
  return `${displayName} run failed (${str(result.subtype) ?? "error"})`;
}

const OPENING_TYPES = new Set(["assistant", "user", "result"]);

/** Parser for Claude's stream-json shape; Amp prints the same shape. */
export function createStreamJsonParser(opts: StreamJsonParserOptions): EngineParser {
  const { engine, displayName, job } = opts;
  const run = new RunTracker(engine, job.resume);
  let lastText = "";
  let lastError: string | undefined;
  // tool_use id → approval action, so the approval closes when the tool's result arrives.
  const approvalsByTool = new Map<string, Action>();
  const approvalsByRequest = new Map<string, Action>();

  const closeApproval = (approval: Action, ok: boolean): EngineEvent[] => {
    for (const [k, v] of approvalsByTool) if (v === approval) approvalsByTool.delete(k);
    for (const [k, v] of approvalsByRequest) if (v === approval) approvalsByRequest.delete(k);
    const done: Action = { ...approval, detail: { ...approval.detail, needsApproval: false } };
    return run.action(done, "completed", ok);
  };

  const onAssistant = (msg: Json): EngineEvent[] => {
    const message = rec(msg.message);
    const events: EngineEvent[] = [];
    const texts: string[] = [];
    for (const block of list(message.content)) {
      if (!isRecord(block)) continue;
      if ((block.type === "tool_use" || block.type === "server_tool_use") && typeof block.id === "string") {
        const action = toolAction(block.id, str(block.name) ?? "tool", rec(block.input), job.cwd);
        events.push(...run.action(action, "started"));
      } else if (block.type === "text" && typeof block.text === "string") {
        texts.push(block.text);
      }
    }
    if (texts.length > 0) lastText = texts.join("");
    if (typeof msg.error === "string" && texts.length > 0) lastError = lastText;
    return events;
  };

  const onUser = (msg: Json): EngineEvent[] => {
    const events: EngineEvent[] = [];
    for (const block of list(rec(msg.message).content)) {
      if (!isRecord(block) || block.type !== "tool_result") continue;
      const toolUseId = str(block.tool_use_id);
      if (toolUseId === undefined) continue;
      const ok = block.is_error !== true;
      const approval = approvalsByTool.get(toolUseId);
      if (approval) events.push(...closeApproval(approval, ok));
      const started = run.opened(toolUseId) ?? toolAction(toolUseId, "tool", {}, job.cwd);
      const preview = truncate(contentText(block.content), 500);
      events.push(...run.action({ ...started, detail: { ...started.detail, result: preview } }, "completed", ok));
    }
    return events;
  };

  const onPermissionRequest = (msg: Json): EngineEvent[] => {
    const requestId = str(msg.request_id);
    const request = rec(msg.request);
    const toolName = str(request.tool_name) ?? "";
    if (requestId === undefined || !opts.needsApproval?.(toolName)) return [];
    const input = rec(request.input);
    const summary = inputSummary(toolName, input, job.cwd);
    const approval: Action = {
      id: `approval:${requestId}`,
      kind: "warning",
      title: `${toolName}: ${summary}`,
      detail: { requestId, toolName, input: summary, needsApproval: true },
    };
    approvalsByRequest.set(requestId, approval);
    const toolUseId = str(request.tool_use_id);
    if (toolUseId !== undefined) approvalsByTool.set(toolUseId, approval);
    return run.action(approval, "started");
  };

  const onResult = (msg: Json): EngineEvent[] => {
    const events: EngineEvent[] = [];
    for (const approval of new Set(approvalsByRequest.values())) events.push(...closeApproval(approval, false));
    const isError = msg.is_error === true;
    const answer = str(msg.result) ?? lastText;
    const usage = usageOf(msg);
    const fields: Parameters<RunTracker["complete"]>[0] = { ok: !isError, answer: isError ? lastText : answer };
    if (isError) fields.error = resultError(msg, displayName);
    if (usage !== undefined) fields.usage = usage;
    events.push(...run.complete(fields));
    return events;
  };

  return {
    parse(msg) {
      if (run.isDone) return [];
      const events: EngineEvent[] = [];
      const sessionId = str(msg.session_id);
      if (msg.type === "system" && msg.subtype === "init" && sessionId !== undefined) {
        const meta = { model: str(msg.model), permissionMode: str(msg.permissionMode) };
        return run.start(sessionId, meta);
      }
      // Any message carrying the session id can open the run if `init` was missed.
      if (!run.isStarted && sessionId !== undefined && OPENING_TYPES.has(String(msg.type))) {
        events.push(...run.start(sessionId));
        if (run.isDone) return events;
      }
      // The hot path (one call per line): no array copies when nothing was opened above.
      const more = (next: EngineEvent[]) => (events.length === 0 ? next : events.concat(next));
      switch (msg.type) {
        case "assistant":
          return more(onAssistant(msg));
        case "user":
          return more(onUser(msg));
        case "result":
          return more(onResult(msg));
        case "control_request":
          return rec(msg.request).subtype === "can_use_tool" ? [...events, ...onPermissionRequest(msg)] : events;
        case "control_cancel_request": {
          const approval = approvalsByRequest.get(str(msg.request_id) ?? "");
          return approval ? [...events, ...closeApproval(approval, false)] : events;
        }
        default:
          return events;
      }
    },
    missingCompletion(exitCode) {
      return missingCompletionText(displayName, exitCode, lastError);
    },
  };
}
