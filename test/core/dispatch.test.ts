// The one run dispatch, in process: the precedence table for engine and project, replies continuing
// the replied run where it ran (by message id, not by parsing), the resume-line fallback limited to
// the bot's own messages, /at and triggers through the same function over the live config.
import { beforeEach, describe, expect, test } from "bun:test";
import { type DispatchSettings, RunDispatch } from "../../src/core/dispatch.ts";
import { createMockEngine } from "../../src/engines/mock.ts";
import { createEngineRegistry } from "../../src/engines/registry.ts";
import { StateDb } from "../../src/state/db.ts";

const S1 = "144faec0-4b9e-4e71-b6c0-25b1a751d3d1";
const CODEX_T = "01a20e10-971d-7860-9d09-e649d3ab6dc3";
const engines = createEngineRegistry({}, [createMockEngine()]);

let db: StateDb;
let settings: DispatchSettings;
let active: Set<number>;
let dispatch: RunDispatch;

function baseSettings(): DispatchSettings {
  return {
    defaultEngine: "claude",
    defaultProject: "app",
    sessionMode: "stateless",
    defaultCwd: "/home/u",
    projects: new Map([
      ["app", { path: "/srv/app" }],
      ["web", { path: "/srv/web", defaultEngine: "codex" }],
      ["ops", { path: "/srv/ops", chatId: -100 }],
    ]),
  };
}

beforeEach(() => {
  db = StateDb.open(":memory:");
  settings = baseSettings();
  active = new Set();
  dispatch = new RunDispatch({
    settings: () => settings,
    engines,
    db,
    gitEnv: {},
    isActive: (id) => active.has(id),
    botUsername: () => "untether_bot",
  });
});

const dm = { chatId: 7, chatType: "private", userId: 7 };
const chat = { kind: "chat" } as const;

/** A finished (or running) run with its answer message recorded, as the run manager leaves it. */
function storedRun(o: {
  engine: string;
  session?: string;
  project?: string;
  branch?: string;
  cwd: string;
  messageId: number;
  status?: string;
}): number {
  const id = db.startRun({
    chatId: 7,
    engine: o.engine,
    source: "telegram",
    project: o.project,
    branch: o.branch,
    cwd: o.cwd,
    session: o.session,
  });
  if (o.status !== "running") db.finishRun(id, o.status ?? "done");
  db.recordRunMessage(id, 7, o.messageId);
  return id;
}

async function request(
  text: string,
  extra: Parameters<RunDispatch["dispatch"]>[0] extends infer I ? Partial<I> : never = {},
) {
  const r = await dispatch.dispatch({ source: chat, origin: dm, text, replyTo: 1, ...extra });
  if (!r.ok) throw new Error(r.message);
  return r.request;
}

describe("engine precedence: directive → replied run → chat → project → default", () => {
  const cases: Array<[string, () => void, string, string]> = [
    ["config default", () => {}, "fix it", "claude"],
    [
      "project default_engine applies when the chat's project has one",
      () => {
        settings.defaultProject = "web";
      },
      "fix it",
      "codex",
    ],
    ["project default_engine applies when the message names the project", () => {}, "/web fix it", "codex"],
    ["the chat's /agent beats the project's", () => db.setKv("agent:7", "pi"), "/web fix it", "pi"],
    ["a directive beats everything", () => db.setKv("agent:7", "pi"), "/gemini /web fix it", "gemini"],
  ];
  for (const [name, arrange, text, engine] of cases) {
    test(name, async () => {
      arrange();
      expect((await request(text)).engineId).toBe(engine);
    });
  }

  test("the replied run's engine beats the chat's choice; a directive beats the replied run", async () => {
    db.setKv("agent:7", "pi");
    storedRun({ engine: "codex", session: CODEX_T, project: "app", cwd: "/srv/app", messageId: 50 });
    const replied = { messageId: 50, text: "answer", fromBot: true };
    expect(await request("more", { replied })).toMatchObject({
      engineId: "codex",
      resume: { engine: "codex", value: CODEX_T },
    });
    const overridden = await request("/claude more", { replied });
    expect(overridden.engineId).toBe("claude");
    expect(overridden.resume).toBeUndefined();
  });

  test("a chat bound to a project works there", async () => {
    const r = await dispatch.dispatch({
      source: chat,
      origin: { chatId: -100, chatType: "supergroup", userId: 7 },
      text: "deploy",
    });
    expect(r.ok && r.request).toMatchObject({ project: "ops", cwd: "/srv/ops" });
  });
});

