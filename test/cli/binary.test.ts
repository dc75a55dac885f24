// The compiled binary, run as a user would: from an empty directory, with a temp HOME, no
// node_modules next to it. `bun run test` builds dist/untether first.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARY, ROOT } from "../support/harness.ts";

const TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl";

function run(args: string[], opts: { cwd?: string; home?: string; env?: Record<string, string>; stdin?: string } = {}) {
  const home = opts.home ?? mkdtempSync(join(tmpdir(), "untether-home-"));
  const p = Bun.spawnSync([BINARY, ...args], {
    cwd: opts.cwd ?? mkdtempSync(join(tmpdir(), "untether-cwd-")),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ...opts.env },
    stdin: opts.stdin === undefined ? "ignore" : Buffer.from(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString(), home };
}

/** `config set`; the token (a secret) goes through stdin, as it must. */
function setKey(home: string, key: string, value: string) {
  return key.endsWith("bot_token")
    ? run(["config", "set", key, "-"], { home, stdin: `${value}\n` })
    : run(["config", "set", key, value], { home });
}

beforeAll(() => {
  if (!existsSync(BINARY)) {
    const b = Bun.spawnSync(["bun", "scripts/build.ts"], { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
    if (b.exitCode !== 0) throw new Error(`build failed: ${b.stderr.toString()}`);
  }
});

describe("the compiled binary", () => {
  test("--version and --help work from an empty directory", () => {
    const v = run(["--version"]);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^untether \d+\.\d+\.\d+\n$/);
    const h = run(["--help"]);
    expect(h.code).toBe(0);
    expect(h.out).toContain("usage: untether");
    for (const cmd of ["run", "config", "doctor", "chat-id", "demo", "init", "pair"]) {
      const c = run([cmd, "--help"]);
      expect(c.code).toBe(0);
      expect(c.out).toContain("usage:");
    }
  });

  test("unknown command or flag: one error line plus usage on stderr, exit 2", () => {
    for (const args of [["frobnicate"], ["--frobnicate"], ["--config"]]) {
      const r = run(args);
      expect(r.code).toBe(2);
      expect(r.err.split("\n")[0]).toMatch(/^error: /);
      expect(r.err).toContain("usage: untether");
      expect(r.out).toBe("");
    }
  });

  test("a .env and a bunfig.toml preload in the current directory have no effect", () => {
    const cwd = mkdtempSync(join(tmpdir(), "untether-hostile-"));
    const marker = join(cwd, "preload-ran");
    writeFileSync(join(cwd, ".env"), `UNTETHER_CONFIG_PATH=${join(cwd, "evil.toml")}\nBUN_BE_BUN=1\n`);
    writeFileSync(join(cwd, "evil.ts"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x");\n`);
    writeFileSync(join(cwd, "bunfig.toml"), 'preload = ["./evil.ts"]\n[run]\npreload = ["./evil.ts"]\n');
    writeFileSync(join(cwd, "package.json"), '{"name":"evil","type":"commonjs"}\n');
    const r = run(["config", "path"], { cwd });
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(join(r.home, ".untether", "untether.toml"));
    const v = run(["--version"], { cwd });
    expect(v.out).toMatch(/^untether /); // BUN_BE_BUN from .env would have turned it into bun
    expect(existsSync(marker)).toBe(false);
  });

  test("config set then get in a fresh HOME: file 0600 in a 0700 directory, secrets masked", () => {
    const home = mkdtempSync(join(tmpdir(), "untether-home-"));
    const onArgv = run(["config", "set", "transports.telegram.bot_token", TOKEN], { home });
    expect(onArgv.code).toBe(2);
    expect(onArgv.out + onArgv.err).not.toContain(TOKEN);
    const set = setKey(home, "transports.telegram.bot_token", TOKEN);
    expect(set.code).toBe(0);
    expect(set.out + set.err).not.toContain(TOKEN);
    expect(run(["config", "set", "transports.telegram.chat_id", "-100123"], { home }).code).toBe(0);
    expect(run(["config", "set", "transports.telegram.allowed_user_ids", "[42, 43]"], { home }).code).toBe(0);
    const path = join(home, ".untether", "untether.toml");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, ".untether")).mode & 0o777).toBe(0o700);
    expect(run(["config", "get", "transports.telegram.chat_id"], { home }).out.trim()).toBe("-100123");
    expect(run(["config", "get", "transports.telegram.allowed_user_ids"], { home }).out.trim()).toBe("[42, 43]");
    const masked = run(["config", "get", "transports.telegram.bot_token"], { home });
    expect(masked.out).not.toContain(TOKEN);
    expect(run(["config", "get", "transports.telegram.bot_token", "--show-secrets"], { home }).out).toContain(TOKEN);
    const list = run(["config", "list"], { home });
    expect(list.out).not.toContain(TOKEN);
    expect(readFileSync(path, "utf8")).toContain(TOKEN);
  });

  test("config errors name the key and set exit codes: 1 not found, 2 validation", () => {
    const home = mkdtempSync(join(tmpdir(), "untether-home-"));
    run(["config", "set", "transports.telegram.chat_id", "5"], { home });
    const missing = run(["config", "get", "transports.telegram.nope"], { home });
    expect(missing.code).toBe(1);
    const bad = run(["config", "set", "transports.telegram.chat_id", "not-a-number"], { home });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("transports.telegram.chat_id");
    const unknown = run(["config", "set", "transports.telegram.colour", "blue"], { home });
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("colour");
  });

  test("UNTETHER_CONFIG_PATH is honoured by the config subcommands", () => {
    const dir = mkdtempSync(join(tmpdir(), "untether-cfg-"));
    const path = join(dir, "custom.toml");
    const r = run(["config", "set", "default_engine", "claude"], { env: { UNTETHER_CONFIG_PATH: path } });
    expect(r.code).toBe(0);
    expect(readFileSync(path, "utf8")).toContain('default_engine = "claude"');
    expect(run(["config", "path"], { env: { UNTETHER_CONFIG_PATH: path } }).out.trim()).toBe(path);
  });

  test("the bot refuses to start with an empty allowlist, naming both ways out", () => {
    const home = mkdtempSync(join(tmpdir(), "untether-home-"));
    setKey(home, "transports.telegram.bot_token", TOKEN);
    run(["config", "set", "transports.telegram.chat_id", "5"], { home });
    const r = run(["run"], { home });
    expect(r.code).toBe(2);
    expect(r.err).toContain("allowed_user_ids");
    expect(r.err).toContain("allow_any_user");
    expect(r.out + r.err).not.toContain(TOKEN);
  });

  test("a webhook secret under 16 characters stops the bot at load, naming the key, never the secret", () => {
    const home = mkdtempSync(join(tmpdir(), "untether-home-"));
    const dir = join(home, ".untether");
    mkdirSync(dir, { mode: 0o700 });
    const toml = [
      "[transports.telegram]",
      `bot_token = "${TOKEN}"`,
      "chat_id = 5",
      "allowed_user_ids = [5]",
      "[[triggers.webhooks]]",
      'id = "gh"',
      'path = "/hooks/gh"',
      'secret = "short-secret"',
      'prompt_template = "x"',
    ].join("\n");
    writeFileSync(join(dir, "untether.toml"), `${toml}\n`, { mode: 0o600 });
    const r = run(["run"], { home });
    expect(r.code).toBe(2);
    expect(r.err).toContain('triggers.webhooks[0].secret (webhook "gh"): is too short');
    expect(r.out + r.err).not.toContain("short-secret");
    expect(r.out + r.err).not.toContain(TOKEN);
  });

  test("Telegram unreachable at start: it waits with warnings that never show the token, and SIGTERM ends the wait", async () => {
    const home = mkdtempSync(join(tmpdir(), "untether-home-"));
    for (const [k, v] of [
      ["transports.telegram.bot_token", TOKEN],
      ["transports.telegram.chat_id", "5"],
      ["transports.telegram.allowed_user_ids", "[5]"],
      ["transports.telegram.api_base_url", "http://127.0.0.1:9"],
    ] as const) {
      expect(setKey(home, k, v).code).toBe(0);
    }
    const p = Bun.spawn([BINARY, "run"], {
      cwd: home,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, UNTETHER_LOG_LEVEL: "trace" },
      stdout: "pipe",
      stderr: "pipe",
    });
    let out = "";
    const dec = new TextDecoder();
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const chunk of s) out += dec.decode(chunk, { stream: true });
    };
    const pumped = Promise.all([pump(p.stdout), pump(p.stderr)]);
    // Two attempts (1 s apart): still running, not exited.
    while ((out.match(/telegram\.connect_retry/g) ?? []).length < 2 && p.exitCode === null) await Bun.sleep(100);
    expect(p.exitCode).toBeNull();
    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    await pumped;
    expect(out).toContain('"reason":"ECONNREFUSED"');
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(TOKEN.split(":")[1]!);
  }, 30_000);

  test("a rejected token still stops at once with what to fix", async () => {
    const { startEmulator } = await import("../../src/emulator/index.ts");
    const emu = await startEmulator();
    try {
      emu.injectFault({ kind: "unauthorized", method: "getMe" });
      const home = mkdtempSync(join(tmpdir(), "untether-home-"));
      for (const [k, v] of [
        ["transports.telegram.bot_token", emu.token],
        ["transports.telegram.chat_id", "5"],
        ["transports.telegram.allowed_user_ids", "[5]"],
        ["transports.telegram.api_base_url", emu.apiBaseUrl],
      ] as const) {
        expect(setKey(home, k, v).code).toBe(0);
      }
      const p = Bun.spawn([BINARY, "run"], {
        cwd: home,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(await p.exited).toBe(1);
      const err = await new Response(p.stderr).text();
      expect(err).toContain("Telegram rejected the bot token. Check transports.telegram.bot_token");
      expect(err).not.toContain(emu.token);
    } finally {
      await emu.stop();
    }
  }, 30_000);
});

