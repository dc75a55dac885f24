import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { configHelp, runConfigCommand } from "../../src/cli/config.ts";
import { loadConfig } from "../../src/config/load.ts";
import { cliContext, FAKE_TOKEN, type TempHome, tempHome, writeConfig } from "../config/helpers.ts";

let home: TempHome;
let env: Record<string, string | undefined>;
let defaultPath: string;

beforeEach(() => {
  home = tempHome();
  env = { HOME: home.home };
  defaultPath = join(home.home, ".untether", "untether.toml");
});
afterEach(() => home.cleanup());

async function run(
  args: string[],
  opts: { env?: Record<string, string | undefined>; flag?: string; stdin?: string } = {},
) {
  const r = cliContext(opts.env ?? env, opts.flag);
  const stdin = opts.stdin;
  if (stdin !== undefined) r.ctx.readStdin = async () => stdin;
  const code = await runConfigCommand(args, r.ctx);
  return { code, out: r.out(), err: r.err() };
}

const mode = (p: string) => statSync(p).mode & 0o777;

describe("config path", () => {
  test("prints the default path and nothing else", async () => {
    expect(await run(["path"])).toEqual({ code: 0, out: `${defaultPath}\n`, err: "" });
  });

  test("honours UNTETHER_CONFIG_PATH and --config, with ~ expanded", async () => {
    const withEnv = { ...env, UNTETHER_CONFIG_PATH: "~/elsewhere/u.toml" };
    expect((await run(["path"], { env: withEnv })).out).toBe(`${home.home}/elsewhere/u.toml\n`);
    expect((await run(["path"], { env: withEnv, flag: "~/flag.toml" })).out).toBe(`${home.home}/flag.toml\n`);
  });
});

