import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { assertAccessPolicy, logAccessPolicy } from "../../src/config/access.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { buildConfig, loadConfig, parseConfigText } from "../../src/config/load.ts";
import { checkConfigPermissions } from "../../src/config/permissions.ts";
import { createLogger, setLogger } from "../../src/log/logger.ts";
import { Secret } from "../../src/log/secret.ts";
import { BUILTIN_DENY_GLOBS, effectiveDenyGlobs } from "../../src/security/deny-globs.ts";
import { captureLogs, FAKE_TOKEN, MINIMAL_TOML, type TempHome, tempHome, writeConfig } from "./helpers.ts";

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

/** Builds from TOML text appended to a valid minimal config. */
function build(extra: string, base = MINIMAL_TOML) {
  return buildConfig(parseConfigText(`${base}\n${extra}`), { baseDir: "/srv/cfg" });
}
const buildError = (extra: string, base = MINIMAL_TOML) => errorOf(() => build(extra, base));
/** Top-level keys must come before the first [table] header. */
const buildTop = (keys: string) => buildConfig(parseConfigText(`${keys}\n${MINIMAL_TOML}`), { baseDir: "/srv/cfg" });
const topError = (keys: string) => errorOf(() => buildTop(keys));

let home: TempHome;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => {
  home.cleanup();
  setLogger(createLogger({ level: "silent", sink: { write: () => {} } }));
});

describe("loading files", () => {
  test("a missing file names the path and how to create it", () => {
    const path = join(home.home, ".untether", "untether.toml");
    const e = errorOf(() => loadConfig(path, { env: { HOME: home.home } }));
    expect(e.code).toBe("config.missing");
    expect(e.message).toContain("~/.untether/untether.toml");
    expect(e.message).toContain("untether config set transports.telegram.bot_token");
  });

  test("a TOML syntax error gives line and column", () => {
    const path = join(home.home, "u.toml");
    writeConfig(path, `[transports.telegram]\nchat_id = 1\nbot_token = = "x"\n`);
    const e = errorOf(() => loadConfig(path));
    expect(e.code).toBe("config.toml_syntax");
    expect(e.message).toMatch(/line 3, column \d+/);
  });

  test("a valid file loads with defaults applied", () => {
    const path = join(home.home, "u.toml");
    writeConfig(path, MINIMAL_TOML);
    const { config, migrated } = loadConfig(path);
    expect(migrated).toEqual([]);
    expect(config.default_engine).toBe("codex");
    expect(config.transport).toBe("telegram");
    expect(config.transports.telegram.api_base_url).toBe("https://api.telegram.org");
    expect(config.transports.telegram.files.uploads_dir).toBe("incoming");
    expect(config.progress.group_chat_rps).toBeCloseTo(1 / 3);
    expect(config.watchdog.claude_stream_idle_timeout_ms).toBe(300000);
    expect(config.triggers.server).toEqual({
      host: "127.0.0.1",
      port: 9876,
      rate_limit: 60,
      max_body_bytes: 1048576,
      peer_failures_per_minute: 30,
    });
    expect(config.engines.codex.extra_args).toEqual(["-c", "notify=[]"]);
    expect(config.engines.claude.allowed_tools).toEqual(["Bash", "Read", "Edit", "Write"]);
  });

  test("deny_globs defaults to none; the built-in list applies with or without it and is never replaced", () => {
    const required = [".git/**", ".env", ".envrc", "**/*.pem", "**/.ssh/**", "**/id_rsa"];
    const none = build("").config.transports.telegram.files.deny_globs;
    expect(none).toEqual([]);
    for (const g of required) expect(effectiveDenyGlobs(none)).toContain(g);
    const own = build('[transports.telegram.files]\ndeny_globs = ["secrets/**"]\n').config.transports.telegram.files
      .deny_globs;
    expect(effectiveDenyGlobs(own)).toEqual([...BUILTIN_DENY_GLOBS, "secrets/**"]);
    // A file that still spells out the old defaults loads and changes nothing.
    const old = build(`[transports.telegram.files]\ndeny_globs = ${JSON.stringify(BUILTIN_DENY_GLOBS)}\n`).config
      .transports.telegram.files.deny_globs;
    expect(effectiveDenyGlobs(old)).toEqual([...BUILTIN_DENY_GLOBS]);
  });
});