describe("start-up stays light", () => {
  test("--version and --help load none of @gramio, croner or the webhook server", () => {
    const dir = mkdtempSync(join(tmpdir(), "untether-spy-"));
    const log = join(dir, "loaded.txt");
    const spy = join(dir, "spy.ts");
    writeFileSync(
      spy,
      `import { appendFileSync } from "node:fs";
Bun.plugin({ name: "spy", setup(b) { b.onLoad({ filter: /node_modules\\/(@gramio|croner)\\/|src\\/triggers\\/server\\.ts$/ }, (a) => { appendFileSync(${JSON.stringify(log)}, a.path + "\\n"); return undefined as never; }); } });\n`,
    );
    for (const args of [["--version"], ["--help"]]) {
      const p = Bun.spawnSync(["bun", "--preload", spy, join(ROOT, "src/main.ts"), ...args], {
        cwd: ROOT,
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(p.exitCode).toBe(0);
    }
    expect(existsSync(log)).toBe(false);
    // The spy works: the Bot API client loads @gramio/files.
    Bun.spawnSync(
      ["bun", "--preload", spy, "-e", `await import(${JSON.stringify(join(ROOT, "src/botapi/client.ts"))})`],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    );
    expect(existsSync(log)).toBe(true);
  });

  test("a bot without triggers loads neither the webhook server nor croner; enabling them loads both", () => {
    const dir = mkdtempSync(join(tmpdir(), "untether-spy-"));
    const log = join(dir, "loaded.txt");
    const spy = join(dir, "spy.ts");
    writeFileSync(
      spy,
      `import { appendFileSync } from "node:fs";
Bun.plugin({ name: "spy", setup(b) { b.onLoad({ filter: /node_modules\\/croner\\/|src\\/triggers\\/server\\.ts$/ }, (a) => { appendFileSync(${JSON.stringify(log)}, a.path + "\\n"); return undefined as never; }); } });\n`,
    );
    // The same path as `untether run`: the config is loaded and validated, then the triggers start.
    const script = (enabled: boolean) => `
const { buildConfig, parseConfigText } = await import(${JSON.stringify(join(ROOT, "src/config/load.ts"))});
const { startTriggers } = await import(${JSON.stringify(join(ROOT, "src/triggers/index.ts"))});
const { StateDb } = await import(${JSON.stringify(join(ROOT, "src/state/db.ts"))});
const toml = ${JSON.stringify(`default_engine = "claude"
[transports.telegram]
bot_token = "123456:ABCdefGhIJKlmnOPQrstUVwxyz0123456789"
chat_id = 1
allowed_user_ids = [1]
[triggers]
enabled = ENABLED
`)}.replace("ENABLED", "${enabled}");
const config = buildConfig(parseConfigText(toml), { accessPolicy: false }).config;
config.triggers.server.port = 0;
const t = await startTriggers(config, { defaultChatId: 1, projectPath: () => undefined, notify: async () => {}, startRun: async () => {} }, { db: StateDb.open(":memory:") });
await t.stop();
`;
    const off = Bun.spawnSync(["bun", "--preload", spy, "-e", script(false)], {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(off.stderr.toString()).toBe("");
    expect(off.exitCode).toBe(0);
    expect(existsSync(log)).toBe(false);
    const on = Bun.spawnSync(["bun", "--preload", spy, "-e", script(true)], {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "pipe",
    });
    // The spy stops a module it sees from loading, so this run ends there: only what it saw counts.
    expect(on.exitCode).not.toBe(0);
    const loaded = readFileSync(log, "utf8");
    expect(loaded).toContain("src/triggers/server.ts");
    expect(loaded).toContain("node_modules/croner/");
  });
});
