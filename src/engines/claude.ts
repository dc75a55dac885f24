// Claude Code: always driven in stream-json control mode. The prompt goes over stdin as a user
// message and stdin stays open, so tool-permission questions (`can_use_tool`) come back to us on
// stdout and our answers go back on stdin (the exchange recorded in the claude fixtures).
import { logger } from "../log/logger.ts";
import { defineEngine } from "./define.ts";
import { type Json, rec, str } from "./json.ts";
import { definePermissions } from "./permissions.ts";
import { createStreamJsonParser } from "./stream-json.ts";
import type { EngineJob, PermissionDecision, PermissionRequest, PromptImage, StdinSession } from "./types.ts";

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

/**
 * The user message. session_id stays "" even when resuming: `--resume` selects the session (recorded).
 * With images the content is a list of blocks: the text, then each image as a base64 image block.
 */
export function claudeUserLine(prompt: string, images: readonly PromptImage[] = []): string {
  const content =
    images.length === 0
      ? prompt
      : [
          { type: "text", text: prompt },
          ...images.map((i) => ({
            type: "image",
            source: { type: "base64", media_type: i.mediaType, data: Buffer.from(i.data).toString("base64") },
          })),
        ];
  return JSON.stringify({
    type: "user",
    message: { role: "user", content },
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
  return JSON.stringify({
    type: "control_response",
    response: { subtype: "success", request_id: requestId, response },
  });
}

function successLine(requestId: string): string {
  return JSON.stringify({
    type: "control_response",
    response: { subtype: "success", request_id: requestId, response: {} },
  });
}

function errorLine(requestId: string, error: string): string {
  return JSON.stringify({ type: "control_response", response: { subtype: "error", request_id: requestId, error } });
}

// Requests we answer "done" without asking anyone: we register no hooks, no SDK MCP servers and no
// checkpoints, so these carry nothing to decide.
const ACK_SUBTYPES = new Set([
  "initialize",
  "hook_callback",
  "mcp_message",
  "rewind_files",
  "interrupt",
  "set_permission_mode",
]);

export function createClaudeStdinSession(
  job: EngineJob,
  permissionMode: string | undefined,
  ask: (req: PermissionRequest) => Promise<PermissionDecision>,
): StdinSession {
  return {
    initialLines: [claudeInitializeLine(), claudeUserLine(job.prompt, job.images)],
    onMessage(msg, write) {
      if (msg.type === "control_response") {
        const response = rec(msg.response);
        if (response.subtype === "error") {
          logger().warn(
            { requestId: str(response.request_id), error: str(response.error) },
            "engine.claude.control_error",
          );
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

// ---- stream watchdog ---------------------------------------------------------------------------

/** Claude's own MCP output cap, as the original Untether set it. */
export const CLAUDE_MAX_MCP_OUTPUT_TOKENS = 12000;

/**
 * Claude Code's own watchdog variables, from `[watchdog]`: defaults only — the same names in the
 * user's environment win (engines/process.ts engineEnv).
 */
export function claudeWatchdogEnv(w: {
  claude_stream_idle_timeout_ms: number;
  mcp_tool_timeout: number;
}): Record<string, string> {
  return {
    CLAUDE_ENABLE_STREAM_WATCHDOG: "1",
    CLAUDE_STREAM_IDLE_TIMEOUT_MS: String(w.claude_stream_idle_timeout_ms),
    MCP_TOOL_TIMEOUT: String(Math.round(w.mcp_tool_timeout * 1000)),
    MAX_MCP_OUTPUT_TOKENS: String(CLAUDE_MAX_MCP_OUTPUT_TOKENS),
  };
}

/** `claude --effort <level>` (2.1.197 `--help`: low, medium, high, xhigh, max). */
export const CLAUDE_EFFORT_LEVELS = ["low", "medium", "high", "xhigh", "max"] as const;

// ---- definition ---------------------------------------------------------------------------------

export const claudeEngine = defineEngine(
  { id: "claude", cli: "claude", displayName: "Claude Code", npm: "@anthropic-ai/claude-code", supportsContinue: true },
  ({ options, extraArgs, modelArgs, resumeArgs }) => {
    const allowedTools = options.allowed_tools;
    const skipPermissions = options.dangerously_skip_permissions;
    const modeOf = (job: EngineJob): string | undefined => job.permissionMode ?? options.permission_mode;
    return {
      buildArgs(job) {
        const args = [
          "-p",
          "--output-format",
          "stream-json",
          "--input-format",
          "stream-json",
          "--verbose",
          ...extraArgs,
        ];
        args.push(...resumeArgs(job), ...modelArgs(job));
        if (job.reasoning !== undefined) args.push("--effort", job.reasoning);
        if (allowedTools.length > 0) args.push("--allowedTools", allowedTools.join(","));
        if (skipPermissions) args.push("--dangerously-skip-permissions");
        const mode = modeOf(job);
        // "auto" is ours: plan first, then ExitPlanMode is approved without asking.
        if (mode !== undefined) args.push("--permission-mode", mode === "auto" ? "plan" : mode);
        args.push("--permission-prompt-tool", "stdio");
        return args;
      },
      createParser(job) {
        const mode = modeOf(job);
        return createStreamJsonParser({
          engine: "claude",
          displayName: "Claude Code",
          job,
          needsApproval: (toolName) => claudeNeedsApproval(toolName, mode),
        });
      },
      createStdinSession(job, ask) {
        return createClaudeStdinSession(job, modeOf(job), ask);
      },
      reasoningLevels: CLAUDE_EFFORT_LEVELS,
      // Without use_api_billing a stray API key would silently bill the user instead of the subscription.
      env: { add: { UNTETHER_SESSION: "1" }, remove: options.use_api_billing ? [] : ["ANTHROPIC_API_KEY"] },
      permissions: definePermissions({
        configured: options.permission_mode ?? "default",
        order: ["plan", "default", "auto", "acceptEdits", "bypassPermissions"],
        shellWithoutApproval: (mode) =>
          skipPermissions ||
          mode === "bypassPermissions" ||
          allowedTools.some((t) => t === "Bash" || t.startsWith("Bash(")),
      }),
    };
  },
);

export const createClaudeEngine = claudeEngine.create;