describe("config set", () => {
  test("setting the bot token creates a 0600 file in a 0700 folder and never echoes the token", async () => {
    const r = await run(["set", "transports.telegram.bot_token", "-"], { stdin: `${FAKE_TOKEN}\n` });
    expect(r).toEqual({ code: 0, out: "updated transports.telegram.bot_token = [REDACTED]\n", err: "" });
    expect(mode(defaultPath)).toBe(0o600);
    expect(mode(join(home.home, ".untether"))).toBe(0o700);
    expect(readFileSync(defaultPath, "utf8")).toBe(`[transports.telegram]\nbot_token = "${FAKE_TOKEN}"\n`);
  });

  test("step by step: token, chat id, allowlist; then the bot config loads", async () => {
    expect((await run(["set", "transports.telegram.bot_token", "-"], { stdin: FAKE_TOKEN })).code).toBe(0);
    expect((await run(["set", "transports.telegram.chat_id", "-1001234567890"])).out).toBe(
      "updated transports.telegram.chat_id = -1001234567890\n",
    );
    // The allowlist is not enforced by `set`, but the bot refuses to start without it.
    expect(() => loadConfig(defaultPath)).toThrow("allowed_user_ids");
    expect((await run(["set", "transports.telegram.allowed_user_ids", "[123456789]"])).out).toBe(
      "updated transports.telegram.allowed_user_ids = [123456789]\n",
    );
    const { config } = loadConfig(defaultPath);
    expect(config.transports.telegram.chat_id).toBe(-1001234567890);
    expect(config.transports.telegram.allowed_user_ids).toEqual([123456789]);
    expect(config.transports.telegram.bot_token.reveal()).toBe(FAKE_TOKEN);
  });

  test("values are TOML literals when they parse, text otherwise", async () => {
    await run(["set", "default_engine", "claude"]);
    await run(["set", "transports.telegram.allow_any_user", "true"]);
    await run(["set", "progress.max_actions", "7"]);
    await run(["set", "engines.claude.model", "4"]); // a string key keeps "4" as text
    const text = readFileSync(defaultPath, "utf8");
    expect(text).toContain('default_engine = "claude"');
    expect(text).toContain("allow_any_user = true");
    expect(text).toContain("max_actions = 7");
    expect(text).toContain('model = "4"');
  });

  test("a capitalised boolean is refused, file untouched", async () => {
    await run(["set", "transports.telegram.allow_any_user", "true"]);
    const before = readFileSync(defaultPath, "utf8");
    const r = await run(["set", "transports.telegram.allow_any_user", "False"]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'error: transports.telegram.allow_any_user: expected true or false, got the string "False"; write false in lower case, without quotes\n',
    );
    expect(readFileSync(defaultPath, "utf8")).toBe(before);
  });

  test("unknown keys, bad ranges and invalid crons are refused with exit 2 and nothing written", async () => {
    const bogus = await run(["set", "transports.telegram.bogus", "1"]);
    expect(bogus.code).toBe(2);
    expect(bogus.err).toStartWith("error: transports.telegram.bogus: unknown key in [transports.telegram]");
    expect((await run(["set", "progress.max_actions", "99"])).err).toBe(
      "error: progress.max_actions: must be between 0 and 50, got 99\n",
    );
    const cron = await run(["set", "triggers.crons", '[{ id = "daily", schedule = "99 * * * *", prompt = "hi" }]']);
    expect(cron.code).toBe(2);
    expect(cron.err).toStartWith('error: triggers.crons[0].schedule (cron "daily"): invalid cron expression');
    const env2 = await run(["set", "security.env_extra_allow", '["lower_case"]']);
    expect(env2.err).toContain('invalid environment variable name "lower_case"');
    expect(() => statSync(defaultPath)).toThrow();
  });

  test("key segments are validated", async () => {
    expect(await run(["set", "a..b", "1"])).toEqual({
      code: 2,
      out: "",
      err: "error: invalid key path 'a..b': empty segment\n",
    });
    const r = await run(["set", "a.b c", "1"]);
    expect(r.code).toBe(2);
    expect(r.err).toBe("error: invalid key segment 'b c' in 'a.b c': use only letters, digits, '_' or '-'\n");
    expect((await run(["set", "onlykey"])).code).toBe(2);
  });

  test("a legacy file is written back migrated, key order kept", async () => {
    writeConfig(
      defaultPath,
      `watch_config = true\nbot_token = "${FAKE_TOKEN}"\nchat_id = 5\n\n[progress]\nmax_actions = 3\n`,
    );
    const r = await run(["set", "default_engine", "pi"]);
    expect(r.code).toBe(0);
    const text = readFileSync(defaultPath, "utf8");
    expect(text.startsWith('watch_config = true\ndefault_engine = "pi"\n\n[progress]')).toBe(true);
    expect(text.split("bot_token")).toHaveLength(2); // only under [transports.telegram]
    expect(text).toContain(`[transports.telegram]\nbot_token = "${FAKE_TOKEN}"\nchat_id = 5`);
    expect(text.indexOf("watch_config")).toBeLessThan(text.indexOf("default_engine"));
    expect(text.indexOf("[progress]")).toBeLessThan(text.indexOf("[transports.telegram]"));
  });

  test("a legacy key name is set where it lives now", async () => {
    expect((await run(["set", "chat_id", "77"])).out).toBe("updated transports.telegram.chat_id = 77\n");
  });

  test("an existing loose file is tightened to 0600 and no temp file is left", async () => {
    writeConfig(defaultPath, `[transports.telegram]\nchat_id = 5\n`, 0o644);
    expect((await run(["set", "transports.telegram.chat_id", "6"])).code).toBe(0);
    expect(mode(defaultPath)).toBe(0o600);
    expect(readdirSync(join(home.home, ".untether"))).toEqual(["untether.toml"]);
  });

  test("set writes where UNTETHER_CONFIG_PATH points", async () => {
    const withEnv = { ...env, UNTETHER_CONFIG_PATH: "~/custom/bot.toml" };
    expect((await run(["set", "transports.telegram.chat_id", "9"], { env: withEnv })).code).toBe(0);
    expect(readFileSync(join(home.home, "custom", "bot.toml"), "utf8")).toContain("chat_id = 9");
    expect(() => statSync(defaultPath)).toThrow();
    expect((await run(["get", "transports.telegram.chat_id"], { env: withEnv })).out).toBe("9\n");
  });
});

