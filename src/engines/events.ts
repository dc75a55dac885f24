// The event model: every engine parser produces only these three events.
// Invariant (tested per engine): exactly one `started` before any action, exactly one `completed`, last.

export interface ResumeToken {
  engine: string;
  /** The engine's session / thread id. Empty with `isContinue` = "continue the newest session". */
  value: string;
  isContinue?: boolean;
}

export type ActionKind = "command" | "tool" | "file_change" | "web_search" | "subagent" | "note" | "turn" | "warning";

export type ActionPhase = "started" | "updated" | "completed";

export interface Action {
  id: string;
  kind: ActionKind;
  title: string;
  detail: Record<string, unknown>;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd?: number;
}

export interface StartedEvent {
  type: "started";
  engine: string;
  resume: ResumeToken;
  title?: string;
  meta?: { model?: string; permissionMode?: string };
}

export interface ActionEvent {
  type: "action";
  engine: string;
  action: Action;
  phase: ActionPhase;
  ok?: boolean;
}

export interface CompletedEvent {
  type: "completed";
  engine: string;
  ok: boolean;
  answer: string;
  resume?: ResumeToken;
  error?: string;
  usage?: Usage;
}

export type EngineEvent = StartedEvent | ActionEvent | CompletedEvent;
