// Unit tests of the config-only checks: files, voice, engines, engine env, triggers, state folder,
// and the renderer. Inputs are built configs and injected DNS / PATH / port probes.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { buildConfig, parseConfigText } from "../../src/config/load.ts";
import { engineChecks } from "../../src/doctor/engine-checks.ts";
import { checkDenyGlobs, checkFileAccess } from "../../src/doctor/files-checks.ts";
import { renderHuman, renderJson } from "../../src/doctor/render.ts";
import { leakedSecretNames, securityChecks } from "../../src/doctor/security-checks.ts";
import { checkStateDir } from "../../src/doctor/state-checks.ts";
import { probePort, triggerChecks } from "../../src/doctor/trigger-checks.ts";
import type { CheckResult } from "../../src/doctor/types.ts";
import { voiceChecks } from "../../src/doctor/voice-checks.ts";
import { type TempHome, tempHome } from "../config/helpers.ts";
import { fakeDetect } from "./helpers.ts";

const BASE = `[transports.telegram]
bot_token = "123456789:AAFakeTokenForTestsOnly_abcdefghijklm"
chat_id = 1
allowed_user_ids = [1]
`;
const cfg = (extraTelegram = "", extra = "") =>
  buildConfig(parseConfigText(`${extra}\n${BASE}${extraTelegram}`), { accessPolicy: false }).config;
const byId = (rs: CheckResult[], id: string) => rs.find((r) => r.id === id);

describe("file transfer", () => {
  test("disabled, restricted, open", () => {
    expect(checkFileAccess(cfg().transports.telegram.files)).toMatchObject({ status: "ok", detail: "disabled" });
    const restricted = cfg("[transports.telegram.files]\nenabled = true\nallowed_user_ids = [1, 2]\n");
    expect(checkFileAccess(restricted.transports.telegram.files).detail).toBe("enabled, restricted to 2 user(s)");
    const open = cfg("[transports.telegram.files]\nenabled = true\n");
    expect(checkFileAccess(open.transports.telegram.files).status).toBe("warn");
  });

  test("an unbalanced glob fails, naming it; valid extra globs count on top of the built-in list", () => {
    const files = cfg('[transports.telegram.files]\ndeny_globs = ["**/*.pem", "secret[", ".env"]\n').transports.telegram
      .files;
    const compiles = checkDenyGlobs(files);
    expect(compiles).toMatchObject({ status: "error", fix: "transports.telegram.files.deny_globs" });
    expect(compiles.detail).toContain('"secret["');
    const good = checkDenyGlobs(
      cfg('[transports.telegram.files]\ndeny_globs = ["secrets/**"]\n').transports.telegram.files,
    );
    expect(good).toMatchObject({ status: "ok", detail: "14 built-in + 1 configured" });
  });
});

describe("voice", () => {
  const on = (more = "") => cfg(`voice_transcription = true\n${more}`).transports.telegram;
  const resolver = async () => ["93.184.216.34"];

  test("disabled is one ok line", async () => {
    expect(await voiceChecks(cfg().transports.telegram, {})).toEqual([
      { id: "voice.transcription", label: "voice transcription", status: "ok", detail: "disabled" },
    ]);
  });

  test("the key comes from the config or OPENAI_API_KEY, else an error", async () => {
    expect(byId(await voiceChecks(on('voice_transcription_api_key = "sk-x"'), {}), "voice.api_key")?.detail).toBe(
      "voice_transcription_api_key set",
    );
    expect(byId(await voiceChecks(on(), { OPENAI_API_KEY: "sk-y" }), "voice.api_key")?.detail).toBe(
      "OPENAI_API_KEY set",
    );
    expect(byId(await voiceChecks(on(), {}), "voice.api_key")?.status).toBe("error");
  });

  test("a public endpoint passes; a private one fails unless allowlisted", async () => {
    const pub = await voiceChecks(on('voice_transcription_base_url = "https://stt.example.com/v1"'), {}, resolver);
    expect(byId(pub, "voice.endpoint")).toMatchObject({ status: "ok", detail: "stt.example.com → 93.184.216.34" });
    const priv = await voiceChecks(
      on('voice_transcription_base_url = "http://whisper.lan.example/v1"'),
      {},
      async () => ["192.168.1.9"],
    );
    expect(byId(priv, "voice.endpoint")?.status).toBe("error");
    expect(byId(priv, "voice.endpoint")?.fix).toContain("voice_transcription_url_allowlist");
    const allowed = await voiceChecks(
      on(
        'voice_transcription_base_url = "http://whisper.lan.example/v1"\nvoice_transcription_url_allowlist = ["192.168.1.0/24"]',
      ),
      {},
      async () => ["192.168.1.9"],
    );
    expect(byId(allowed, "voice.endpoint")?.status).toBe("ok");
  });
});