describe("a reply continues the replied run where it ran", () => {
  test("in the replied run's project, not the chat's default", async () => {
    storedRun({ engine: "claude", session: S1, project: "web", cwd: "/srv/web", messageId: 60 });
    const r = await request("and the tests?", { replied: { messageId: 60, text: "(any text)", fromBot: true } });
    expect(r).toMatchObject({
      engineId: "claude",
      project: "web",
      cwd: "/srv/web",
      resume: { engine: "claude", value: S1 },
    });
  });

  test("in the replied run's @branch worktree", () => {
    storedRun({
      engine: "claude",
      session: S1,
      project: "web",
      branch: "feature-x",
      cwd: "/srv/web/.worktrees/feature-x",
      messageId: 61,
    });
    const t = dispatch.target({
      source: chat,
      origin: dm,
      text: "go on",
      replied: { messageId: 61, text: "", fromBot: true },
    });
    expect(t.ok && t.target).toMatchObject({ project: "web", branch: "feature-x", resume: { value: S1 } });
  });

  test("a run without a project continues in the directory it ran in", async () => {
    settings.defaultProject = undefined;
    storedRun({ engine: "claude", session: S1, cwd: "/tmp/elsewhere", messageId: 62 });
    expect(await request("go on", { replied: { messageId: 62, text: "", fromBot: true } })).toMatchObject({
      cwd: "/tmp/elsewhere",
      resume: { value: S1 },
    });
  });

  test("a reply to a run still working follows it (no session yet, no second process)", async () => {
    const id = storedRun({ engine: "claude", project: "app", cwd: "/srv/app", messageId: 63, status: "running" });
    active.add(id);
    const r = await request("also this", { replied: { messageId: 63, text: "working · claude", fromBot: true } });
    expect(r.follows).toBe(id);
    expect(r.resume).toBeUndefined();
  });

  test("a project removed from the config is said, not silently replaced", async () => {
    storedRun({ engine: "claude", session: S1, project: "old", cwd: "/srv/old", messageId: 64 });
    const r = await dispatch.dispatch({
      source: chat,
      origin: dm,
      text: "go on",
      replied: { messageId: 64, text: "", fromBot: true },
    });
    expect(r).toEqual({ ok: false, message: expect.stringContaining("'old'") });
  });
});

describe("resume lines as text: the fallback", () => {
  const line = `↩️ claude --resume ${S1}`;

  test("an old bot message the database does not know: its resume line as Telegram returns it", async () => {
    expect(
      (await request("again", { replied: { messageId: 70, text: `done · claude\n\nhi\n\n${line}`, fromBot: true } }))
        .resume,
    ).toEqual({ engine: "claude", value: S1 });
  });

  test("a resume line in someone else's message is ignored", async () => {
    expect((await request("again", { replied: { messageId: 71, text: line, fromBot: false } })).resume).toBeUndefined();
  });

  test("a resume line pasted into the prompt resumes, with its engine", async () => {
    settings.defaultEngine = "pi";
    expect(await request(`codex resume ${CODEX_T}\nkeep going`)).toMatchObject({
      engineId: "codex",
      resume: { value: CODEX_T },
    });
  });

  test("a flag in place of an id is never a token", async () => {
    expect(
      (
        await request("again", {
          replied: { messageId: 72, text: "claude --resume --dangerously-skip-permissions", fromBot: true },
        })
      ).resume,
    ).toBeUndefined();
  });
});

