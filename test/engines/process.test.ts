import { beforeEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CompletedEvent, EngineEvent } from "../../src/engines/events.ts";
import { engineEnv, leakedEnvNames, type RunEngineOptions, redactArgv, runEngine } from "../../src/engines/process.ts";
import type { StdinSession } from "../../src/engines/types.ts";
import { createLogger, setLogger } from "../../src/log/logger.ts";
import { NO_EXTRAS, resetUserExtensionLog } from "../../src/security/env-policy.ts";
import { startCmdlineScan } from "../support/cmdline-scanner.ts";
import { type FakeDefOptions, fakeDefinition } from "../support/engines/fake-def.ts";
import { isAlive, waitGone } from "../support/engines/procs.ts";

let logs: string[] = [];
beforeEach(() => {
  logs = [];
  resetUserExtensionLog();
  setLogger(createLogger({ sink: { write: (l) => logs.push(l) }, level: "debug", pretty: false }));
});

const records = () => logs.map((l) => JSON.parse(l) as Record<string, unknown>);
const cwd = mkdtempSync(join(tmpdir(), "untether-proc-"));
const SECRET_ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: "/home/tester",
  ANTHROPIC_API_KEY: "sk-ant-test-value-123456",
  OPENAI_API_KEY: "sk-openai-test-value-1234",
  AWS_SECRET_ACCESS_KEY: "aws-secret-value",
  DATABASE_URL: "postgres://user:pw@db/prod",
  STRIPE_API_KEY: "sk_live_stripe_value",
  SOME_PERSONAL_TOKEN: "personal-token-value",
  BUN_BE_BUN: "1",
};

interface Ran {
  events: EngineEvent[];
  completed: CompletedEvent;
  pid: number | undefined;
}

async function run(
  script: string,
  prompt: string,
  def: FakeDefOptions = {},
  o: Partial<RunEngineOptions> = {},
  during?: (pid: number, events: EngineEvent[], cancel: () => void) => Promise<void>,
): Promise<Ran> {
  const events: EngineEvent[] = [];
  const h = runEngine(
    fakeDefinition(script, def),
    { prompt, cwd },
    {
      sourceEnv: SECRET_ENV,
      extras: NO_EXTRAS,
      envAudit: false,
      graceMs: 300,
      onEvent: (e) => events.push(e),
      ...o,
    },
  );
  if (during && h.pid !== undefined) await during(h.pid, events, () => h.cancel("cancelled"));
  const r = await h.done;
  return { events, completed: r.completed, pid: h.pid };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await Bun.sleep(10);
}

function envOf(events: EngineEvent[]): Record<string, string> {
  const e = events.find((x) => x.type === "action" && x.action.id === "env");
  if (e?.type !== "action") throw new Error("no env event");
  return e.action.detail.env as Record<string, string>;
}

function completedCount(events: EngineEvent[]): number {
  return events.filter((e) => e.type === "completed").length;
}

test("only the allowlisted environment reaches the engine, plus the definition's extras", async () => {
  const r = await run("env-dump.ts", "hi", { extraEnv: { UNTETHER_SESSION: "1" }, removeEnv: ["OPENAI_API_KEY"] });
  const env = envOf(r.events);
  for (const name of [
    "AWS_SECRET_ACCESS_KEY",
    "DATABASE_URL",
    "STRIPE_API_KEY",
    "SOME_PERSONAL_TOKEN",
    "BUN_BE_BUN",
    "OPENAI_API_KEY",
  ]) {
    expect(env[name]).toBeUndefined();
  }
  expect(env.PATH).toBe(SECRET_ENV.PATH);
  expect(env.HOME).toBe("/home/tester");
  expect(env.ANTHROPIC_API_KEY).toBe(SECRET_ENV.ANTHROPIC_API_KEY);
  expect(env.UNTETHER_SESSION).toBe("1");
  expect(r.completed).toMatchObject({ ok: true, answer: "env dumped" });
  expect(completedCount(r.events)).toBe(1);
});

