// `untether chat-id` as a user runs it (the compiled binary when built): the token comes from the
// config or from standard input, never from the command line, and an error text from the Bot API
// is printed redacted.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, startEmulator } from "../../src/emulator/index.ts";
import { untetherCommand } from "../support/harness.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ botUsername: "chat_id_test_bot" });
});
afterAll(async () => {
  await emu.stop();
});

/** A temp HOME with a config holding only `[transports.telegram]` lines. */
function home(telegramToml: string): { home: string; config: string } {
  const h = mkdtempSync(join(tmpdir(), "untether-chatid-"));
  mkdirSync(join(h, ".untether"), { mode: 0o700 });
  const config = join(h, ".untether", "untether.toml");
  writeFileSync(config, `[transports.telegram]\n${telegramToml}\n`, { mode: 0o600 });
  return { home: h, config };
}

function spawnChatId(h: string, args: string[], stdin?: string) {
  return Bun.spawn([...untetherCommand(), "chat-id", ...args], {
    cwd: h,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: h },
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function collect(s: ReadableStream<Uint8Array>, sink: { text: string }): Promise<void> {
  const dec = new TextDecoder();
  for await (const chunk of s) sink.text += dec.decode(chunk, { stream: true });
}

test("--token on the command line is refused without echoing it; --token-stdin reads it from stdin", async () => {
  const { home: h } = home(`api_base_url = "${emu.apiBaseUrl}"`);
  for (const args of [["--token", emu.token], [`--token=${emu.token}`]]) {
    const p = spawnChatId(h, args);
    const err = await new Response(p.stderr).text();
    expect(await p.exited).toBe(2);
    expect(err).toContain("--token-stdin");
    expect(err).not.toContain(emu.token);
  }

  const p = spawnChatId(h, ["--token-stdin", "--timeout", "30"], `${emu.token}\n`);
  const out = { text: "" };
  const err = { text: "" };
  const reading = Promise.all([collect(p.stdout, out), collect(p.stderr, err)]);
  const deadline = Date.now() + 15_000;
  while (!out.text.includes("Send a message")) {
    if (Date.now() > deadline || p.exitCode !== null) throw new Error(`no prompt: ${out.text}${err.text}`);
    await Bun.sleep(50);
  }
  const user = emu.addUser({ firstName: "Alice" });
  const chat = emu.privateChat(user.id);
  emu.sendUserMessage({ chatId: chat.id, from: user.id, text: "hi" });
  expect(await p.exited).toBe(0);
  await reading;
  expect(out.text).toContain(`chat_id = ${chat.id}`);
  expect(out.text).toContain(`user_id = ${user.id}`);
  expect(out.text + err.text).not.toContain(emu.token);
}, 40_000);

test("an error text from the Bot API is printed redacted", async () => {
  const token = "987654321:AAHfakeTokenForChatIdTest_abcdefghijk";
  // A Bot API front (a proxy, a misbehaving mirror) that quotes the request and a credential back.
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) =>
      Response.json(
        {
          ok: false,
          error_code: 400,
          description: `Bad Request: ${new URL(req.url).pathname} via https://proxy:pr0xy-pa55@gw.example.com with Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543`,
        },
        { status: 400 },
      ),
  });
  try {
    const { home: h } = home(`bot_token = "${token}"\napi_base_url = "http://127.0.0.1:${server.port}"`);
    const p = spawnChatId(h, ["--timeout", "5"]);
    const err = await new Response(p.stderr).text();
    expect(await p.exited).toBe(1);
    expect(err).toContain("Telegram answered 400: Bad Request:");
    expect(err).toContain("[REDACTED]");
    for (const secret of [token, token.split(":")[1] as string, "pr0xy-pa55", "8f14e45fceea167a5a36dedd4bea2543"])
      expect(err).not.toContain(secret);
  } finally {
    await server.stop(true);
  }
}, 30_000);