describe("engines", () => {
  test("installed default with version; others not installed; mock always there", async () => {
    const rs = await engineChecks(cfg(), {}, fakeDetect(["codex"]));
    expect(byId(rs, "engines.config")?.status).toBe("ok");
    expect(byId(rs, "engines.codex")).toMatchObject({
      status: "ok",
      label: "engine codex (default)",
      detail: "installed 1.2.3 (/usr/local/bin/codex)",
    });
    expect(byId(rs, "engines.amp")).toMatchObject({ status: "ok", detail: "not installed" });
    expect(byId(rs, "engines.mock")?.status).toBe("ok");
    expect(rs[1]?.id).toBe("engines.codex");
  });

  test("each default engine gets its own install command", async () => {
    const expected: Record<string, string> = {
      claude: "npm install -g @anthropic-ai/claude-code",
      pi: "npm install -g @mariozechner/pi-coding-agent",
      gemini: "npm install -g @google/gemini-cli",
      opencode: "npm install -g opencode-ai",
      amp: "npm install -g @sourcegraph/amp",
    };
    for (const [id, cmd] of Object.entries(expected)) {
      const rs = await engineChecks(cfg("", `default_engine = "${id}"`), {}, fakeDetect([]));
      expect(byId(rs, `engines.${id}`)).toMatchObject({ status: "error", fix: cmd });
    }
  });

  test("installed but the version check fails: a warning with how to see why", async () => {
    const broken = async (cli: string) => ({
      installed: true,
      path: `/bin/${cli}`,
      error: `\`${cli} --version\` exited with code 127`,
    });
    const rs = await engineChecks(cfg(), {}, broken);
    expect(byId(rs, "engines.codex")).toMatchObject({
      status: "warn",
      fix: "run `codex --version` to see why, or reinstall: npm install -g @openai/codex",
    });
    expect(byId(rs, "engines.codex")?.detail).toBe(
      "installed (/bin/codex), but the version check failed: `codex --version` exited with code 127",
    );
  });

  test("the real detector finds a CLI on PATH and reads its version", async () => {
    const { defaultDetectEngine } = await import("../../src/doctor/detect.ts");
    const home = tempHome();
    try {
      const bin = join(home.home, "bin");
      mkdirSync(bin);
      await Bun.write(join(bin, "codex"), "#!/bin/sh\necho 'codex-cli 9.9.9'\n");
      chmodSync(join(bin, "codex"), 0o755);
      const rs = await engineChecks(cfg(), { PATH: `${bin}:/usr/bin:/bin` }, await defaultDetectEngine());
      expect(byId(rs, "engines.codex")).toMatchObject({
        status: "ok",
        detail: `installed codex-cli 9.9.9 (${bin}/codex)`,
      });
      expect(byId(rs, "engines.claude")?.detail).toBe("not installed");
    } finally {
      home.cleanup();
    }
  });

  test("a missing engine a project names is a warning", async () => {
    const config = cfg("", '[projects.app]\npath = "/tmp"\ndefault_engine = "gemini"\n');
    const rs = await engineChecks(config, {}, fakeDetect(["codex"]));
    expect(byId(rs, "engines.gemini")).toMatchObject({ status: "warn", fix: "npm install -g @google/gemini-cli" });
  });
});

describe("engine environment", () => {
  test("provider keys of the allowlist are not reported; a prefix does not pass credentials, an exact extension does", () => {
    const env = {
      OPENAI_API_KEY: "a",
      GITHUB_TOKEN: "b",
      CLAUDE_CODE_OAUTH_TOKEN: "c",
      VAULT_TOKEN: "d",
      AWS_SECRET_ACCESS_KEY: "e",
      PATH: "/bin",
    };
    expect(leakedSecretNames(env, { exact: [], prefix: [] })).toEqual([]);
    expect(leakedSecretNames(env, { exact: [], prefix: ["VAULT_"] })).toEqual([]);
    expect(leakedSecretNames(env, { exact: ["VAULT_TOKEN"], prefix: [] })).toEqual(["VAULT_TOKEN"]);
  });

  test("extensions are summarised; a very short prefix warns", () => {
    const sec = cfg(
      "",
      '[security]\nenv_extra_allow = ["VAULT_ADDR", "A_PASSWORD"]\nenv_extra_prefix_allow = ["A_"]\n',
    ).security;
    const [extras, leak] = securityChecks(sec, { A_PASSWORD: "hunter2", A_SECRET: "hunter3" });
    expect(extras).toMatchObject({ status: "warn", fix: "security.env_extra_prefix_allow" });
    expect(leak?.detail).toBe("engines would see 1 secret-looking variable(s): A_PASSWORD");
    expect(JSON.stringify([extras, leak])).not.toContain("hunter2");
  });
});