/** /proc/<pid>/environ as a map: what execve() gave the process, before any runtime touched it. */
function procEnviron(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const chunk of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
    const eq = chunk.indexOf("=");
    if (eq > 0) out[chunk.slice(0, eq)] = chunk.slice(eq + 1);
  }
  return out;
}

test("the exec'd environment (/proc/<pid>/environ) is exactly the allowlist result, nothing merged in", async () => {
  const def = fakeDefinition("env-dump.ts", {
    args: ["--wait"],
    extraEnv: { UNTETHER_SESSION: "1" },
    removeEnv: ["OPENAI_API_KEY"],
  });
  let environ: Record<string, string> | undefined;
  // env-dump --wait blocks on stdin after its env line: read its environment, then release it.
  const session: StdinSession = {
    initialLines: [],
    onMessage(msg, write) {
      if (msg.type === "env") {
        environ = procEnviron(h.pid as number);
        write("go");
      }
      return false;
    },
  };
  const h = runEngine(
    { ...def, createStdinSession: () => session },
    { prompt: "hi", cwd },
    {
      sourceEnv: SECRET_ENV,
      extras: NO_EXTRAS,
      envAudit: false,
      ask: async () => ({ behavior: "allow" }),
      onEvent: () => {},
    },
  );
  const r = await h.done;
  expect(r.completed.ok).toBe(true);
  expect(environ).toEqual(engineEnv(def, SECRET_ENV, NO_EXTRAS));
  expect(Object.keys(environ ?? {}).sort()).toEqual(["ANTHROPIC_API_KEY", "HOME", "PATH", "UNTETHER_SESSION"]);
});

test("BUN_BE_BUN never reaches an engine, even when a definition or extension would add it", () => {
  const def = { ...fakeDefinition("env-dump.ts"), extraEnv: () => ({ BUN_BE_BUN: "1" }) };
  expect(engineEnv(def, SECRET_ENV, { exact: ["BUN_BE_BUN"], prefix: ["BUN_"] }).BUN_BE_BUN).toBeUndefined();
});

// The scanner is an observer competing for the CPU: on the old `env -i K=V …` launcher it caught the
// values on 18 of 20 starts on a quiet machine but only 0–2 of 50 on a loaded one, hence many starts.
// The deterministic check is the spawn-log test above (argv[0] is the engine, no value in the argv).
test("no environment value is ever on a command line: 50 engine starts under a /proc/*/cmdline scanner", async () => {
  const secrets = [SECRET_ENV.ANTHROPIC_API_KEY, SECRET_ENV.OPENAI_API_KEY];
  const scan = await startCmdlineScan(secrets, ["env-dump.ts"]);
  for (let i = 0; i < 50; i++) {
    const r = await run("env-dump.ts", "hi");
    expect(envOf(r.events).ANTHROPIC_API_KEY).toBe(SECRET_ENV.ANTHROPIC_API_KEY); // the engine did get it
  }
  const report = await scan.stop();
  expect(report.witnessed[0]).toBeGreaterThan(0); // the scanner saw the engines run
  expect(report.hits).toEqual([]);
}, 60_000);

test("env_extra_allow lets a named variable through and is logged once", async () => {
  const extras = { exact: ["DATABASE_URL"], prefix: [] };
  const r = await run("env-dump.ts", "hi", {}, { extras });
  await run("env-dump.ts", "again", {}, { extras });
  expect(envOf(r.events).DATABASE_URL).toBe(SECRET_ENV.DATABASE_URL);
  expect(envOf(r.events).AWS_SECRET_ACCESS_KEY).toBeUndefined();
  const ext = records().filter((x) => x.msg === "env_policy.user_extension");
  expect(ext).toHaveLength(1);
  expect(ext[0]?.extra_exact).toEqual(["DATABASE_URL"]);
});

