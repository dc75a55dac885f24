import type { EngineEvent, ResumeToken } from "./events.ts";
import type { PermissionPolicy } from "./permissions.ts";
import type { ResumeSyntax } from "./resume-syntax.ts";

/** What a run asks of an engine. Built by core/, consumed by an engine module. */
export interface EngineJob {
  prompt: string;
  /** Working directory of the run (the project root or a worktree). */
  cwd: string;
  resume?: ResumeToken;
  /** Per-run overrides (chat /model, cron permission_mode, …). */
  model?: string;
  /** The chat's /reasoning level: one of the engine's `reasoningLevels`. */
  reasoning?: string;
  permissionMode?: string;
  /** Images sent with the prompt (a photo's bytes), for engines whose input protocol takes them. */
  images?: readonly PromptImage[];
}

/** An image for the prompt: a recognised type and its bytes. */
export interface PromptImage {
  mediaType: "image/jpeg" | "image/png" | "image/gif" | "image/webp";
  data: Uint8Array;
}

/** A tool-permission question from an engine (Claude's `can_use_tool` control request). */
export interface PermissionRequest {
  requestId: string;
  toolName: string;
  input: Record<string, unknown>;
}

export type PermissionDecision =
  | { behavior: "allow"; updatedInput?: Record<string, unknown> }
  | { behavior: "deny"; message: string };

/**
 * An engine's stdin protocol (Claude's stream-json control channel). The process runner writes
 * `initialLines` to stdin, keeps stdin open, and hands every stdout message to `onMessage` before
 * parsing; `onMessage` may write replies through `write`.
 */
export interface StdinSession {
  initialLines: string[];
  /** Returns true when the message was a control message fully handled here (not parsed into events). */
  onMessage(msg: Record<string, unknown>, write: (line: string) => void): boolean;
}

/** Parses one engine's JSONL stream. Stateful: one instance per run. */
export interface EngineParser {
  /** One decoded JSON line → zero or more events. Unknown types → []. Never throws on odd input. */
  parse(msg: Record<string, unknown>): EngineEvent[];
  /** Called at end of stream without a `completed`: the error text to report. */
  missingCompletion(exitCode: number | null): string;
}

export interface EngineDefinition {
  id: string;
  /** Executable name looked up on PATH. */
  cli: string;
  /** Human name for messages. */
  displayName: string;
  /** Whether `/continue` (resume the newest session in the project dir) is supported. */
  supportsContinue: boolean;
  /** The CLI's arguments. Never the prompt: it goes through `stdinText` or `createStdinSession`. */
  buildArgs(job: EngineJob): string[];
  /**
   * Text written to stdin and then closed: how the prompt reaches every CLI without a stdin protocol
   * (never on argv, where other local users can read it and 128 KiB is the limit).
   */
  stdinText?(job: EngineJob): string | undefined;
  createParser(job: EngineJob): EngineParser;
  /** Engines with a stdin control channel (Claude) open one per run; permission questions go to `ask`. */
  createStdinSession?(job: EngineJob, ask: (req: PermissionRequest) => Promise<PermissionDecision>): StdinSession;
  /** Env entries the engine adds after the allowlist filter (e.g. UNTETHER_SESSION=1). */
  extraEnv?(): Record<string, string>;
  /** Env names removed after filtering (e.g. ANTHROPIC_API_KEY without use_api_billing). */
  removeEnv?(): string[];
  /** The engine's session id grammar, resume line and its parser (engines/resume-syntax.ts). */
  resume: ResumeSyntax;
  /** Permission modes and what they allow unattended (engines/permissions.ts). */
  permissions: PermissionPolicy;
  /** The levels the CLI's reasoning flag accepts (`EngineJob.reasoning`); absent: the CLI has no such flag. */
  reasoningLevels?: readonly string[];
  /** The only values a chat's /model may take (amp: its modes); absent: any model name. */
  modelChoices?: readonly string[];
}
