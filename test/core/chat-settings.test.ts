// Per-chat settings: the store (per chat, per topic, persisted in the state database), effective
// values with their source, the checks per engine, and what a run gets (and what an unattended run
// does not), through dispatch into the engine's argv.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildConfig, parseConfigText } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { ChatSettings, settingsScope } from "../../src/core/chat-settings.ts";
import { RunDispatch } from "../../src/core/dispatch.ts";
import { createEngineRegistry } from "../../src/engines/registry.ts";
import { StateDb } from "../../src/state/db.ts";

function configOf(toml: string): Config {
  const base = `default_engine = "claude"\n[transports.telegram]\nbot_token = "1:x"\nchat_id = -1\nallowed_user_ids = [1]\n`;
  return buildConfig(parseConfigText(`${base}${toml}`)).config;
}

const engines = createEngineRegistry({ claude: {}, codex: {}, gemini: {}, pi: {}, opencode: {}, amp: {} }, []);
let db: StateDb;
let config: Config;
let cs: ChatSettings;
const chat = { chatId: 42 };
const topic = { chatId: 42, threadId: 7 };

beforeEach(() => {
  db = StateDb.open(":memory:");
  config = configOf(`[engines.claude]\nmodel = "opus"\n[progress]\nverbosity = "compact"\n`);
  cs = new ChatSettings({ db, config: () => config, engines });
});
afterEach(() => db.close());

describe("effective values and their source", () => {
  test("model: the chat's, else the engine's config table, else the CLI's default", () => {
    expect(cs.effective(chat, "model", "claude")).toEqual({ value: "opus", source: "config" });
    expect(cs.effective(chat, "model", "codex")).toEqual({ value: undefined, source: "default" });
    expect(cs.set(chat, "model", "claude", "sonnet")).toBeUndefined();
    expect(cs.effective(chat, "model", "claude")).toEqual({ value: "sonnet", source: "chat" });
    // Per engine: Claude's model is not Codex's.
    expect(cs.effective(chat, "model", "codex").source).toBe("default");
    expect(cs.set(chat, "model", "claude", undefined)).toBe("sonnet");
    expect(cs.effective(chat, "model", "claude")).toEqual({ value: "opus", source: "config" });
  });

  test("a forum topic has its own settings", () => {
    cs.set(topic, "verbose", undefined, "on");
    expect(cs.effective(topic, "verbose")).toEqual({ value: "on", source: "chat" });
    expect(cs.effective(chat, "verbose")).toEqual({ value: "off", source: "config" });
    expect(settingsScope(topic)).toBe("chat:42:topic:7");
  });

  test("permission defaults: Claude's config mode, Codex full, Gemini yolo", () => {
    expect(cs.effective(chat, "permission", "claude")).toEqual({ value: "default", source: "default" });
    expect(cs.effective(chat, "permission", "codex")).toEqual({ value: "full", source: "default" });
    expect(cs.effective(chat, "permission", "gemini")).toEqual({ value: "yolo", source: "default" });
    config = configOf(`[engines.claude]\npermission_mode = "plan"\n`);
    expect(cs.effective(chat, "permission", "claude")).toEqual({ value: "plan", source: "config" });
  });

  test("persisted: a new store over the same database file sees the values", () => {
    const path = join(mkdtempSync(join(tmpdir(), "untether-cs-")), "untether.db");
    const a = StateDb.open(path);
    new ChatSettings({ db: a, config: () => config, engines }).set(chat, "reasoning", "claude", "high");
    a.close();
    const b = StateDb.open(path);
    expect(new ChatSettings({ db: b, config: () => config, engines }).effective(chat, "reasoning", "claude")).toEqual({
      value: "high",
      source: "chat",
    });
    b.close();
  });
});

