// Hot reload: which changed keys apply at once and which wait for a restart.
import { describe, expect, test } from "bun:test";
import { reloadNotice } from "../../src/cli/service.ts";
import { applyHot, diffConfig, isHotKey, revokedAccess } from "../../src/config/live.ts";
import { buildConfig, parseConfigText } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { FAKE_TOKEN } from "./helpers.ts";

function cfg(tg: string, rest = ""): Config {
  const text = `default_engine = "mock"\n[transports.telegram]\nchat_id = 1\n${tg}\n${rest}`;
  return buildConfig(parseConfigText(text), { baseDir: "/srv/cfg" }).config;
}
const TOKEN = `bot_token = "${FAKE_TOKEN}"`;

describe("diffConfig", () => {
  test("identical configs differ in nothing", () => {
    expect(diffConfig(cfg(`${TOKEN}\nallowed_user_ids = [1]`), cfg(`${TOKEN}\nallowed_user_ids = [1]`))).toEqual({
      hot: [],
      restart: [],
    });
  });

  test("access, files, voice, progress, footer, preamble and security are hot", () => {
    const a = cfg(`${TOKEN}\nallowed_user_ids = [1]`);
    const b = cfg(
      `${TOKEN}\nallowed_user_ids = [2]\nallow_any_user = true\nvoice_transcription = true\n[transports.telegram.files]\nenabled = true`,
      '[progress]\nverbosity = "verbose"\n[footer]\nshow_api_cost = false\n[preamble]\nenabled = false\n[security]\nenv_extra_allow = ["VAULT_ADDR"]',
    );
    const d = diffConfig(a, b);
    expect(d.restart).toEqual([]);
    expect(d.hot).toEqual([
      "footer.show_api_cost",
      "preamble.enabled",
      "progress.verbosity",
      "security.env_extra_allow",
      "transports.telegram.allow_any_user",
      "transports.telegram.allowed_user_ids",
      "transports.telegram.files.enabled",
      "transports.telegram.voice_transcription",
    ]);
  });

  test("token, chat, API base, session mode, projects, triggers, engines and default engine need a restart", () => {
    const a = cfg(`${TOKEN}\nallowed_user_ids = [1]`);
    const b = buildConfig(
      parseConfigText(
        `default_engine = "codex"\n[transports.telegram]\nbot_token = "999:other-token-value"\nchat_id = 2\nallowed_user_ids = [1]\n` +
          `api_base_url = "http://127.0.0.1:9/"\nsession_mode = "chat"\n[projects.x]\npath = "/p"\n[triggers]\nenabled = true\n[engines.codex]\nprofile = "fast"`,
      ),
      { baseDir: "/srv/cfg" },
    ).config;
    const d = diffConfig(a, b);
    expect(d.hot).toEqual([]);
    expect(d.restart).toEqual([
      "default_engine",
      "engines.codex.profile",
      "projects.x.path",
      "projects.x.worktrees_dir",
      "transports.telegram.api_base_url",
      "transports.telegram.bot_token",
      "transports.telegram.chat_id",
      "transports.telegram.session_mode",
      "triggers.enabled",
    ]);
  });

  test("every [progress] key is hot, the edit pacing included", () => {
    expect(isHotKey("progress.max_actions")).toBe(true);
    expect(isHotKey("progress.min_render_interval")).toBe(true);
    expect(isHotKey("transports.telegram.voice_max_bytes")).toBe(true);
    expect(isHotKey("watch_config")).toBe(false);
  });
});

describe("applyHot", () => {
  test("takes the hot keys of the new config and keeps the running restart-only values", () => {
    const a = cfg(`${TOKEN}\nallowed_user_ids = [1]`);
    const b = cfg(
      `bot_token = "999:other-token-value"\nallowed_user_ids = [2]\nsession_mode = "chat"`,
      '[projects.x]\npath = "/p"',
    );
    const c = applyHot(a, b);
    expect(c.transports.telegram.allowed_user_ids).toEqual([2]);
    expect(c.transports.telegram.bot_token.reveal()).toBe(FAKE_TOKEN);
    expect(c.transports.telegram.session_mode).toBe("stateless");
    expect(c.projects).toEqual({});
    expect(diffConfig(c, b).hot).toEqual([]);
    expect(diffConfig(c, b).restart).toContain("transports.telegram.bot_token");
  });
});

describe("reloadNotice", () => {
  test("names restart keys once and never their values", () => {
    const html = reloadNotice({
      kind: "reloaded",
      applied: [],
      restart: ["transports.telegram.bot_token"],
      restartIsNew: true,
    });
    expect(html).toBe("🔄 Config changed, restart to apply: <code>transports.telegram.bot_token</code>");
    expect(
      reloadNotice({ kind: "reloaded", applied: ["footer.show_api_cost"], restart: ["x"], restartIsNew: false }),
    ).toBeUndefined();
  });

  test("a failed reload is reported once with its reason", () => {
    expect(reloadNotice({ kind: "failed", reason: "bad <key>", isNew: true })).toBe(
      "⚠️ The new config was not applied: bad &lt;key&gt;",
    );
    expect(reloadNotice({ kind: "failed", reason: "bad <key>", isNew: false })).toBeUndefined();
  });
});

describe("revokedAccess: a refused file still takes access away", () => {
  const running = cfg(`${TOKEN}\nallowed_user_ids = [10, 20, 30]`);
  test("an emptied allowlist (the file fails validation) leaves nobody allowed", () => {
    const next = revokedAccess(
      running,
      `[transports.telegram]\nbot_token = "${FAKE_TOKEN}"\nchat_id = 1\nallowed_user_ids = []\n`,
    );
    expect(next?.transports.telegram.allowed_user_ids).toEqual([]);
  });
  test("users the file no longer lists lose access; users it adds gain nothing", () => {
    const next = revokedAccess(running, `unknown_key = 1\n[transports.telegram]\nallowed_user_ids = [20, 99]\n`);
    expect(next?.transports.telegram.allowed_user_ids).toEqual([20]);
  });
  test("no change in access: undefined (the running config stays); not TOML at all: undefined", () => {
    expect(
      revokedAccess(running, `unknown_key = 1\n[transports.telegram]\nallowed_user_ids = [10, 20, 30, 40]\n`),
    ).toBeUndefined();
    expect(revokedAccess(running, "[transports.telegram\nallowed_user_ids = [")).toBeUndefined();
  });
  test("allow_any_user switched off in a refused file is switched off", () => {
    const open = cfg(`${TOKEN}\nallow_any_user = true`);
    expect(
      revokedAccess(open, `oops = 1\n[transports.telegram]\nallow_any_user = false\n`)?.transports.telegram
        .allow_any_user,
    ).toBe(false);
  });
});
