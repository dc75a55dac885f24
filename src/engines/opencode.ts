// OpenCode: `opencode run --format json …`, the prompt on stdin (`run` reads a non-TTY stdin as the
// message; nothing of it on the command line).
import { defineEngine } from "./define.ts";
import type { EngineEvent, Usage } from "./events.ts";
import { type Json, numOf, rec, str, truncate } from "./json.ts";
import { definePermissions } from "./permissions.ts";
import { missingCompletionText, RunTracker } from "./run-tracker.ts";
import { toolAction } from "./tool-actions.ts";
import type { EngineJob, EngineParser } from "./types.ts";

export function createOpencodeParser(job: EngineJob, model?: string): EngineParser {
  const run = new RunTracker("opencode", job.resume);
  let stepText = "";
  let answer = "";
  let lastToolError: string | undefined;
  let usage: Usage | undefined;

  const addUsage = (part: Json): void => {
    const tokens = rec(part.tokens);
    const cost = numOf(part.cost);
    usage = {
      inputTokens: (usage?.inputTokens ?? 0) + (numOf(tokens.input) ?? 0),
      outputTokens: (usage?.outputTokens ?? 0) + (numOf(tokens.output) ?? 0),
      costUsd: (usage?.costUsd ?? 0) + (cost ?? 0),
    };
  };

  const onTool = (part: Json): EngineEvent[] => {
    const id = str(part.callID) ?? str(part.id) ?? "";
    const state = rec(part.state);
    const status = str(state.status) ?? "";
    const events: EngineEvent[] = [];
    const known = run.opened(id);
    const action = known ?? toolAction(id, str(part.tool) ?? "tool", rec(state.input), job.cwd);
    if (status !== "completed" && status !== "error") {
      return run.action(action, known ? "updated" : "started");
    }
    // A call can arrive already finished: open it first so the progress view sees both phases.
    if (!known) events.push(...run.action(action, "started"));
    if (status === "error") {
      lastToolError = str(state.error) ?? "tool failed";
      const detail = { ...action.detail, result: truncate(lastToolError, 500) };
      return [...events, ...run.action({ ...action, detail }, "completed", false)];
    }
    const exit = numOf(rec(state.metadata).exit);
    const detail = { ...action.detail, result: truncate(str(state.output) ?? "", 500) };
    return [...events, ...run.action({ ...action, detail }, "completed", exit === undefined || exit === 0)];
  };

  return {
    parse(msg) {
      if (run.isDone) return [];
      const events: EngineEvent[] = [];
      const sessionId = str(msg.sessionID);
      if (!run.isStarted && sessionId !== undefined) {
        events.push(...run.start(sessionId, { model: job.model ?? model }));
        if (run.isDone) return events;
      }
      const part = rec(msg.part);
      switch (msg.type) {
        case "step_start":
          stepText = "";
          return events;
        case "text":
          stepText += str(part.text) ?? "";
          if (stepText) answer = stepText;
          return events;
        case "tool_use":
          return [...events, ...onTool(part)];
        case "step_finish":
          addUsage(part);
          if (part.reason !== "stop") return events;
          return [
            ...events,
            ...run.complete({ ok: true, answer: answer || (lastToolError ?? ""), ...(usage ? { usage } : {}) }),
          ];
        case "error": {
          const err = rec(msg.error);
          const error =
            str(rec(err.data).message) ?? str(err.message) ?? str(msg.message) ?? str(err.name) ?? "opencode error";
          return [...events, ...run.complete({ ok: false, answer, error, ...(usage ? { usage } : {}) })];
        }
        default:
          return events;
      }
    },
    missingCompletion(exitCode) {
      return missingCompletionText(
        "opencode",
        exitCode,
        lastToolError ? `last tool error: ${lastToolError}` : undefined,
      );
    },
  };
}

/** `opencode run --variant <v>`: provider-specific; the levels its `--help` names (1.18: minimal, high, max) and the usual low/medium. */
export const OPENCODE_VARIANTS = ["minimal", "low", "medium", "high", "max"] as const;

export const opencodeEngine = defineEngine(
  { id: "opencode", cli: "opencode", displayName: "OpenCode", npm: "opencode-ai", supportsContinue: true },
  ({ options, extraArgs, modelArgs, resumeArgs }) => ({
    buildArgs: (job) => [
      "run",
      "--format",
      "json",
      ...resumeArgs(job),
      ...modelArgs(job),
      ...(job.reasoning === undefined ? [] : ["--variant", job.reasoning]),
      ...extraArgs,
    ],
    reasoningLevels: OPENCODE_VARIANTS,
    createParser: (job) => createOpencodeParser(job, options.model),
    // `opencode run` cannot ask: its bash tool runs unless the user's opencode config denies it.
    permissions: definePermissions({ configured: undefined, order: [undefined], shellWithoutApproval: () => true }),
  }),
);

export const createOpencodeEngine = opencodeEngine.create;
