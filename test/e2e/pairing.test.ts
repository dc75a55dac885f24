// Pairing as an owner and a new user meet it: `untether pair` (the compiled binary) prints a code while
// the bot runs; a stranger who sends `/pair <code>` in a private chat is added to allowed_user_ids (the
// file edited in place, comments kept, applied without a restart and without watch_config), the owner's
// chat is told who, and the new user can run a task. A wrong code, a reused code and the 6th wrong
// attempt within a minute add nobody. (Expiry is tested with an injected clock: test/state/pair-codes.)
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { loadConfig } from "../../src/config/load.ts";
import { type Harness, startHarness, untetherCommand } from "../support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

function pairCode(): string {
  const p = Bun.spawnSync([...untetherCommand(), "--config", h.configPath, "pair"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: h.home },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(p.exitCode).toBe(0);
  const out = p.stdout.toString();
  expect(p.stderr.toString()).toBe(""); // the bot is running: no "not running" note
  const m = /pairing code: (\d{6})/.exec(out);
  if (!m?.[1]) throw new Error(`no code in: ${out}`);
  expect(out).toContain(`/pair ${m[1]}`);
  return m[1];
}

/** Waits until the bot has sent `n` messages to `chatId` and returns the last. */
async function nthReply(chatId: number, n: number): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const msgs = h.emu.botMessages(chatId);
    if (msgs.length >= n) return msgs[n - 1]?.text ?? "";
    if (Date.now() > deadline) throw new Error(`expected ${n} bot message(s) in ${chatId}, got ${msgs.length}`);
    await Bun.sleep(50);
  }
}

const allowed = () => loadConfig(h.configPath).config.transports.telegram.allowed_user_ids;

test("right code adds the user, who can then run a task; wrong, reused and rate-limited attempts add nobody", async () => {
  const nina = h.emu.addUser({ firstName: "Nina", username: "nina" }).id;
  const eve = h.emu.addUser({ firstName: "Eve" }).id;
  const ninaDm = h.emu.privateChat(nina).id;
  const eveDm = h.emu.privateChat(eve).id;
  const before = readFileSync(h.configPath, "utf8");

  const code = pairCode();
  const wrong = code === "000000" ? "000001" : "000000";
  h.emu.sendUserMessage({ chatId: eveDm, from: eve, text: `/pair ${wrong}` });
  expect(await nthReply(eveDm, 1)).toContain("not valid");

  // Not exactly "/pair <code>": dropped like any stranger's message, no reply.
  h.emu.sendUserMessage({ chatId: ninaDm, from: nina, text: `/pair ${code} please` });
  h.emu.sendUserMessage({ chatId: ninaDm, from: nina, text: `/pair ${code}` });
  expect(await nthReply(ninaDm, 1)).toContain("Paired");
  expect(allowed()).toContain(nina);
  expect(allowed()).not.toContain(eve);
  const owner = await h.emu.waitForBotMessage(h.group, (m) => (m.text ?? "").includes("paired with a code"), 15_000);
  expect(owner.text).toContain("Nina @nina");
  expect(owner.text).toContain(String(nina));
  // Only the allowlist line changed; the rest of the file is as it was.
  const after = readFileSync(h.configPath, "utf8");
  const changed = after.split("\n").filter((l) => !before.split("\n").includes(l));
  expect(changed).toHaveLength(1);
  expect(changed[0]).toContain(String(nina));

  // The new user is let in at once (no restart, watch_config is off).
  h.emu.sendUserMessage({ chatId: ninaDm, from: nina, text: "hello after pairing" });
  await h.emu.waitForBotMessage(ninaDm, (m) => (m.text ?? "").includes("You said: hello after pairing"), 20_000);

  // Reused: refused.
  h.emu.sendUserMessage({ chatId: eveDm, from: eve, text: `/pair ${code}` });
  expect(await nthReply(eveDm, 2)).toContain("not valid");
  // Three more wrong ones (5 in this minute), then a fresh right code: refused unchecked.
  for (let i = 3; i <= 5; i++) {
    h.emu.sendUserMessage({ chatId: eveDm, from: eve, text: `/pair ${wrong}` });
    expect(await nthReply(eveDm, i)).toContain("not valid");
  }
  const fresh = pairCode();
  h.emu.sendUserMessage({ chatId: eveDm, from: eve, text: `/pair ${fresh}` });
  expect(await nthReply(eveDm, 6)).toContain("Too many pairing attempts");
  expect(allowed()).not.toContain(eve);
  // The attempts are logged with the user, never the code.
  const pairLines = h
    .output()
    .split("\n")
    .filter((l) => l.includes('"pair.'));
  expect(pairLines.filter((l) => l.includes('"pair.refused"'))).toHaveLength(6);
  for (const l of pairLines) expect(l.replace(/"time":\d+/, "")).not.toMatch(new RegExp(`${code}|${fresh}`));
  expect(h.output()).not.toContain(`/pair ${code}`);
}, 60_000);