test("the spawn log shows every env entry as KEY=*** and never a value or the prompt at info level", async () => {
  const prompt = "please refactor the secret-sauce module";
  await run("env-dump.ts", prompt);
  const spawn = records().find((x) => x.msg === "engine.spawn");
  expect(spawn).toBeDefined();
  const env = spawn?.env as string[];
  expect(env).toContain("PATH=***");
  expect(env).toContain("ANTHROPIC_API_KEY=***");
  expect(env.every((e) => e.endsWith("=***"))).toBe(true);
  const argv = spawn?.argv as string[];
  expect(argv[0]).toBe(fakeDefinition("env-dump.ts").cli); // the engine itself, no `env -i` in front
  expect(argv.some((a) => a.includes("sk-ant-test"))).toBe(false);
  const infoAndUp = logs.filter((l) => !l.includes('"level":"debug"')).join("\n");
  expect(infoAndUp).not.toContain(prompt);
  expect(infoAndUp).not.toContain("postgres://");
  expect(infoAndUp).not.toContain("sk-ant-test");
});

test("debug shows at most the first 100 characters of the prompt", async () => {
  const prompt = `${"a".repeat(100)}SECRET-TAIL`;
  await run("env-dump.ts", prompt);
  expect(logs.join("\n")).not.toContain("SECRET-TAIL");
  expect(records().some((x) => x.msg === "engine.prompt" && x.level === "debug")).toBe(true);
});

test("redactArgv replaces the prompt, inside flags too, and leaves the rest", () => {
  const out = redactArgv(["/bin/gemini", "--prompt=do it", "K=V", "do it"], "do it");
  expect(out).toEqual(["/bin/gemini", "--prompt=<prompt>", "K=V", "<prompt>"]);
});

test("the env audit warns about a variable a wrapper re-adds, names only, once", async () => {
  const r = await run(
    "leaky-wrapper.sh",
    "hi",
    { args: ["--wait"], releaseOnEnv: true },
    { envAudit: true, ask: async () => ({ behavior: "allow" }) },
  );
  const leaks = records().filter((x) => x.msg === "fake.env_audit.leaked_var");
  const names = leaks.map((x) => x.name);
  expect(names).toContain("LEAKY_WRAPPER_SECRET");
  expect(names).not.toContain("PWD"); // the wrapper's sh exports it by itself
  expect(new Set(names).size).toBe(names.length);
  for (const l of leaks) expect(l).toMatchObject({ level: "warn", pid: r.pid });
  expect(logs.join("\n")).not.toContain("from-wrapper");
});

test("the env audit ignores the names a shell sets by itself (PWD, OLDPWD, SHLVL, _) and reports every other", () => {
  const def = fakeDefinition("env-dump.ts", { extraEnv: { UNTETHER_SESSION: "1" } });
  const environ = [
    "PATH=/usr/bin",
    "PWD=/srv/app",
    "OLDPWD=/",
    "SHLVL=2",
    "_=/usr/bin/node",
    "UNTETHER_SESSION=1",
    "ASDF_DIR=/home/u/.asdf",
    "AWS_SECRET_ACCESS_KEY=x",
    "PWD2=y",
    "_X=z",
    "AWS_SECRET_ACCESS_KEY=again",
    "PIP_INDEX_URL=https://u:pw@pypi.example/simple",
    "PIP_NO_CACHE_DIR=1",
    "",
  ].join("\0");
  // PIP_ is a prefix rule, but a URL with a password under it is reported, as the filter drops it.
  expect(leakedEnvNames(environ, def, NO_EXTRAS)).toEqual([
    "ASDF_DIR",
    "AWS_SECRET_ACCESS_KEY",
    "PWD2",
    "_X",
    "PIP_INDEX_URL",
  ]);
  // A prefix rule never covers a credential-looking name: AWS_SECRET_ACCESS_KEY must be listed exactly.
  expect(leakedEnvNames(environ, def, { exact: ["ASDF_DIR"], prefix: ["AWS_"] })).toEqual([
    "AWS_SECRET_ACCESS_KEY",
    "PWD2",
    "_X",
    "PIP_INDEX_URL",
  ]);
  expect(
    leakedEnvNames(environ, def, { exact: ["ASDF_DIR", "AWS_SECRET_ACCESS_KEY", "PIP_INDEX_URL"], prefix: [] }),
  ).toEqual(["PWD2", "_X"]);
});