describe("checks per engine", () => {
  test("reasoning levels are the CLI's; an engine without the flag refuses", () => {
    expect(cs.check("reasoning", "claude", "xhigh")).toEqual({ ok: true, value: "xhigh" });
    const bad = cs.check("reasoning", "claude", "extreme");
    expect(bad).toEqual({
      ok: false,
      message: "unknown claude reasoning 'extreme'; choose one of low, medium, high, xhigh, max",
    });
    expect(cs.check("reasoning", "codex", "minimal")).toEqual({ ok: true, value: "minimal" });
    expect(cs.check("reasoning", "gemini", "high")).toEqual({
      ok: false,
      message: "gemini has no reasoning flag; nothing to set",
    });
  });

  test("a model name can never become a flag; amp takes only its modes", () => {
    expect(cs.check("model", "claude", "claude-sonnet-5[1m]").ok).toBe(true);
    expect(cs.check("model", "claude", "--dangerously-skip-permissions").ok).toBe(false);
    expect(cs.check("model", "amp", "smart")).toEqual({ ok: true, value: "smart" });
    expect(cs.check("model", "amp", "gpt-5").ok).toBe(false);
  });

  test("permission values per engine; the unsafe ones are flagged", () => {
    expect(cs.check("permission", "gemini", "auto_edit")).toEqual({ ok: true, value: "auto_edit" });
    expect(cs.check("permission", "codex", "never").ok).toBe(false);
    expect(cs.check("permission", "pi", "safe").ok).toBe(false);
    expect(cs.lowersSafety("permission", "claude", "bypassPermissions")).toBe(true);
    expect(cs.lowersSafety("permission", "codex", "full")).toBe(true);
    expect(cs.lowersSafety("permission", "gemini", "yolo")).toBe(true);
    expect(cs.lowersSafety("permission", "claude", "plan")).toBe(false);
  });
});

describe("into the next run's argv (dispatch → engine)", () => {
  const dispatchOf = () =>
    new RunDispatch({
      settings: () => ({
        defaultEngine: "claude",
        sessionMode: "stateless",
        defaultCwd: "/tmp",
        projects: new Map(),
      }),
      engines,
      db,
      gitEnv: {},
      isActive: () => false,
      chatSettings: cs,
    });
  const argvOf = async (source: { kind: "chat" } | { kind: "cron"; id: string }, text = "hi") => {
    const r = await dispatchOf().dispatch({ source, origin: chat, text });
    if (!r.ok) throw new Error(r.message);
    const req = r.request;
    const job = {
      prompt: req.prompt,
      cwd: req.cwd,
      ...(req.model === undefined ? {} : { model: req.model }),
      ...(req.reasoning === undefined ? {} : { reasoning: req.reasoning }),
      ...(req.permissionMode === undefined ? {} : { permissionMode: req.permissionMode }),
    };
    return engines.get(req.engineId)?.buildArgs(job) ?? [];
  };

  test("Claude: --model, --effort and --permission-mode from the chat", async () => {
    cs.set(chat, "model", "claude", "sonnet");
    cs.set(chat, "reasoning", "claude", "high");
    cs.set(chat, "permission", "claude", "plan");
    const argv = await argvOf({ kind: "chat" });
    expect(argv.join(" ")).toContain("--model sonnet --effort high");
    expect(argv.join(" ")).toContain("--permission-mode plan");
    cs.set(chat, "model", "claude", undefined);
    expect((await argvOf({ kind: "chat" })).join(" ")).not.toContain("--model");
  });

  test("an unattended run keeps the config's permission mode but gets the chat's model", async () => {
    cs.set(chat, "permission", "claude", "bypassPermissions");
    cs.set(chat, "model", "claude", "haiku");
    const argv = (await argvOf({ kind: "cron", id: "c" })).join(" ");
    expect(argv).not.toContain("--permission-mode");
    expect(argv).toContain("--model haiku");
  });

  test("Codex: -m and -c model_reasoning_effort; safe asks", async () => {
    cs.set(chat, "model", "codex", "gpt-5.5");
    cs.set(chat, "reasoning", "codex", "minimal");
    cs.set(chat, "permission", "codex", "safe");
    const argv = (await argvOf({ kind: "chat" }, "/codex hi")).join(" ");
    expect(argv).toContain("--model gpt-5.5 -c model_reasoning_effort=minimal --ask-for-approval untrusted");
    cs.set(chat, "permission", "codex", "full");
    expect((await argvOf({ kind: "chat" }, "/codex hi")).join(" ")).toContain("--ask-for-approval never");
  });

  test("Gemini: --approval-mode from the chat; Pi --thinking; OpenCode --variant", async () => {
    cs.set(chat, "permission", "gemini", "plan");
    expect((await argvOf({ kind: "chat" }, "/gemini hi")).join(" ")).toContain("--approval-mode plan");
    cs.set(chat, "reasoning", "pi", "off");
    expect((await argvOf({ kind: "chat" }, "/pi hi")).join(" ")).toContain("--thinking off");
    cs.set(chat, "reasoning", "opencode", "max");
    expect((await argvOf({ kind: "chat" }, "/opencode hi")).join(" ")).toContain("--variant max");
  });
});