describe("schema errors name the key", () => {
  test("wrong type", () => {
    const e = errorOf(() =>
      buildConfig(
        parseConfigText(`[transports.telegram]\nbot_token = "${FAKE_TOKEN}"\nchat_id = "12"\nallow_any_user = true\n`),
      ),
    );
    expect(e.code).toBe("config.invalid");
    expect(e.message).toStartWith("transports.telegram.chat_id: expected an integer");
    expect(e.key).toBe("transports.telegram.chat_id");
  });

  test("unknown keys are rejected at every level, with their full path", () => {
    expect(topError("bogus = 1").message).toStartWith("bogus: unknown key in the top level");
    expect(buildError("[transports.telegram.files]\nenabeld = true").message).toStartWith(
      "transports.telegram.files.enabeld: unknown key in [transports.telegram.files]",
    );
    expect(buildError("[progress]\nverbose = true").message).toContain("progress.verbose: unknown key");
    expect(
      buildError(
        '[[triggers.webhooks]]\nid = "gh"\npath = "/gh"\nsecret = "s3cretvalue-0123456"\nprompt_template = "x"\ncolour = 1',
      ).message,
    ).toStartWith('triggers.webhooks[0].colour (webhook "gh"): unknown key');
    expect(buildError('[engines.claude]\nmodell = "x"').message).toStartWith("engines.claude.modell: unknown key");
  });

  test("ranges and enums", () => {
    expect(buildError("[progress]\nmax_actions = 51").message).toBe(
      "progress.max_actions: must be between 0 and 50, got 51",
    );
    expect(buildError("[progress]\ngroup_chat_rps = 0").message).toStartWith("progress.group_chat_rps: must be > 0");
    expect(buildError("[triggers.server]\nport = 70000").message).toStartWith(
      "triggers.server.port: must be between 1 and 65535",
    );
    expect(topError('default_engine = "gpt"').message).toStartWith(
      'default_engine: expected one of "claude", "codex", "pi", "gemini", "opencode", "amp", "mock"',
    );
  });

  test("the mock engine is accepted as default_engine", () => {
    expect(buildTop('default_engine = "mock"').config.default_engine).toBe("mock");
  });

  test("api_base_url must be an http(s) URL", () => {
    const base = MINIMAL_TOML.replace("chat_id", 'api_base_url = "ftp://x"\nchat_id');
    expect(buildError("", base).message).toStartWith(
      "transports.telegram.api_base_url: must be an http:// or https:// URL",
    );
    const ok = MINIMAL_TOML.replace("chat_id", 'api_base_url = "http://127.0.0.1:8081"\nchat_id');
    expect(build("", ok).config.transports.telegram.api_base_url).toBe("http://127.0.0.1:8081");
  });

  test("a bool written as a capitalised string is refused with a hint", () => {
    const base = MINIMAL_TOML.replace("chat_id", 'allow_any_user = "False"\nchat_id');
    expect(buildError("", base).message).toBe(
      'transports.telegram.allow_any_user: expected true or false, got the string "False"; write false in lower case, without quotes',
    );
  });

  test("the bot token never appears in an error", () => {
    const base = `[transports.telegram]\nbot_token = 123456789\nchat_id = 1\nallowed_user_ids = [1]\n`;
    const e = buildError("", base);
    expect(e.message).toBe("transports.telegram.bot_token: expected a string");
  });

  test("uploads_dir and outbox_dir must be relative", () => {
    expect(buildError('[transports.telegram.files]\nuploads_dir = "/etc"').message).toStartWith(
      "transports.telegram.files.uploads_dir: must be a path relative to the project root",
    );
    expect(buildError('[transports.telegram.files]\noutbox_dir = "../out"').message).toContain("must not contain '..'");
  });

  test("env allowlist names must look like env vars", () => {
    const e = buildError('[security]\nenv_extra_allow = ["VAULT_ADDR", "vault-token"]');
    expect(e.message).toStartWith('security.env_extra_allow[1]: invalid environment variable name "vault-token"');
    expect(e.message).toContain("[A-Z_][A-Z0-9_]*");
    expect(buildError('[security]\nenv_extra_prefix_allow = ["1X_"]').message).toStartWith(
      "security.env_extra_prefix_allow[0]",
    );
    expect(build('[security]\nenv_extra_prefix_allow = ["VAULT_"]').config.security.env_extra_prefix_allow).toEqual([
      "VAULT_",
    ]);
  });

  test("watchdog RAM thresholds must be ordered", () => {
    expect(buildError("[watchdog]\nprespawn_ram_warn_mb = 400").message).toContain("got warn=400, block=500");
  });

  test("managed engine flags are refused", () => {
    expect(buildError('[engines.claude]\nextra_args = ["--permission-mode=x"]').message).toStartWith(
      'engines.claude.extra_args[0]: flag "--permission-mode=x" is managed by Untether',
    );
    expect(buildError('[codex]\nextra_args = ["--json"]').message).toStartWith("codex.extra_args[0]");
  });
});

