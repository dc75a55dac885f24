// Claude Code: always driven in stream-json control mode. The prompt goes over stdin as a user
// message and stdin stays open, so tool-permission questions (`can_use_tool`) come back to us on
// stdout and our answers go back on stdin (the exchange recorded in the claude fixtures).
import { definePermissions } from "./permissions.ts";
import { defineResumeSyntax, UUID } from "./resume-syntax.ts";
import { UntetherError } from "../errors.ts";
import { logger } from "../log/logger.ts";
import type { Action, EngineEvent, ResumeToken, Usage } from "./events.ts";
import {
  contentText,
  inputSummary,
  isRecord,
  type Json,
  list,
  missingCompletionText,
  num,
  optionalBool,
  optionalString,
  rec,
  rejectManagedFlags,
  RunTracker,
  str,
  stringList,
  toolAction,
  truncate,
} from "./tool-actions.ts";
import type {
  EngineDefinition,
  EngineJob,
  EngineParser,
  PermissionDecision,
  PermissionRequest,
  StdinSession,
} from "./types.ts";

/** The `[claude]` table (untether-behaviour.md §2.6). */
export interface ClaudeOptions {
  model?: string;
  extra_args?: string[];
  allowed_tools?: string[];
  dangerously_skip_permissions?: boolean;
  use_api_billing?: boolean;
  permission_mode?: string;
}

export const CLAUDE_PERMISSION_MODES = ["plan", "auto", "acceptEdits", "default", "bypassPermissions"] as const;

const MANAGED = [
  "-p",
  "--print",
  "--output-format",
  "--input-format",
  "--resume",
  "-r",
  "--continue",
  "-c",
  "--permission-mode",
  "--permission-prompt-tool",
  // Has its own config key, so that turning it on is visible in the config, not buried in a list.
  "--dangerously-skip-permissions",
];

const DEFAULT_ALLOWED_TOOLS = ["Bash", "Read", "Edit", "Write"];

/** The request id of our initialize handshake (the SDK's `req_<n>_<suffix>` shape, as recorded). */
export const CLAUDE_INIT_REQUEST_ID = "req_1_init";


// ---- permission rule ----------------------------------------------------------------------------

const ALWAYS_ASK = new Set(["AskUserQuestion"]);
const ASK_IN_DEFAULT_MODE = new Set(["Bash", "Edit", "Write", "MultiEdit", "NotebookEdit"]);

/**
 * Which `can_use_tool` questions go to a human. AskUserQuestion always (only a person can answer
 * it); ExitPlanMode unless the mode is "auto" (plan, then proceed without asking); the tools that
 * change files or run commands when the mode is "default" or unset. Everything else Claude asks
 * about is allowed with its input echoed back: the mode the user chose already expresses consent.
 */
export function claudeNeedsApproval(toolName: string, permissionMode: string | undefined): boolean {
  if (ALWAYS_ASK.has(toolName)) return true;
  if (toolName === "ExitPlanMode") return permissionMode !== "auto";
  if (ASK_IN_DEFAULT_MODE.has(toolName)) return permissionMode === undefined || permissionMode === "default";
  return false;
}

// ---- control channel lines ----------------------------------------------------------------------

export function claudeInitializeLine(): string {
  return JSON.stringify({
    type: "control_request",
    request_id: CLAUDE_INIT_REQUEST_ID,
    request: { subtype: "initialize", hooks: null },
  });
}

/** The user message. session_id stays "" even when resuming: `--resume` selects the session (recorded). */
export function claudeUserLine(prompt: string): string {
  return JSON.stringify({
    type: "user",
    message: { role: "user", content: prompt },
    parent_tool_use_id: null,
    session_id: "",
  });
}

export function claudePermissionResponseLine(
  requestId: string,
  decision: PermissionDecision,
  originalInput: Json,
): string {
  const response =
    decision.behavior === "allow"
      ? { behavior: "allow", updatedInput: decision.updatedInput ?? originalInput }
      : { behavior: "deny", message: decision.message };
  return JSON.stringify({ type: "control_response", response: { subtype: "success", request_id: requestId, response } });
}

function successLine(requestId: string): string {
  return JSON.stringify({ type: "control_response", response: { subtype: "success", request_id: requestId, response: {} } });
}

function errorLine(requestId: string, error: string): string {
  return JSON.stringify({ type: "control_response", response: { subtype: "error", request_id: requestId, error } });
}

// Requests we answer "done" without asking anyone: we register no hooks, no SDK MCP servers and no
// checkpoints, so these carry nothing to decide.
const ACK_SUBTYPES = new Set(["initialize", "hook_callback", "mcp_message", "rewind_files", "interrupt", "set_permission_mode"]);