describe("triggers", () => {
  const trig = (body: string) =>
    buildConfig(parseConfigText(`${BASE}\n[triggers]\nenabled = true\n${body}`), { accessPolicy: false }).config
      .triggers;
  const free = async () => true;

  test("disabled is one ok line", async () => {
    expect(await triggerChecks(cfg().triggers, free)).toEqual([
      { id: "triggers.enabled", label: "triggers", status: "ok", detail: "disabled" },
    ]);
  });

  test("loopback with authenticated webhooks and valid crons is all ok", async () => {
    const t = trig(
      '[[triggers.webhooks]]\nid = "gh"\npath = "/hooks/gh"\nauth = "hmac-sha256"\nsecret = "s3cr3t-value-0123456"\nprompt_template = "x"\n[[triggers.crons]]\nid = "daily"\nschedule = "0 9 * * 1-5"\nprompt = "hi"\ntimezone = "Europe/Berlin"\n',
    );
    const rs = await triggerChecks(t, free);
    expect(rs.map((r) => r.status)).toEqual(["ok", "ok", "ok", "ok"]);
  });

  test("a public bind warns; with an unauthenticated webhook it is an error", async () => {
    const pub = trig('[triggers.server]\nhost = "0.0.0.0"\n');
    expect(byId(await triggerChecks(pub, free), "triggers.bind")?.status).toBe("warn");
    const t = { ...pub, webhooks: [{ id: "open", path: "/open", auth: "none" } as (typeof pub.webhooks)[number]] };
    const rs = await triggerChecks(t, free);
    expect(byId(rs, "triggers.bind")).toMatchObject({
      status: "error",
      fix: "untether config set triggers.server.host 127.0.0.1",
    });
    expect(byId(rs, "triggers.webhook_auth")?.status).toBe("warn");
    expect(
      byId(await triggerChecks({ ...t, allow_unauthenticated_webhooks: true }, free), "triggers.bind")?.status,
    ).toBe("warn");
  });

  test("a webhook without its secret and a bad cron are errors", async () => {
    const t = trig("");
    const broken = {
      ...t,
      webhooks: [{ id: "gh", path: "/h", auth: "bearer" } as (typeof t.webhooks)[number]],
      crons: [{ id: "c", schedule: "61 * * * *", prompt: "x" } as (typeof t.crons)[number]],
    };
    const rs = await triggerChecks(broken, free);
    expect(byId(rs, "triggers.webhook_auth")?.detail).toBe("webhook(s) without a secret: gh");
    expect(byId(rs, "triggers.crons")?.detail).toStartWith("c: invalid cron expression");
  });

  test("a port in use is an error (real bind)", async () => {
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      expect(await probePort("127.0.0.1", server.port)).toBe(false);
      const t = trig(`[triggers.server]\nport = ${server.port}\n`);
      expect(byId(await triggerChecks(t), "triggers.port")).toMatchObject({
        status: "error",
        fix: "triggers.server.port",
      });
    } finally {
      server.stop(true);
    }
  });
});

describe("state directory", () => {
  let home: TempHome;
  beforeEach(() => {
    home = tempHome();
  });
  afterEach(() => {
    chmodSync(home.home, 0o700);
    home.cleanup();
  });

  test("missing but creatable, 0700, too open, not writable", () => {
    const dir = join(home.home, "state");
    expect(checkStateDir(dir)).toMatchObject({ status: "ok" });
    expect(checkStateDir(dir).detail).toContain("will be created");
    mkdirSync(dir, { mode: 0o700 });
    expect(checkStateDir(dir).status).toBe("ok");
    chmodSync(dir, 0o750);
    // Too open is an error: Untether does not chmod a folder it may not have created.
    expect(checkStateDir(dir)).toMatchObject({ status: "error" });
    expect(checkStateDir(dir).fix).toStartWith(`chmod 700 ${dir} if the folder is Untether's own`);
    if (process.getuid?.() !== 0) {
      chmodSync(dir, 0o500);
      expect(checkStateDir(dir).status).toBe("error");
      chmodSync(home.home, 0o500);
      expect(checkStateDir(join(home.home, "nope")).status).toBe("error");
    }
    chmodSync(dir, 0o700);
  });
});

describe("render", () => {
  const checks: CheckResult[] = [
    { id: "a", label: "alpha", status: "ok", detail: "fine" },
    { id: "b", label: "beta", status: "warn", detail: "hmm", fix: "do x" },
    { id: "c", label: "gamma", status: "error", detail: "bad", fix: "do y" },
  ];

  test("ASCII tags, indented fixes and a summary", () => {
    expect(renderHuman(checks, "head", { fancy: false })).toBe(
      "head\n[ok] alpha: fine\n[warn] beta: hmm\n    fix: do x\n[FAIL] gamma: bad\n    fix: do y\n1 ok, 1 warning(s), 1 error(s): problems found\n",
    );
  });

  test("symbols when fancy", () => {
    const out = renderHuman(checks, "head", { fancy: true });
    expect(out).toContain("✓\x1b[0m alpha");
    expect(out).toContain("!\x1b[0m beta");
    expect(out).toContain("✗\x1b[0m gamma");
  });

  test("JSON: ok false on an error, the clock injected", () => {
    const doc = JSON.parse(renderJson(checks, new Date(0))) as { ok: boolean; checked_at: string; checks: unknown[] };
    expect(doc).toMatchObject({ ok: false, checked_at: "1970-01-01T00:00:00.000Z" });
    expect(doc.checks).toHaveLength(3);
  });
});