describe("migration and normalisation", () => {
  test("legacy top-level bot_token/chat_id/allow_any_user move under [transports.telegram]", () => {
    const { config, migrated } = buildConfig(
      parseConfigText(`bot_token = "${FAKE_TOKEN}"\nchat_id = 42\nallow_any_user = true\n`),
    );
    expect(config.transports.telegram.chat_id).toBe(42);
    expect(config.transports.telegram.allow_any_user).toBe(true);
    expect(config.transports.telegram.bot_token.reveal()).toBe(FAKE_TOKEN);
    expect(migrated).toContain("bot_token → transports.telegram.bot_token");
  });

  test("topics.mode becomes topics.scope", () => {
    expect(
      build('[transports.telegram.topics]\nmode = "per_project_chat"').config.transports.telegram.topics.scope,
    ).toBe("projects");
    expect(buildError('[transports.telegram.topics]\nmode = "x"').key).toBe("transports.telegram.topics.mode");
  });

  test("engine tables are accepted at the top level and under [engines]", () => {
    expect(build('[claude]\nmodel = "opus"').config.engines.claude.model).toBe("opus");
    expect(build('[engines.claude]\nmodel = "opus"').config.engines.claude.model).toBe("opus");
    expect(buildError('[claude]\nmodel = "a"\n[engines.claude]\nmodel = "b"').message).toContain(
      "both [claude] and [engines.claude]",
    );
  });

  test("project paths are resolved against the config folder; engine ids are not aliases", () => {
    const { config } = build('[projects.web]\npath = "repos/web"\ndefault_engine = "claude"');
    expect(config.projects.web?.path).toBe("/srv/cfg/repos/web");
    expect(buildError('[projects.claude]\npath = "/x"').message).toStartWith("projects.claude: alias");
    expect(topError('default_project = "nope"').message).toStartWith('default_project: no project named "nope"');
  });
});

