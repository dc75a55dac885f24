// `untether init` as a new user runs it: the compiled binary on a pseudo-terminal (Debian's
// `script`), against the Bot API emulator. The token is typed hidden (not in the transcript), a
// message is sent to the bot, and the config gets the token, chat_id, allowed_user_ids and the
// default engine, with the comments and layout of the existing file kept. A re-run with --yes
// changes nothing that is set.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { type Emulator, startEmulator } from "../../src/emulator/index.ts";
import { untetherCommand } from "../support/harness.ts";

let emu: Emulator;
let home: string;
let configPath: string;
let env: Record<string, string>;

beforeAll(async () => {
  emu = await startEmulator({ botUsername: "untether_init_bot" });
  home = mkdtempSync(join(tmpdir(), "untether-init-"));
  mkdirSync(join(home, ".untether"), { mode: 0o700 });
  configPath = join(home, ".untether", "untether.toml");
  // An agent CLI on PATH: a stand-in `claude` that answers --version.
  const bin = join(home, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "claude"), "#!/bin/sh\necho 1.2.3 (Claude Code)\n");
  chmodSync(join(bin, "claude"), 0o755);
  env = { HOME: home, PATH: `${bin}:/usr/bin:/bin`, TERM: "dumb" };
});

afterAll(async () => {
  await emu.stop();
  rmSync(home, { recursive: true, force: true });
});

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

test("on a terminal: hidden token, a message to the bot, config written with comments kept", async () => {
  const before = `# my untether config
# (hand-written, keep these notes)

[transports.telegram]
api_base_url = "${emu.apiBaseUrl}"   # the local Bot API

# limits
[progress]
max_actions = 7 # plenty
`;
  writeFileSync(configPath, before, { mode: 0o600 });
  const cmd = [...untetherCommand(), "init", "--timeout", "60"].map(shellQuote).join(" ");
  const proc = Bun.spawn(["script", "-qfec", cmd, "/dev/null"], {
    cwd: home,
    env,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  let transcript = "";
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stdout) transcript += dec.decode(chunk, { stream: true });
  })();
  const waitFor = async (text: string) => {
    const deadline = Date.now() + 30_000;
    while (!transcript.includes(text)) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`no "${text}" in:\n${transcript}`);
      await Bun.sleep(50);
    }
  };
  await waitFor("Bot token from @BotFather");
  proc.stdin.write(`${emu.token}\r`);
  proc.stdin.flush();
  await waitFor("Send any message to @untether_init_bot now");
  const user = emu.addUser({ firstName: "Olga", username: "olga" });
  const dm = emu.privateChat(user.id).id;
  emu.sendUserMessage({ chatId: dm, from: user.id, text: "hi bot" });
  await waitFor("Start the bot:");
  expect(await proc.exited).toBe(0);

  // The token was typed hidden: nowhere in what the terminal showed.
  expect(transcript).toContain("✓ token works: @untether_init_bot");
  expect(transcript).not.toContain(emu.token);
  expect(transcript).not.toContain(emu.token.split(":")[1] as string);
  expect(transcript).toContain(`user id ${user.id}`);
  expect(transcript).toContain("agents found: claude");
  expect(transcript).toContain("(comments and layout kept)");
  expect(transcript).toContain("untether run");

  const { config } = loadConfig(configPath);
  expect(config.transports.telegram.bot_token.reveal()).toBe(emu.token);
  expect(config.transports.telegram.chat_id).toBe(dm);
  expect(config.transports.telegram.allowed_user_ids).toEqual([user.id]);
  expect(config.default_engine).toBe("claude");
  expect(config.progress.max_actions).toBe(7);
  const after = readFileSync(configPath, "utf8");
  for (const line of before.split("\n")) expect(after).toContain(line);
  expect(statSync(configPath).mode & 0o777).toBe(0o600);
  // The message used for set-up was acknowledged: the bot will neither run nor report it.
  expect(emu.pendingUpdates()).toEqual([]);
}, 90_000);