export function createClaudeStdinSession(
  job: EngineJob,
  permissionMode: string | undefined,
  ask: (req: PermissionRequest) => Promise<PermissionDecision>,
): StdinSession {
  return {
    initialLines: [claudeInitializeLine(), claudeUserLine(job.prompt)],
    onMessage(msg, write) {
      if (msg.type === "control_response") {
        const response = rec(msg.response);
        if (response.subtype === "error") {
          logger().warn({ requestId: str(response.request_id), error: str(response.error) }, "engine.claude.control_error");
        }
        return true;
      }
      if (msg.type !== "control_request") return false;
      const requestId = str(msg.request_id);
      const request = rec(msg.request);
      const subtype = str(request.subtype) ?? "";
      if (requestId === undefined) return true;
      if (subtype === "can_use_tool") {
        const toolName = str(request.tool_name) ?? "";
        const input = rec(request.input);
        if (!claudeNeedsApproval(toolName, permissionMode)) {
          write(claudePermissionResponseLine(requestId, { behavior: "allow" }, input));
          return true;
        }
        ask({ requestId, toolName, input })
          .catch((err: unknown): PermissionDecision => {
            logger().warn({ requestId, err }, "engine.claude.ask_failed");
            return { behavior: "deny", message: "The permission request could not be shown to the user." };
          })
          .then((decision) => write(claudePermissionResponseLine(requestId, decision, input)));
        // Not fully handled: the parser turns it into a warning action so the user sees the buttons.
        return false;
      }
      if (ACK_SUBTYPES.has(subtype)) {
        write(successLine(requestId));
        return true;
      }
      write(errorLine(requestId, `Unsupported control request subtype: ${subtype}`));
      return true;
    },
  };
}

// ---- stream-json parser (shared with amp) ---------------------------------------------------------

interface StreamJsonParserOptions {
  engine: string;
  displayName: string;
  job: EngineJob;
  permissionMode?: string;
}

function usageOf(result: Json): Usage | undefined {
  const usage = rec(result.usage);
  const input = num(usage.input_tokens);
  const output = num(usage.output_tokens);
  const cost = num(result.total_cost_usd);
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
    if (requestId === undefined || !claudeNeedsApproval(toolName, opts.permissionMode)) return [];
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

// ---- definition ---------------------------------------------------------------------------------

function permissionModeOption(v: unknown): string | undefined {
  const mode = optionalString("claude", "permission_mode", v);
  if (mode !== undefined && !(CLAUDE_PERMISSION_MODES as readonly string[]).includes(mode)) {
    throw new UntetherError(
      "engine.bad_option",
      `Invalid \`claude.permission_mode\`; expected one of ${CLAUDE_PERMISSION_MODES.join(", ")}.`,
    );
  }
  return mode;
}

export const CLAUDE_RESUME = defineResumeSyntax({
  engine: "claude",
  command: "claude\\s+(?:--resume|-r)",
  idPattern: UUID,
  show: (id) => `claude --resume ${id}`,
  showContinue: "claude --continue",
});

export function createClaudeEngine(options: ClaudeOptions = {}): EngineDefinition {
  const o: Json = { ...options };
  const extraArgs = stringList("claude", "extra_args", o.extra_args, []);
  rejectManagedFlags("claude", extraArgs, MANAGED);
  const allowedTools = stringList("claude", "allowed_tools", o.allowed_tools, DEFAULT_ALLOWED_TOOLS);
  const model = optionalString("claude", "model", o.model);
  const skipPermissions = optionalBool("claude", "dangerously_skip_permissions", o.dangerously_skip_permissions, false);
  const apiBilling = optionalBool("claude", "use_api_billing", o.use_api_billing, false);
  const configuredMode = permissionModeOption(o.permission_mode);
  const modeOf = (job: EngineJob): string | undefined => job.permissionMode ?? configuredMode;

  return {
    id: "claude",
    cli: "claude",
    displayName: "Claude Code",
    supportsContinue: true,
    buildArgs(job) {
      const args = ["-p", "--output-format", "stream-json", "--input-format", "stream-json", "--verbose", ...extraArgs];
      if (job.resume?.isContinue) args.push("--continue");
      else if (job.resume?.value) args.push("--resume", CLAUDE_RESUME.checkedId(job.resume));
      const m = job.model ?? model;
      if (m !== undefined) args.push("--model", m);
      if (allowedTools.length > 0) args.push("--allowedTools", allowedTools.join(","));
      if (skipPermissions) args.push("--dangerously-skip-permissions");
      const mode = modeOf(job);
      // "auto" is ours: plan first, then ExitPlanMode is approved without asking.
      if (mode !== undefined) args.push("--permission-mode", mode === "auto" ? "plan" : mode);
      args.push("--permission-prompt-tool", "stdio");
      return args;
    },
    createParser(job) {
      return createStreamJsonParser({ engine: "claude", displayName: "Claude Code", job, permissionMode: modeOf(job) });
    },
    createStdinSession(job, ask) {
      return createClaudeStdinSession(job, modeOf(job), ask);
    },
    extraEnv: () => ({ UNTETHER_SESSION: "1" }),
    // Without use_api_billing a stray API key would silently bill the user instead of the subscription.
    removeEnv: () => (apiBilling ? [] : ["ANTHROPIC_API_KEY"]),
    resume: CLAUDE_RESUME,
    permissions: definePermissions({
      configured: configuredMode ?? "default",
      order: ["plan", "default", "auto", "acceptEdits", "bypassPermissions"],
      shellWithoutApproval: (mode) =>
        skipPermissions || mode === "bypassPermissions" || allowedTools.some((t) => t === "Bash" || t.startsWith("Bash(")),
    }),
  };
}