describe("triggers", () => {
  const hook = (extra: string) => `[[triggers.webhooks]]\nid = "gh"\npath = "/hooks/gh"\n${extra}`;

  test("an invalid cron schedule names the cron", () => {
    const e = buildError('[[triggers.crons]]\nid = "daily"\nschedule = "61 * * * *"\nprompt = "hi"');
    expect(e.message).toStartWith('triggers.crons[0].schedule (cron "daily"): invalid cron expression "61 * * * *"');
    expect(e.key).toBe("triggers.crons[0].schedule");
  });

  test("cron schedules need exactly five fields", () => {
    expect(buildError('[[triggers.crons]]\nid = "c"\nschedule = "0 0 9 * * 1"\nprompt = "hi"').message).toContain(
      "expected 5 fields",
    );
    expect(
      build('[[triggers.crons]]\nid = "c"\nschedule = "0 9 * * 1-5"\nprompt = "hi"').config.triggers.crons[0]?.schedule,
    ).toBe("0 9 * * 1-5");
  });

  test("time zones must be IANA names", () => {
    expect(buildError('[triggers]\ndefault_timezone = "Mars/Base"').message).toStartWith(
      'triggers.default_timezone: unknown timezone "Mars/Base"',
    );
    expect(
      buildError('[[triggers.crons]]\nid = "c"\nschedule = "* * * * *"\nprompt = "x"\ntimezone = "Nowhere"').message,
    ).toStartWith('triggers.crons[0].timezone (cron "c")');
  });

  test("a cron needs prompt or prompt_template, and unique ids", () => {
    expect(buildError('[[triggers.crons]]\nid = "c"\nschedule = "* * * * *"').message).toContain(
      "either prompt or prompt_template",
    );
    const two = '[[triggers.crons]]\nid = "c"\nschedule = "* * * * *"\nprompt = "x"\n';
    expect(buildError(two + two).message).toContain("cron ids must be unique");
  });

  test("webhook secrets are required unless auth = none (standard-webhooks too)", () => {
    expect(buildError(hook('prompt_template = "x"')).message).toBe(
      'triggers.webhooks[0].secret (webhook "gh"): is required when auth = "bearer"',
    );
    expect(buildError(hook('auth = "standard-webhooks"\nprompt_template = "x"')).message).toContain(
      'auth = "standard-webhooks"',
    );
    expect(build(hook('auth = "none"\nprompt_template = "x"')).config.triggers.webhooks[0]?.auth).toBe("none");
  });

  test("a webhook secret shorter than 16 characters is refused at load, naming the key, never the value", () => {
    for (const short of ["tok-123456", "fifteen-chars-x", "   padded-short   "]) {
      const e = buildError(hook(`secret = "${short}"\nprompt_template = "x"`));
      expect(e.key).toBe("triggers.webhooks[0].secret");
      expect(e.message).toStartWith(
        'triggers.webhooks[0].secret (webhook "gh"): is too short: use at least 16 characters',
      );
      expect(e.message).not.toContain(short.trim());
    }
    // The same rule with auth = "none" (a secret given is still a secret) and for standard-webhooks.
    expect(buildError(hook('auth = "none"\nsecret = "short"\nprompt_template = "x"')).key).toBe(
      "triggers.webhooks[0].secret",
    );
    expect(
      build(hook('secret = "sixteen-chars-xy"\nprompt_template = "x"')).config.triggers.webhooks[0]?.secret?.reveal(),
    ).toBe("sixteen-chars-xy");
  });

  test('forward_url may be a template, even wholly ("{{url}}"); a fixed or templated non-http scheme is refused', () => {
    const fwd = (url: string) =>
      hook(`secret = "s3cretvalue-0123456"\naction = "http_forward"\nforward_url = "${url}"`);
    for (const url of [
      "{{url}}",
      "{{ payload.target }}",
      "https://{{ host }}/in",
      "http{{ s }}://x.example/",
      "https://x.example/{{ id }}",
    ]) {
      expect(build(fwd(url)).config.triggers.webhooks[0]?.forward_url).toBe(url);
    }
    for (const url of ["ftp://x.example/", "ftp://{{ host }}/", "x.example/{{ id }}", "file:{{ path }}"]) {
      const e = buildError(fwd(url));
      expect(e.key).toBe("triggers.webhooks[0].forward_url");
      expect(e.message).toContain("must be an http:// or https:// URL, or a template that renders to one");
    }
  });

  test("triggers.server.public_host is a Host header value: name or [v6], optional port, nothing else", () => {
    for (const ok of ["hooks.example.com", "hooks.example.com:8443", "[2001:db8::1]:443", "localhost"]) {
      expect(build(`[triggers.server]\npublic_host = "${ok}"`).config.triggers.server.public_host).toBe(ok);
    }
    for (const bad of [
      "https://hooks.example.com",
      "hooks.example.com/in",
      "user@hooks.example.com",
      "hooks example",
    ]) {
      const e = buildError(`[triggers.server]\npublic_host = "${bad}"`);
      expect(e.key).toBe("triggers.server.public_host");
      expect(e.message).toContain("no scheme, no path");
    }
  });

  test("auth = none is refused on a non-loopback bind unless opted in", () => {
    const open = hook('auth = "none"\nprompt_template = "x"\n[triggers.server]\nhost = "0.0.0.0"');
    expect(buildError(open).message).toContain("allow_unauthenticated_webhooks");
    expect(build(`[triggers]\nallow_unauthenticated_webhooks = true\n${open}`).config.triggers.server.host).toBe(
      "0.0.0.0",
    );
  });

  test("webhook paths, ids and action keys", () => {
    const s = 'secret = "s3cretvalue-0123456"\n';
    expect(
      buildError(`[[triggers.webhooks]]\nid = "a"\npath = "/health"\n${s}prompt_template = "x"`).message,
    ).toContain("not be /health");
    expect(buildError(`[[triggers.webhooks]]\nid = "a"\npath = "no-slash"\n${s}prompt_template = "x"`).key).toBe(
      "triggers.webhooks[0].path",
    );
    const a = `[[triggers.webhooks]]\nid = "a"\npath = "/a"\n${s}prompt_template = "x"\n`;
    expect(buildError(a + a).message).toContain("webhook ids must be unique");
    expect(buildError(a + a.replace('id = "a"', 'id = "b"')).message).toContain("webhook paths must be unique");
    expect(buildError(hook(`${s}action = "http_forward"`)).message).toBe(
      'triggers.webhooks[0].forward_url (webhook "gh"): is required when action = "http_forward"',
    );
    expect(buildError(hook(`${s}action = "file_write"`)).key).toBe("triggers.webhooks[0].file_path");
    expect(buildError(hook(`${s}action = "notify_only"`)).key).toBe("triggers.webhooks[0].message_template");
    expect(buildError(hook(s)).key).toBe("triggers.webhooks[0].prompt_template");
  });
});