test("the env audit through a shell shim that sets PWD, OLDPWD, SHLVL and _: silent", async () => {
  const r = await run(
    "shell-shim.sh",
    "hi",
    { args: ["--wait"], releaseOnEnv: true },
    { envAudit: true, ask: async () => ({ behavior: "allow" }) },
  );
  expect(Object.keys(envOf(r.events))).toEqual(expect.arrayContaining(["PWD", "OLDPWD", "SHLVL", "_"])); // the shim did set them
  expect(logs.filter((l) => l.includes("env_audit"))).toEqual([]);
});

test("the env audit is silent on a clean environment", async () => {
  await run(
    "env-dump.ts",
    "hi",
    { args: ["--wait"], releaseOnEnv: true, extraEnv: { UNTETHER_SESSION: "1" } },
    { envAudit: true, ask: async () => ({ behavior: "allow" }) },
  );
  expect(logs.filter((l) => l.includes("env_audit"))).toHaveLength(0);
});

test("a crash gives one completed error with a sanitised stderr excerpt, and no process left", async () => {
  const r = await run("crash.sh", "hi");
  expect(completedCount(r.events)).toBe(1);
  expect(r.events.at(-1)).toBe(r.completed);
  expect(r.completed.ok).toBe(false);
  expect(r.completed.error).toContain("fake finished without a result event (rc=3)");
  expect(r.completed.error).toContain("fatal: cannot read [path]:12 (boom)");
  expect(r.completed.error).not.toContain("/home/someone");
  expect(r.completed.resume).toEqual({ engine: "fake", value: "crash-1" }); // still resumable
  expect(await waitGone([r.pid as number])).toBe(true);
});

test("a prompt far beyond the pipe buffer, to an engine that exits without reading it: one completed error, nothing unhandled", async () => {
  const big = "x".repeat(2_000_000);
  const viaStdinText = { ...fakeDefinition("crash.sh"), stdinText: () => big };
  const viaSession: StdinSession = { initialLines: [big], onMessage: () => false };
  for (const def of [viaStdinText, { ...fakeDefinition("crash.sh"), createStdinSession: () => viaSession }]) {
    const events: EngineEvent[] = [];
    const r = await runEngine(
      def,
      { prompt: "hi", cwd },
      {
        sourceEnv: SECRET_ENV,
        extras: NO_EXTRAS,
        envAudit: false,
        ask: async () => ({ behavior: "allow" }),
        onEvent: (e) => events.push(e),
      },
    ).done;
    expect(r.completed.ok).toBe(false);
    expect(completedCount(events)).toBe(1);
  }
});

test("garbage lines are skipped (JSON behind a prefix is kept), the last line needs no newline", async () => {
  const r = await run("garbage.sh", "hi");
  expect(r.completed).toMatchObject({ ok: true, answer: "survived" });
  const notes = r.events.filter((e) => e.type === "action").map((e) => (e.type === "action" ? e.action.title : ""));
  expect(notes).toEqual(["behind a prefix"]);
  const nonJson = records().filter((x) => x.msg === "engine.non_json_line");
  expect(nonJson.length).toBeGreaterThanOrEqual(3);
  expect(logs.join("\n")).not.toContain("not json at all");
});