describe("config list and get", () => {
  const full = `default_engine = "claude"
[transports.telegram]
bot_token = "${FAKE_TOKEN}"
chat_id = 5
allowed_user_ids = [1, 2]
voice_transcription_api_key = "sk-test-voice-000000000000000000"
[[triggers.webhooks]]
id = "gh"
path = "/gh"
secret = "webhook-secret-value"
prompt_template = "x"
`;

  test("list prints sorted key = literal lines with secrets masked", async () => {
    writeConfig(defaultPath, full);
    const r = await run(["list"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'default_engine = "claude"',
        "transports.telegram.allowed_user_ids = [1, 2]",
        "transports.telegram.bot_token = [REDACTED]",
        "transports.telegram.chat_id = 5",
        "transports.telegram.voice_transcription_api_key = [REDACTED]",
        'triggers.webhooks = [{ id = "gh", path = "/gh", secret = "[REDACTED]", prompt_template = "x" }]',
        "",
      ].join("\n"),
    );
  });

  test("list --show-secrets shows them", async () => {
    writeConfig(defaultPath, full);
    const out = (await run(["list", "--show-secrets"])).out;
    expect(out).toContain(`bot_token = "${FAKE_TOKEN}"`);
    expect(out).toContain('secret = "webhook-secret-value"');
  });

  test("get prints one literal; secrets masked unless --show-secrets", async () => {
    writeConfig(defaultPath, full);
    expect(await run(["get", "transports.telegram.allowed_user_ids"])).toEqual({ code: 0, out: "[1, 2]\n", err: "" });
    expect((await run(["get", "transports.telegram.bot_token"])).out).toBe("[REDACTED]\n");
    expect((await run(["get", "transports.telegram.bot_token", "--show-secrets"])).out).toBe(`"${FAKE_TOKEN}"\n`);
  });

  test("get on a table is an error (2); a missing key is exit 1", async () => {
    writeConfig(defaultPath, full);
    const table = await run(["get", "transports.telegram"]);
    expect(table.code).toBe(2);
    expect(table.err).toContain("transports.telegram is a table");
    expect(await run(["get", "progress.max_actions"])).toEqual({
      code: 1,
      out: "",
      err: "error: progress.max_actions is not set\n",
    });
  });

  test("list and get with no file exit 1 naming the path", async () => {
    const r = await run(["list"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "error: config file not found: ~/.untether/untether.toml; create it with: untether init (or step by step: untether config set transports.telegram.bot_token -, then paste the token from @BotFather)\n",
    );
    expect((await run(["get", "default_engine"])).code).toBe(1);
  });

  test("a malformed file is exit 2 with the line", async () => {
    writeConfig(defaultPath, "a = 1\nb = [\n");
    const r = await run(["list"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: ~\/\.untether\/untether\.toml: TOML syntax error at line \d+, column \d+/);
  });
});

const COMMENTED = `# Untether, hand-edited
# keep this header

default_engine = "claude"   # the default agent

[transports.telegram]
# from @BotFather
bot_token = "${FAKE_TOKEN}"
chat_id = 42 # my private chat
allowed_user_ids = [
  42, # me
]

# limits
[progress]
max_actions = 5 # enough
`;

/** Lines of `after` that are not in `before` and the other way round (a tiny line diff). */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  return { added: b.filter((l) => !a.includes(l)), removed: a.filter((l) => !b.includes(l)) };
}

describe("edits keep the file's comments and layout", () => {
  test("set changes only the line of the key", async () => {
    writeConfig(defaultPath, COMMENTED);
    expect((await run(["set", "progress.max_actions", "7"])).code).toBe(0);
    const after = readFileSync(defaultPath, "utf8");
    expect(lineDiff(COMMENTED, after)).toEqual({
      added: ["max_actions = 7 # enough"],
      removed: ["max_actions = 5 # enough"],
    });
    expect(after.split("\n")).toHaveLength(COMMENTED.split("\n").length);
    expect(mode(defaultPath)).toBe(0o600);
  });

  test("a new key is one added line; unset removes only its line", async () => {
    writeConfig(defaultPath, COMMENTED);
    expect((await run(["set", "transports.telegram.allow_any_user", "false"])).code).toBe(0);
    const added = readFileSync(defaultPath, "utf8");
    expect(lineDiff(COMMENTED, added)).toEqual({ added: ["allow_any_user = false"], removed: [] });
    expect((await run(["unset", "transports.telegram.allow_any_user"])).code).toBe(0);
    expect(readFileSync(defaultPath, "utf8")).toBe(COMMENTED);
  });

  test("a new table is added as a [section] and the comments stay", async () => {
    writeConfig(defaultPath, COMMENTED);
    expect((await run(["set", "engines.claude.model", "opus"])).code).toBe(0);
    const after = readFileSync(defaultPath, "utf8");
    expect(lineDiff(COMMENTED, after).removed).toEqual([]);
    expect(after).toContain('[engines.claude]\nmodel = "opus"');
    expect(after).not.toMatch(/^\[engines\]$/m);
    expect(loadConfig(defaultPath).config.engines.claude?.model).toBe("opus");
  });

  test("an edit the patcher cannot express is still written right (comments dropped, with a note)", async () => {
    writeConfig(defaultPath, COMMENTED);
    const r = await run([
      "set",
      "triggers.crons",
      '[{ id = "a", schedule = "0 9 * * *", prompt = "hi" }, { id = "b", schedule = "0 10 * * *", prompt = "yo" }]',
    ]);
    expect(r.code).toBe(0);
    const { config } = loadConfig(defaultPath);
    expect(config.triggers.crons.map((c) => c.id)).toEqual(["a", "b"]);
    expect(config.transports.telegram.chat_id).toBe(42);
    if (!readFileSync(defaultPath, "utf8").includes("# my private chat")) expect(r.err).toContain("note: ");
  });
});

describe("secrets from standard input", () => {
  test("a secret on the command line is refused without repeating it; nothing is written", async () => {
    const r = await run(["set", "transports.telegram.bot_token", FAKE_TOKEN]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("untether config set transports.telegram.bot_token -");
    expect(`${r.out}${r.err}`).not.toContain(FAKE_TOKEN);
    expect(() => statSync(defaultPath)).toThrow();
  });

  test("`-` reads the value from stdin (one line end stripped) and prints it masked", async () => {
    writeConfig(defaultPath, COMMENTED);
    const other = "987654321:AAOtherTokenForTestsOnly_abcdefghijkl";
    const r = await run(["set", "bot_token", "-"], { stdin: `${other}\n` });
    expect(r).toEqual({ code: 0, out: "updated transports.telegram.bot_token = [REDACTED]\n", err: "" });
    expect(loadConfig(defaultPath).config.transports.telegram.bot_token.reveal()).toBe(other);
    expect(readFileSync(defaultPath, "utf8")).toContain("# from @BotFather");
  });

  test("empty stdin is refused", async () => {
    const r = await run(["set", "transports.telegram.bot_token", "-"], { stdin: "\n" });
    expect(r.code).toBe(2);
    expect(r.err).toContain("standard input held no value");
  });
});

describe("set refuses a config the bot could not start with", () => {
  test("an empty allowlist without allow_any_user: exit 2 naming the key, file untouched", async () => {
    writeConfig(defaultPath, COMMENTED);
    const r = await run(["set", "transports.telegram.allowed_user_ids", "[]"]);
    expect(r.code).toBe(2);
    expect(r.err).toStartWith(
      "error: refusing to change transports.telegram.allowed_user_ids: the bot would not start",
    );
    expect(r.err).toContain("allow_any_user");
    expect(readFileSync(defaultPath, "utf8")).toBe(COMMENTED);
  });

  test("unsetting the allowlist of a working file is refused too", async () => {
    writeConfig(defaultPath, COMMENTED);
    const r = await run(["unset", "transports.telegram.allowed_user_ids"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("refusing to change transports.telegram.allowed_user_ids");
    expect(readFileSync(defaultPath, "utf8")).toBe(COMMENTED);
  });

  test("unsetting the token of a working file is refused", async () => {
    writeConfig(defaultPath, COMMENTED);
    const r = await run(["unset", "transports.telegram.bot_token"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("refusing to change transports.telegram.bot_token");
  });

  test("an empty allowlist with allow_any_user = true is accepted", async () => {
    writeConfig(defaultPath, COMMENTED.replace("chat_id = 42", "allow_any_user = true\nchat_id = 42"));
    expect((await run(["set", "transports.telegram.allowed_user_ids", "[]"])).code).toBe(0);
  });
});

describe("config unset", () => {
  test("removes the key and prunes empty tables", async () => {
    writeConfig(defaultPath, `[transports.telegram]\nchat_id = 5\n[progress]\nmax_actions = 3\n`);
    expect(await run(["unset", "progress.max_actions"])).toEqual({
      code: 0,
      out: "removed progress.max_actions\n",
      err: "",
    });
    expect(readFileSync(defaultPath, "utf8")).toBe("[transports.telegram]\nchat_id = 5\n");
    expect(mode(defaultPath)).toBe(0o600);
  });

  test("a missing key is exit 1 and the file is untouched", async () => {
    writeConfig(defaultPath, `[transports.telegram]\nchat_id = 5\n`);
    expect((await run(["unset", "progress.max_actions"])).code).toBe(1);
    expect(readFileSync(defaultPath, "utf8")).toBe(`[transports.telegram]\nchat_id = 5\n`);
  });
});

describe("help and usage", () => {
  test("--help documents exit codes, the path order, stdin for secrets and kept comments", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(configHelp);
    for (const s of [
      "UNTETHER_CONFIG_PATH",
      "exit codes:",
      "0  done",
      "1  key not set",
      "2  usage error",
      "set KEY -",
      "comments and layout are kept",
    ]) {
      expect(r.out).toContain(s);
    }
  });

  test("no subcommand or an unknown one is a usage error", async () => {
    expect((await run([])).code).toBe(2);
    expect(await run(["frobnicate"])).toEqual({
      code: 2,
      out: "",
      err: "error: unknown config command: frobnicate (path, list, get, set, unset)\n",
    });
  });
});
