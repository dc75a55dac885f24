// A tiny EngineDefinition around the fake engine scripts in this folder. Their protocol:
// {"type":"started","id"} → started, {"type":"note","text"} → note action, {"type":"env"} → note
// action carrying the environment, {"type":"pids"} → note action with child pids, {"type":"done","answer"} → completed ok.
import { join } from "node:path";
import type { EngineEvent } from "../../../src/engines/events.ts";
import { definePermissions } from "../../../src/engines/permissions.ts";
import { defineResumeSyntax } from "../../../src/engines/resume-syntax.ts";
import type { EngineDefinition, EngineParser, StdinSession } from "../../../src/engines/types.ts";

export const FAKES = import.meta.dir;

export function fakePath(name: string): string {
  return join(FAKES, name);
}

function parser(id: string): EngineParser {
  let session = "";
  return {
    parse(msg): EngineEvent[] {
      const text = typeof msg.text === "string" ? msg.text : "";
      switch (msg.type) {
        case "started":
          session = String(msg.id ?? "");
          return [{ type: "started", engine: id, resume: { engine: id, value: session } }];
        case "note":
          return [
            {
              type: "action",
              engine: id,
              phase: "completed",
              ok: true,
              action: { id: "n", kind: "note", title: text.slice(0, 40), detail: { length: text.length } },
            },
          ];
        case "env":
          return [
            {
              type: "action",
              engine: id,
              phase: "completed",
              ok: true,
              action: { id: "env", kind: "note", title: "env", detail: { env: msg.env, pid: msg.pid } },
            },
          ];
        case "pids":
          return [
            {
              type: "action",
              engine: id,
              phase: "completed",
              ok: true,
              action: { id: "pids", kind: "note", title: "pids", detail: { pids: msg.pids } },
            },
          ];
        case "done":
          return [
            {
              type: "completed",
              engine: id,
              ok: true,
              answer: String(msg.answer ?? ""),
              resume: { engine: id, value: session },
            },
          ];
        default:
          return [];
      }
    },
    missingCompletion: (code) => `${id} finished without a result event (rc=${code ?? "signal"})`,
  };
}

export interface FakeDefOptions {
  args?: string[];
  extraEnv?: Record<string, string>;
  removeEnv?: string[];
  /** Write "go" to stdin when the env line arrives (lets env-dump --wait finish after the audit). */
  releaseOnEnv?: boolean;
}

export function fakeDefinition(script: string, o: FakeDefOptions = {}): EngineDefinition {
  const id = "fake";
  const session: StdinSession = {
    initialLines: [],
    onMessage(msg, write) {
      if (msg.type === "env") write("go");
      return false;
    },
  };
  return {
    id,
    cli: fakePath(script),
    displayName: "Fake agent",
    supportsContinue: false,
    buildArgs: (job) => [...(o.args ?? []), "--", job.prompt],
    createParser: () => parser(id),
    createStdinSession: o.releaseOnEnv ? () => session : undefined,
    extraEnv: o.extraEnv ? () => ({ ...o.extraEnv }) : undefined,
    removeEnv: o.removeEnv ? () => [...(o.removeEnv ?? [])] : undefined,
    permissions: definePermissions({ configured: undefined, order: [undefined], shellWithoutApproval: () => false }),
    resume: defineResumeSyntax({
      engine: id,
      command: "fake\\s+--session",
      idPattern: /^fake-[0-9a-f]{8}$/,
      show: (v) => `fake --session ${v}`,
      resumeArgs: (v) => ["--session", v],
    }),
  };
}