test("a 5 MB line with multibyte characters split across chunks is decoded", async () => {
  const r = await run("big-line.ts", "5000000", { args: [] });
  const note = r.events.find((e) => e.type === "action");
  expect(note?.type === "action" && (note.action.detail.length as number)).toBeGreaterThanOrEqual(5_000_000);
  expect(note?.type === "action" && note.action.title.startsWith("é€x")).toBe(true);
  expect(r.completed).toMatchObject({ ok: true, answer: "big" });
});

test("cancel: SIGTERM to the group, a 'cancelled' completion, no process left", async () => {
  let pid = 0;
  const r = await run("slow.sh", "hi", {}, {}, async (p, events, cancel) => {
    pid = p;
    await until(() => events.length > 0);
    cancel();
  });
  expect(completedCount(r.events)).toBe(1);
  expect(r.completed).toMatchObject({ ok: false, error: "cancelled" });
  expect(await waitGone([pid])).toBe(true);
});

test("an engine that ignores SIGTERM is killed after the grace period, with its children", async () => {
  const r = await run("hang.sh", "hi", {}, {}, async (_p, events, cancel) => {
    await until(() => events.length > 0);
    cancel();
  });
  expect(r.completed).toMatchObject({ ok: false, error: "cancelled" });
  expect(await waitGone([r.pid as number])).toBe(true);
  expect(records().some((x) => x.msg === "engine.exited" && x.signal === "SIGKILL")).toBe(true);
});

test("timeout stops the run with a clear error", async () => {
  const r = await run("slow.sh", "hi", {}, { timeoutMs: 200 });
  expect(r.completed.ok).toBe(false);
  expect(r.completed.error).toMatch(/too long/);
  expect(await waitGone([r.pid as number])).toBe(true);
});

test("children forked by an engine that exits are killed with the group", async () => {
  const r = await run("forks.sh", "hi");
  expect(r.completed).toMatchObject({ ok: true, answer: "forked" });
  const pidsEvent = r.events.find((e) => e.type === "action" && e.action.id === "pids");
  const children = pidsEvent?.type === "action" ? (pidsEvent.action.detail.pids as number[]) : [];
  expect(children).toHaveLength(2);
  // Both ignore SIGTERM; one holds stdout open. Neither may outlive the run.
  expect(await waitGone([r.pid as number, ...children])).toBe(true);
});

test("an engine that is not installed gives a completed error and no spawn", async () => {
  const def = { ...fakeDefinition("crash.sh"), cli: "definitely-not-installed-xyz" };
  const events: EngineEvent[] = [];
  const h = runEngine(
    def,
    { prompt: "hi", cwd },
    { sourceEnv: SECRET_ENV, extras: NO_EXTRAS, envAudit: false, onEvent: (e) => events.push(e) },
  );
  const r = await h.done;
  expect(h.pid).toBeUndefined();
  expect(r.completed.ok).toBe(false);
  expect(r.completed.error).toContain("not installed");
  expect(events).toHaveLength(1);
});

test("an AbortSignal cancels the run", async () => {
  const ac = new AbortController();
  const r = await run("slow.sh", "hi", {}, { signal: ac.signal }, async (_p, events) => {
    await until(() => events.length > 0);
    ac.abort();
  });
  expect(r.completed).toMatchObject({ ok: false, error: "cancelled" });
  expect(await waitGone([r.pid as number])).toBe(true);
});

test("a missing project directory gives a completed error, not a throw", async () => {
  const events: EngineEvent[] = [];
  const h = runEngine(
    fakeDefinition("crash.sh"),
    { prompt: "hi", cwd: join(cwd, "does-not-exist") },
    { sourceEnv: SECRET_ENV, extras: NO_EXTRAS, envAudit: false, onEvent: (e) => events.push(e) },
  );
  const r = await h.done;
  expect(r.completed.ok).toBe(false);
  expect(r.completed.error).toContain("could not be started");
  expect(events).toHaveLength(1);
});

test("isAlive sanity: this process is alive", () => {
  expect(isAlive(process.pid)).toBe(true);
});
