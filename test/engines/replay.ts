// Test helper: drives an engine definition over a recorded fixture the way the process runner does
// (stdin session first, then the parser; a missing `completed` becomes one built from missingCompletion).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ActionEvent, CompletedEvent, EngineEvent, StartedEvent } from "../../src/engines/events.ts";
import type { EngineDefinition, EngineJob, StdinSession } from "../../src/engines/types.ts";

export const FIXTURES = join(import.meta.dir, "..", "fixtures", "engines");
export const ACC_CWD = "{{ACC}}/.run/claude/work";

export function fixturePath(engine: string, name: string): string {
  return join(FIXTURES, engine, name);
}

export function loadMessages(engine: string, name: string): Record<string, unknown>[] {
  const lines = readFileSync(fixturePath(engine, name), "utf8").split("\n").filter((l) => l.trim() !== "");
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  if (!name.endsWith(".exchange.jsonl")) return parsed;
  return parsed.filter((e) => e.dir === "out").map((e) => e.msg as Record<string, unknown>);
}

export function job(over: Partial<EngineJob> = {}): EngineJob {
  return { prompt: "say hi", cwd: "/work/proj", ...over };
}

export interface Replay {
  events: EngineEvent[];
  started: StartedEvent[];
  actions: ActionEvent[];
  completed: CompletedEvent[];
  written: string[];
}

export function replay(
  def: EngineDefinition,
  j: EngineJob,
  messages: Record<string, unknown>[],
  opts: { session?: StdinSession; exitCode?: number | null } = {},
): Replay {
  const parser = def.createParser(j);
  const events: EngineEvent[] = [];
  const written: string[] = [];
  for (const msg of messages) {
    if (opts.session?.onMessage(msg, (l) => written.push(l))) continue;
    events.push(...parser.parse(msg));
    if (events.some((e) => e.type === "completed")) break;
  }
  if (!events.some((e) => e.type === "completed")) {
    events.push({ type: "completed", engine: def.id, ok: false, answer: "", error: parser.missingCompletion(opts.exitCode ?? 0) });
  }
  return {
    events,
    started: events.filter((e): e is StartedEvent => e.type === "started"),
    actions: events.filter((e): e is ActionEvent => e.type === "action"),
    completed: events.filter((e): e is CompletedEvent => e.type === "completed"),
    written,
  };
}

export function lastCompleted(r: Replay): CompletedEvent {
  const c = r.completed[0];
  if (c === undefined) throw new Error("no completed event");
  return c;
}
