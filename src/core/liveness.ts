// Liveness of one working run: when the engine last said anything, which tool actions are running
// and since when, and which stall notices are due. Pure bookkeeping over the run manager's clock;
// the run manager turns a due notice into a message (or a cancel, with stall_auto_kill).
import type { EngineEvent } from "../engines/events.ts";

export interface LivenessSettings {
  /** Silence (no engine event) before the run counts as stalled, ms. */
  livenessMs: number;
  /** Between repeated notices of the same stall, ms. */
  repeatMs: number;
  /** A single tool action running longer than this is reported, ms. */
  toolMs: number;
  /** The same for MCP tools (tool names starting `mcp__`), ms. */
  mcpToolMs: number;
}

/** What is due now: a silence stall, or a tool running past its limit. */
export type StallNotice =
  | { kind: "silence"; silentMs: number }
  | { kind: "tool"; tool: string; runningMs: number; limitMs: number; mcp: boolean };

interface RunningTool {
  name: string;
  startedAt: number;
  /** When the last notice about it went out. */
  notifiedAt?: number;
}

function toolName(detail: Record<string, unknown>, title: string): string {
  return typeof detail.tool === "string" && detail.tool !== "" ? detail.tool : title;
}

export class RunLiveness {
  #lastOutputAt: number;
  #silenceNotifiedAt: number | undefined;
  readonly #tools = new Map<string, RunningTool>();

  constructor(now: number) {
    this.#lastOutputAt = now;
  }

  /** Any engine event is output: the silence clock restarts and a later silence is a new stall. */
  observe(event: EngineEvent, now: number): void {
    this.#lastOutputAt = now;
    this.#silenceNotifiedAt = undefined;
    if (event.type !== "action") return;
    const { action } = event;
    if (event.phase === "completed") {
      this.#tools.delete(action.id);
      return;
    }
    if (!this.#tools.has(action.id) && action.kind !== "note" && action.kind !== "turn" && action.kind !== "warning")
      this.#tools.set(action.id, { name: toolName(action.detail, action.title), startedAt: now });
  }

  /** Silence that is not the engine's (it waits for a person's answer) restarts the silence clock. */
  touch(now: number): void {
    this.#lastOutputAt = now;
    this.#silenceNotifiedAt = undefined;
  }

  /** How long the engine has been silent, ms. */
  silentMs(now: number): number {
    return Math.max(0, now - this.#lastOutputAt);
  }

  /**
   * The notices due at `now`, each marked sent. A silence stall is due after `livenessMs` of silence,
   * then every `repeatMs`; a tool past its limit likewise. While a tool action runs, silence is that
   * tool working: only its own limit applies.
   */
  due(now: number, s: LivenessSettings): StallNotice[] {
    const out: StallNotice[] = [];
    for (const t of this.#tools.values()) {
      const mcp = t.name.startsWith("mcp__");
      const limitMs = mcp ? s.mcpToolMs : s.toolMs;
      const runningMs = now - t.startedAt;
      if (runningMs < limitMs) continue;
      if (t.notifiedAt !== undefined && now - t.notifiedAt < s.repeatMs) continue;
      t.notifiedAt = now;
      out.push({ kind: "tool", tool: t.name, runningMs, limitMs, mcp });
    }
    const silentMs = this.silentMs(now);
    if (this.#tools.size > 0 || silentMs < s.livenessMs) return out;
    if (this.#silenceNotifiedAt !== undefined && now - this.#silenceNotifiedAt < s.repeatMs) return out;
    this.#silenceNotifiedAt = now;
    out.push({ kind: "silence", silentMs });
    return out;
  }
}

/** "10 min", "1 h 05 min": how long a stall has lasted, for the progress line and the notice. */
export function formatStall(ms: number): string {
  const min = Math.floor(Math.max(0, ms) / 60_000);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min`;
}