describe("secrets", () => {
  const text = `${MINIMAL_TOML.replace("chat_id", 'voice_transcription_api_key = "sk-test-voicekey-0123456789abcdef"\nchat_id')}
[[triggers.webhooks]]
id = "gh"
path = "/gh"
secret = "whsec-webhook-secret-value"
action = "http_forward"
forward_url = "https://example.org/in"
forward_headers = { Authorization = "Bearer fwd-token-value-123", "X-Kind" = "push" }
`;

  test("secrets are Secret instances, masked by String, JSON and Bun.inspect", () => {
    const { config } = buildConfig(parseConfigText(text));
    const tg = config.transports.telegram;
    expect(tg.bot_token).toBeInstanceOf(Secret);
    expect(tg.bot_token.reveal()).toBe(FAKE_TOKEN);
    expect(tg.voice_transcription_api_key?.reveal()).toBe("sk-test-voicekey-0123456789abcdef");
    const hook = config.triggers.webhooks[0];
    expect(hook?.secret?.reveal()).toBe("whsec-webhook-secret-value");
    expect(hook?.forward_headers?.["X-Kind"]).toBe("push");
    expect(hook?.forward_headers?.Authorization).toBeInstanceOf(Secret);
    const shown = [JSON.stringify(config), Bun.inspect(config), String(tg.bot_token), `${hook?.secret}`].join("\n");
    for (const value of [FAKE_TOKEN, "sk-test-voicekey", "whsec-webhook-secret-value", "fwd-token-value-123"]) {
      expect(shown).not.toContain(value);
    }
    expect(shown).toContain("[REDACTED]");
  });

  test("a blank voice key counts as unset; a key with a newline is refused", () => {
    const blank = MINIMAL_TOML.replace("chat_id", 'voice_transcription_api_key = "  "\nchat_id');
    expect(build("", blank).config.transports.telegram.voice_transcription_api_key).toBeUndefined();
    const nl = MINIMAL_TOML.replace("chat_id", 'voice_transcription_api_key = "abc\\ndef"\nchat_id');
    expect(buildError("", nl).message).toContain("control characters");
  });
});

describe("access policy", () => {
  const open = `[transports.telegram]\nbot_token = "${FAKE_TOKEN}"\nchat_id = 1\n`;

  test("an empty allowlist is refused with both ways out", () => {
    const e = errorOf(() => buildConfig(parseConfigText(open)));
    expect(e.code).toBe("config.access_policy");
    expect(e.message).toContain("transports.telegram.allowed_user_ids");
    expect(e.message).toContain('untether config set transports.telegram.allowed_user_ids "[123456789]"');
    expect(e.message).toContain("allow_any_user true");
    expect(e.message).toContain("demo only");
  });

  test("the check can be skipped and called separately", () => {
    const { config } = buildConfig(parseConfigText(open), { accessPolicy: false });
    expect(() => assertAccessPolicy(config)).toThrow(ConfigError);
    config.transports.telegram.allowed_user_ids = [5];
    expect(() => assertAccessPolicy(config)).not.toThrow();
  });

  test("allow_any_user = true passes and is logged at INFO on every start", () => {
    const logs = captureLogs();
    const { config } = buildConfig(parseConfigText(`${open}allow_any_user = true\n`));
    logAccessPolicy(config);
    logAccessPolicy(config);
    const hits = logs.filter((l) => l.msg === "security.allow_any_user");
    expect(hits).toHaveLength(2);
    expect(hits[0]?.level).toBe("info");
  });

  test("an allowlist does not log the open-bot event", () => {
    const logs = captureLogs();
    logAccessPolicy(build("").config);
    expect(logs.some((l) => l.msg === "security.allow_any_user")).toBe(false);
  });
});

describe("file permissions", () => {
  test("a group/world readable file logs config.insecure_permissions with the chmod fix", () => {
    const logs = captureLogs();
    const path = join(home.home, "u.toml");
    writeConfig(path, MINIMAL_TOML, 0o644);
    loadConfig(path);
    const warn = logs.find((l) => l.msg === "config.insecure_permissions");
    expect(warn?.level).toBe("warn");
    expect(warn?.fix).toBe(`chmod 600 ${path}`);
    expect(warn?.mode).toBe("644");
    expect(JSON.stringify(logs)).not.toContain(FAKE_TOKEN);
  });

  test("a 0600 file is quiet; a group-writable one is not", () => {
    const path = join(home.home, "u.toml");
    writeConfig(path, MINIMAL_TOML, 0o600);
    expect(checkConfigPermissions(path)).toBeUndefined();
    writeConfig(path, MINIMAL_TOML, 0o620);
    expect(checkConfigPermissions(path)?.fix).toBe(`chmod 600 ${path}`);
  });
});