describe("chat mode, /continue, /at and triggers", () => {
  test("chat mode keeps one conversation per chat and project (and branch)", async () => {
    settings.sessionMode = "chat";
    expect((await request("hi")).sessionScope).toBe("chat:7:project:app");
    expect((await request("/web hi")).sessionScope).toBe("chat:7:project:web");
    expect(dispatch.target({ source: chat, origin: dm, text: "@fix hi" })).toMatchObject({
      ok: true,
      target: { branch: "fix" },
    });
  });

  test("/continue asks for the engine's newest session", async () => {
    expect(await request("go", { source: { kind: "continue" }, continueNewest: true })).toMatchObject({
      engineId: "claude",
      resume: { isContinue: true },
    });
  });

  test("/at freezes the chat's engine and project and honours directives in its prompt", () => {
    db.setKv("agent:7", "pi");
    expect(dispatch.target({ source: { kind: "at", id: "" }, origin: dm, text: "/codex fix it" })).toMatchObject({
      ok: true,
      target: { engine: "codex", project: "app", prompt: "fix it" },
    });
    expect(dispatch.target({ source: { kind: "at", id: "" }, origin: dm, text: "fix it" })).toMatchObject({
      ok: true,
      target: { engine: "pi" },
    });
  });

  test("a webhook's engine and project come from its config; its payload's directives are not read", async () => {
    const r = await dispatch.dispatch({
      source: { kind: "webhook", id: "gh" },
      origin: { chatId: 7 },
      text: "/claude #-- EXTERNAL --#",
      fixed: { project: "web" },
    });
    expect(r.ok && r.request).toMatchObject({
      engineId: "codex",
      project: "web",
      cwd: "/srv/web",
      prompt: "/claude #-- EXTERNAL --#",
      source: { kind: "webhook", id: "gh" },
    });
    expect(r.ok && r.request.sessionScope).toBeUndefined();
  });

  test("triggers read the live config: a reload changes their project's directory", async () => {
    const before = await dispatch.dispatch({
      source: { kind: "cron", id: "nightly" },
      origin: { chatId: 7 },
      text: "report",
      fixed: { project: "web" },
    });
    settings = { ...baseSettings(), projects: new Map([["web", { path: "/srv/web-v2" }]]) };
    const after = await dispatch.dispatch({
      source: { kind: "cron", id: "nightly" },
      origin: { chatId: 7 },
      text: "report",
      fixed: { project: "web" },
    });
    expect(before.ok && before.request.cwd).toBe("/srv/web");
    expect(after.ok && after.request).toMatchObject({ cwd: "/srv/web-v2", engineId: "claude" });
  });

  test("an unknown project in a trigger is refused with the key to fix", async () => {
    const r = await dispatch.dispatch({
      source: { kind: "webhook", id: "x" },
      origin: { chatId: 7 },
      text: "p",
      fixed: { project: "nope" },
    });
    expect(r).toEqual({ ok: false, message: expect.stringContaining("[projects]") });
  });
});

describe("unattended runs and permission modes", () => {
  test("a cron never gets a mode more permissive than the engine's config; a stricter one is kept", async () => {
    const run = (permissionMode: string, engine = "claude") =>
      dispatch.dispatch({
        source: { kind: "cron", id: "c" },
        origin: { chatId: 7 },
        text: "x",
        fixed: { engine },
        permissionMode,
      });
    const loose = await run("bypassPermissions");
    expect(loose.ok && loose.request.permissionMode).toBeUndefined();
    const strict = await run("plan");
    expect(strict.ok && strict.request.permissionMode).toBe("plan");
    const unknown = await run("whatever");
    expect(unknown.ok && unknown.request.permissionMode).toBeUndefined();
    const codexSafe = await run("safe", "codex");
    expect(codexSafe.ok && codexSafe.request.permissionMode).toBe("safe");
  });

  test("a chat's own choice is not clamped (the user is there to answer)", async () => {
    const r = await dispatch.dispatch({ source: chat, origin: dm, text: "x", permissionMode: "acceptEdits" });
    expect(r.ok && r.request.permissionMode).toBe("acceptEdits");
  });
});
