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
  const lines = readFileSync(fixturePath(engine, name), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
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
    events.push({
      type: "completed",
      engine: def.id,
      ok: false,
      answer: "",
      error: parser.missingCompletion(opts.exitCode ?? 0),
    });
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

/** Every message of a fixture whose `type` is `type` (for reading expected values from the recording). */
export function messagesOfType(engine: string, name: string, type: string): Record<string, unknown>[] {
  return loadMessages(engine, name).filter((m) => m.type === type);
}

/**
 * The first session id a fixture reports, in the field its CLI uses (session_id, thread_id,
 * sessionID, or pi's `session` header), so tests follow a re-recording instead of hard-coding ids.
 */
export function fixtureSessionId(engine: string, name: string): string {
  for (const m of loadMessages(engine, name)) {
    for (const k of ["session_id", "thread_id", "sessionID"]) {
      const v = m[k];
      if (typeof v === "string" && v !== "") return v;
    }
    if (m.type === "session" && typeof m.id === "string" && m.id !== "") return m.id;
  }
  throw new Error(`fixture ${engine}/${name} reports no session id`);
}

/** A nested field of a fixture message, e.g. at(msg, "usage", "input_tokens"); throws if absent. */
export function field(msg: Record<string, unknown> | undefined, ...path: string[]): unknown {
  let cur: unknown = msg;
  for (const k of path) {
    if (typeof cur !== "object" || cur === null || !(k in cur))
      throw new Error(`fixture message has no ${path.join(".")}`);
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** A numeric nested field of a fixture message; throws if absent or not a number. */
export function numField(msg: Record<string, unknown> | undefined, ...path: string[]): number {
  const v = field(msg, ...path);
  if (typeof v !== "number") throw new Error(`fixture field ${path.join(".")} is not a number`);
  return v;
}

/** A string nested field of a fixture message; throws if absent or not a string. */
export function strField(msg: Record<string, unknown> | undefined, ...path: string[]): string {
  const v = field(msg, ...path);
  if (typeof v !== "string") throw new Error(`fixture field ${path.join(".")} is not a string`);
  return v;
}
