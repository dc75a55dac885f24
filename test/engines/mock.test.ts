import { beforeEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { CompletedEvent, EngineEvent } from "../../src/engines/events.ts";
import { createMockEngine, selfCommand } from "../../src/engines/mock.ts";
import { type RunEngineOptions, runEngine } from "../../src/engines/process.ts";
import type { EngineJob } from "../../src/engines/types.ts";
import { createLogger, setLogger } from "../../src/log/logger.ts";
import { NO_EXTRAS } from "../../src/security/env-policy.ts";
import { waitGone } from "../support/engines/procs.ts";

let logs: string[] = [];
beforeEach(() => {
  logs = [];
  setLogger(createLogger({ sink: { write: (l) => logs.push(l) }, level: "debug", pretty: false }));
});

const cwd = mkdtempSync(join(tmpdir(), "untether-mock-"));
const sourceEnv = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: cwd,
  BUN_BE_BUN: "1",
  AWS_SECRET_ACCESS_KEY: "aws-secret",
  ANTHROPIC_API_KEY: "sk-ant-mock-key-123456",
};

async function runMock(
  prompt: string,
  o: Partial<RunEngineOptions> & {
    job?: Partial<EngineJob>;
    during?: (events: EngineEvent[], cancel: () => void) => Promise<void>;
  } = {},
): Promise<{ events: EngineEvent[]; completed: CompletedEvent; pid: number | undefined }> {
  const events: EngineEvent[] = [];
  const h = runEngine(
    createMockEngine(),
    { prompt, cwd, ...o.job },
    {
      sourceEnv,
      extras: NO_EXTRAS,
      envAudit: true,
      graceMs: 300,
      onEvent: (e) => events.push(e),
      ...o,
    },
  );
  await o.during?.(events, () => h.cancel("cancelled"));
  const r = await h.done;
  return { events, completed: r.completed, pid: h.pid };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await Bun.sleep(10);
}

test("selfCommand re-executes this program from source: bun + src/main.ts", () => {
  expect(selfCommand()).toEqual([process.execPath, resolve(import.meta.dir, "../../src/main.ts")]);
});

test("a normal run: started first, actions, one completed last that echoes the prompt", async () => {
  const r = await runMock("hello there");
  expect(r.events[0]?.type).toBe("started");
  expect(r.events.filter((e) => e.type === "completed")).toHaveLength(1);
  expect(r.events.at(-1)).toBe(r.completed);
  const kinds = r.events.flatMap((e) => (e.type === "action" ? [`${e.action.kind}:${e.phase}`] : []));
  expect(kinds).toContain("note:completed");
  expect(kinds).toContain("command:started");
  expect(kinds).toContain("command:completed");
  expect(kinds).toContain("file_change:completed");
  expect(r.completed.ok).toBe(true);
  expect(r.completed.answer).toContain("You said: hello there");
  expect(r.completed.answer).toContain("```");
  const started = r.events[0];
  expect(started?.type === "started" && r.completed.resume?.value === started.resume.value).toBe(true);
  // The mock is a real child with the exact allowlisted env: the env audit ran on it and found nothing.
  expect(logs.filter((l) => l.includes("env_audit"))).toHaveLength(0);
});

test("resume: --session carries the id through, and the resume line round-trips", async () => {
  const def = createMockEngine();
  const token = { engine: "mock", value: "mock-abc12345" };
  const r = await runMock("again", { job: { resume: token } });
  expect(r.events[0]).toMatchObject({ type: "started", resume: token });
  expect(r.completed.resume).toEqual(token);
  const line = def.resume.format(token);
  expect(line).toBe("mock --session mock-abc12345");
  expect(def.resume.parse(`done\n${line}`)).toEqual(token);
  expect(def.resume.parse("nothing here")).toBeUndefined();
});

test("BUN_BE_BUN and other secrets never reach the mock (it would turn back into bun)", async () => {
  const r = await runMock("mock:env");
  const names = r.completed.answer.replace(/^ENV: /, "").split(" ");
  expect(names).toContain("PATH");
  expect(names).toContain("ANTHROPIC_API_KEY");
  expect(names).not.toContain("BUN_BE_BUN");
  expect(names).not.toContain("AWS_SECRET_ACCESS_KEY");
});

test("mock:fail: exit 1, a completed error with the stderr path sanitised", async () => {
  const r = await runMock("mock:fail");
  expect(r.completed.ok).toBe(false);
  expect(r.completed.error).toContain("code 1");
  expect(r.completed.error).toContain("[path]:12");
  expect(r.completed.error).not.toContain("/home/someone");
  expect(await waitGone([r.pid as number])).toBe(true);
});

test("mock:garbage: non-JSON lines are skipped and the run still completes", async () => {
  const r = await runMock("mock:garbage");
  expect(r.completed.ok).toBe(true);
  expect(logs.some((l) => l.includes("engine.non_json_line"))).toBe(true);
  expect(logs.join("\n")).not.toContain("this is not json");
});

test("mock:slow: cancel ends it with 'cancelled' and leaves no process", async () => {
  const r = await runMock("mock:slow", {
    during: async (events, cancel) => {
      await until(() =>
        events.some((e) => e.type === "action" && e.action.kind === "command" && e.phase === "completed"),
      );
      cancel();
    },
  });
  expect(r.completed).toMatchObject({ ok: false, error: "cancelled" });
  expect(await waitGone([r.pid as number])).toBe(true);
});

test("mock:hang ignores SIGTERM: SIGKILL after the grace period, no process left", async () => {
  const r = await runMock("mock:hang", {
    during: async (events, cancel) => {
      await until(() => events.length > 0);
      cancel();
    },
  });
  expect(r.completed).toMatchObject({ ok: false, error: "cancelled" });
  expect(logs.some((l) => l.includes('"engine.exited"') && l.includes('"SIGKILL"'))).toBe(true);
  expect(await waitGone([r.pid as number])).toBe(true);
});

test("mock:ask asks through the stdin control channel; allow and deny both reach the agent", async () => {
  const asked: string[] = [];
  const allow = await runMock("mock:ask touch x", {
    ask: async (req) => {
      asked.push(`${req.toolName}:${String(req.input.command)}`);
      return { behavior: "allow" };
    },
  });
  expect(asked).toEqual(["Bash:touch x"]);
  expect(allow.completed.answer).toContain("Permission granted");
  const deny = await runMock("mock:ask rm -rf /", { ask: async () => ({ behavior: "deny", message: "no" }) });
  expect(deny.completed.answer).toContain("Permission denied");
});

test("mock:outbox writes only inside the project's outbox: path names are refused", async () => {
  const root = mkdtempSync(join(tmpdir(), "untether-mock-outbox-"));
  const project = join(root, "a", "b");
  mkdirSync(project, { recursive: true });
  for (const name of ["../../x", "../escape.txt", "/tmp/abs.txt", "sub/y.txt", "..", ".hidden"]) {
    const r = await runMock(`mock:outbox ${name}`, { job: { cwd: project } });
    expect(r.completed.answer).toContain("Refused");
  }
  expect(existsSync(join(root, "x"))).toBe(false);
  expect(existsSync(join(root, "a", "escape.txt"))).toBe(false);
  expect(existsSync(join(project, ".untether-outbox"))).toBe(false);
  const ok = await runMock("mock:outbox report.txt", { job: { cwd: project } });
  expect(ok.completed.ok).toBe(true);
  expect(readdirSync(join(project, ".untether-outbox"))).toEqual(["report.txt"]);
});