test("re-run with --yes on a complete config: asks nothing, changes nothing", async () => {
  const before = readFileSync(configPath, "utf8");
  // Async: the emulator answers from this process.
  const p = Bun.spawn([...untetherCommand(), "init", "--yes"], {
    cwd: home,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  expect(out).toContain("nothing to change");
  expect(out).not.toContain("Send any message");
  expect(code).toBe(0);
  expect(out + err).not.toContain(emu.token);
  expect(readFileSync(configPath, "utf8")).toBe(before);
  expect(out + p.stderr.toString()).not.toContain(emu.token);
}, 60_000);

test("config set <secret> - on a terminal: typed without echo, stored, printed masked", async () => {
  const other = "123456789:AAAnotherTokenTypedOnATerminal_xyz";
  const cmd = [...untetherCommand(), "config", "set", "transports.telegram.bot_token", "-"].map(shellQuote).join(" ");
  const proc = Bun.spawn(["script", "-qfec", cmd, "/dev/null"], { cwd: home, env, stdin: "pipe", stdout: "pipe" });
  let transcript = "";
  const pumped = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stdout) transcript += dec.decode(chunk, { stream: true });
  })();
  const deadline = Date.now() + 20_000;
  while (!transcript.includes("(not shown)")) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`no prompt in:\n${transcript}`);
    await Bun.sleep(50);
  }
  proc.stdin.write(`${other}\r`);
  proc.stdin.flush();
  expect(await proc.exited).toBe(0);
  await pumped;
  expect(transcript).toContain("updated transports.telegram.bot_token = [REDACTED]");
  expect(transcript).not.toContain(other);
  expect(transcript).not.toContain("AAAnotherToken");
  expect(loadConfig(configPath).config.transports.telegram.bot_token.reveal()).toBe(other);
}, 60_000);

test("re-run on a terminal changes only what is confirmed: token kept (n), chat and user from a new message (y)", async () => {
  const home2 = mkdtempSync(join(tmpdir(), "untether-init-rerun-"));
  try {
    mkdirSync(join(home2, ".untether"), { mode: 0o700 });
    const path2 = join(home2, ".untether", "untether.toml");
    const first = emu.addUser({ firstName: "First" });
    const firstDm = emu.privateChat(first.id).id;
    writeFileSync(
      path2,
      `# keep me\ndefault_engine = "claude"\n\n[transports.telegram]\nbot_token = "${emu.token}" # from BotFather\n` +
        `chat_id = ${firstDm}\nallowed_user_ids = [${first.id}]\napi_base_url = "${emu.apiBaseUrl}"\n`,
      { mode: 0o600 },
    );
    const cmd = [...untetherCommand(), "init"].map(shellQuote).join(" ");
    const proc = Bun.spawn(["script", "-qfec", cmd, "/dev/null"], {
      cwd: home2,
      env: { ...env, HOME: home2 },
      stdin: "pipe",
      stdout: "pipe",
    });
    let transcript = "";
    void (async () => {
      const dec = new TextDecoder();
      for await (const chunk of proc.stdout) transcript += dec.decode(chunk, { stream: true });
    })();
    const waitFor = async (text: string) => {
      const deadline = Date.now() + 30_000;
      while (!transcript.includes(text)) {
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`no "${text}" in:\n${transcript}`);
        await Bun.sleep(50);
      }
    };
    await waitFor("A bot token is set. Replace it? [y/N]");
    proc.stdin.write("n\r");
    proc.stdin.flush();
    await waitFor("Set them from a new message? [y/N]");
    proc.stdin.write("y\r");
    proc.stdin.flush();
    await waitFor("Send any message to @untether_init_bot now");
    const second = emu.addUser({ firstName: "Second" });
    const group = emu.addChat({
      type: "supergroup",
      title: "Ops",
      members: [{ userId: second.id, status: "creator" }],
    }).id;
    emu.sendUserMessage({ chatId: group, from: second.id, text: "this group" });
    await waitFor("Start the bot:");
    await proc.exited;
    const { config } = loadConfig(path2);
    expect(config.transports.telegram.bot_token.reveal()).toBe(emu.token);
    expect(config.transports.telegram.chat_id).toBe(group);
    expect(config.transports.telegram.allowed_user_ids).toEqual([first.id, second.id]);
    const text = readFileSync(path2, "utf8");
    expect(text).toContain("# keep me");
    expect(text).toContain(`bot_token = "${emu.token}" # from BotFather`);
    expect(transcript).not.toContain(emu.token);
  } finally {
    rmSync(home2, { recursive: true, force: true });
  }
}, 90_000);
