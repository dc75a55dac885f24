// Gemini CLI: `gemini --output-format stream-json …`, the prompt on stdin (a non-TTY stdin makes it
// headless and is read as the prompt; nothing of it on the command line).
import { defineEngine } from "./define.ts";
import type { EngineEvent, Usage } from "./events.ts";
import { numOf, rec, str, truncate, unwrapErrorText } from "./json.ts";
import { definePermissions } from "./permissions.ts";
import { missingCompletionText, RunTracker } from "./run-tracker.ts";
import { toolAction } from "./tool-actions.ts";
import type { EngineJob, EngineParser } from "./types.ts";

export function createGeminiParser(job: EngineJob, model?: string): EngineParser {
  const run = new RunTracker("gemini", job.resume);
  let answer = "";
  let lastError: string | undefined;

  return {
    parse(msg) {
      if (run.isDone) return [];
      switch (msg.type) {
        case "init":
          return run.start(str(msg.session_id) ?? "", { model: job.model ?? model ?? str(msg.model) });
        case "message":
          if (msg.role === "assistant") {
            const content = str(msg.content) ?? "";
            answer = msg.delta === true ? answer + content : content;
          }
          return [];
        case "tool_use": {
          const id = str(msg.tool_id) ?? "";
          return run.action(toolAction(id, str(msg.tool_name) ?? "tool", rec(msg.parameters), job.cwd), "started");
        }
        case "tool_result": {
          const id = str(msg.tool_id) ?? "";
          const started = run.opened(id) ?? toolAction(id, "tool", {}, job.cwd);
          const output = truncate(str(msg.output) ?? str(rec(msg.error).message) ?? "", 500);
          // The next assistant text is a new reply, not a continuation of the one before the tool.
          answer = "";
          return run.action(
            { ...started, detail: { ...started.detail, result: output } },
            "completed",
            msg.status === "success",
          );
        }
        case "error": {
          // Non-fatal on its own: a `result` follows, or the exit is reported with this text.
          lastError = unwrapErrorText(str(msg.message) ?? "gemini reported an error");
          return run.action(
            { id: "error", kind: "warning", title: truncate(lastError, 200), detail: {} },
            "completed",
            false,
          );
        }
        case "result": {
          const stats = rec(msg.stats);
          const usage: Usage = {
            inputTokens: numOf(stats.input_tokens) ?? 0,
            outputTokens: numOf(stats.output_tokens) ?? 0,
          };
          const ok = msg.status === "success";
          const fields: Parameters<RunTracker["complete"]>[0] = { ok, answer, usage };
          if (!ok) {
            const text = str(rec(msg.error).message);
            fields.error = text ? unwrapErrorText(text) : `gemini result status: ${str(msg.status) ?? "unknown"}`;
          }
          return run.complete(fields);
        }
        default:
          return [] as EngineEvent[];
      }
    },
    missingCompletion: (exitCode) => missingCompletionText("gemini", exitCode, lastError),
  };
}

export const geminiEngine = defineEngine(
  { id: "gemini", cli: "gemini", displayName: "Gemini CLI", npm: "@google/gemini-cli", supportsContinue: true },
  ({ options, extraArgs, modelArgs, resumeArgs }) => ({
    buildArgs(job) {
      const args = [...resumeArgs(job), "--output-format", "stream-json", ...modelArgs(job)];
      // Headless gemini offers no shell tool without yolo, and cannot ask: yolo unless the chat chose.
      args.push("--approval-mode", job.permissionMode ?? "yolo");
      if (options.skip_trust) args.push("--skip-trust");
      args.push(...extraArgs);
      return args;
    },
    createParser: (job) => createGeminiParser(job, options.model),
    permissions: definePermissions({
      configured: "yolo",
      order: ["plan", "default", "auto_edit", "yolo"],
      shellWithoutApproval: (mode) => mode === "yolo",
    }),
  }),
);

export const createGeminiEngine = geminiEngine.create;
