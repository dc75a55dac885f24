// The Untether process under stress: SIGTERM during runs, a restart after it, a corrupt or locked state
// database, and a second instance on the same config.
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startEmulator } from "../../src/emulator/index.ts";
import { StateDb } from "../../src/state/db.ts";
import { type Harness, startHarness, writeConfig } from "../support/harness.ts";
import { runToExit, tmp } from "./support/cli.ts";

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe("SIGTERM during runs, then a restart", () => {
  test("a short run finishes in the grace period, a slow one is marked interrupted; after restart the offset and the session were kept", async () => {
    const h: Harness = await startHarness({
      telegramToml: 'session_mode = "chat"',
      env: { UNTETHER_SHUTDOWN_GRACE_MS: "8000" },
    });
    cleanups.push(async () => {
      await h.stop();
      await h.emu.stop();
    });
    const final = (chat: number, m: { message_id: number }, timeoutMs = 30_000) =>
      h.emu.waitForBotMessage(
        chat,
        (x) => x.reply_to_message_id === m.message_id && !x.reply_markup && /^(done|error) ·/.test(x.text ?? ""),
        timeoutMs,
      );

    // A first run in the DM starts the chat's session.
    const first = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "first task" });
    const firstAnswer = await final(h.dm, first);
    expect(firstAnswer.text ?? "").toContain("(a new session)");
    const session = /mock --session (mock-[\w-]+)/.exec(firstAnswer.text ?? "")?.[1];
    expect(session).toBeDefined();

    // A slow run in the group, and a short one (about 2 s) in the DM resuming the session.
    const slow = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, text: "mock:slow" });
    const slowProgress = await h.emu.waitForBotMessage(
      h.group,
      (x) => x.reply_to_message_id === slow.message_id && /ls -la/.test(x.text ?? ""),
      20_000,
    );
    const short = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:flood 20 2000" });
    await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === short.message_id && !!x.reply_markup, 20_000);

    h.proc.kill("SIGTERM");
    // The short run's answer arrives during the grace period…
    const shortAnswer = await final(h.dm, short);
    expect(shortAnswer.text ?? "").toStartWith("done · mock");
    // …the slow one is interrupted: its progress message says so and has no buttons any more.
    const interrupted = await h.emu.waitFor(
      () => {
        const p = h.emu.history(h.group).find((x) => x.message_id === slowProgress.message_id);
        return p && /^interrupted/.test(p.text ?? "") ? p : undefined;
      },
      30_000,
      "the slow run's progress marked interrupted",
    );
    expect(interrupted.reply_markup).toBeUndefined();
    expect(interrupted.deleted).toBe(false);
    expect(await h.proc.exited).toBe(0);
    expect(h.emu.isPolling()).toBe(false);

    // Restart: nothing handled twice, nothing reported as missed, the chat session resumed.
    const seqBefore = h.emu.lastCallSeq();
    await h.restart();
    const next = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "after the restart" });
    const nextAnswer = await final(h.dm, next);
    expect(nextAnswer.text ?? "").toContain("You said: after the restart");
    expect(nextAnswer.text ?? "").toContain(`(continuing session ${session})`);
    const sentAfter = h.emu
      .calls({ method: "sendMessage", afterSeq: seqBefore })
      .map((c) => String((c.params as { text?: unknown }).text ?? ""));
    expect(sentAfter.some((t) => /offline/.test(t))).toBe(false);
    for (const m of [first, slow, short]) {
      const replies = h.emu
        .calls({ method: "sendMessage", afterSeq: seqBefore })
        .filter(
          (c) =>
            (c.params as { reply_parameters?: { message_id?: number } }).reply_parameters?.message_id === m.message_id,
        );
      expect(replies).toHaveLength(0);
    }
    // Each message before the restart got exactly one answer (or, for the slow one, none).
    for (const [chat, m, n] of [
      [h.dm, first, 1],
      [h.dm, short, 1],
      [h.group, slow, 0],
    ] as const) {
      const answers = h.emu
        .history(chat)
        .filter((x) => x.reply_to_message_id === m.message_id && !x.deleted && /^done ·/.test(x.text ?? ""));
      expect(answers).toHaveLength(n);
    }
  }, 120_000);
});

describe("the state database", () => {
  async function setup() {
    const emu = await startEmulator({ botUsername: "untether_test_bot" });
    const home = tmp("untether-faults-db-");
    const dir = join(home, ".untether");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    mkdirSync(join(home, "project"));
    const alice = emu.addUser({ firstName: "Alice" }).id;
    const dm = emu.privateChat(alice).id;
    const configPath = join(dir, "untether.toml");
    writeConfig(configPath, emu, { chatId: dm, allowed: [alice], project: join(home, "project") });
    cleanups.push(() => emu.stop());
    return { emu, home, dir, configPath, alice, dm, dbPath: join(dir, "untether.db") };
  }

  test("a corrupt database: refused with an error naming the file, exit 1, the file untouched, no update consumed", async () => {
    const s = await setup();
    const garbage = new Uint8Array(64 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 251;
    writeFileSync(s.dbPath, garbage);
    const pending = s.emu.sendUserMessage({ chatId: s.dm, from: s.alice, text: "deploy" });
    const r = await runToExit(s.configPath, s.home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot open the state database ${s.dbPath}`);
    expect(r.stderr).toMatch(/move it aside|backup/);
    expect(r.stdout + r.stderr).not.toContain("bot.started");
    // The user's file is left exactly as it was (no rename, no rewrite) and the update is not consumed.
    expect(new Uint8Array(readFileSync(s.dbPath))).toEqual(garbage);
    expect(readdirSync(s.dir).filter((f) => f.startsWith("untether.db"))).toEqual(["untether.db"]);
    expect(s.emu.callCount({ method: "getUpdates" })).toBe(0);
    expect(
      s.emu
        .pendingUpdates()
        .some((u) => (u as { message?: { message_id?: number } }).message?.message_id === pending.message_id),
    ).toBe(true);
    expect(existsSync(`${s.configPath}.lock`)).toBe(false);
  }, 30_000);

  test("a database held under an exclusive lock by another process: a clear error, exit 1, nothing consumed", async () => {
    const s = await setup();
    StateDb.open(s.dbPath).close();
    // Another process (here: this test process) takes sqlite's exclusive lock and keeps it.
    const holder = new Database(s.dbPath);
    holder.exec("PRAGMA locking_mode = EXCLUSIVE");
    holder.exec("BEGIN EXCLUSIVE");
    holder.exec("INSERT INTO kv (key, value) VALUES ('holder', 'x')");
    cleanups.push(async () => holder.close());
    s.emu.sendUserMessage({ chatId: s.dm, from: s.alice, text: "deploy" });
    const r = await runToExit(s.configPath, s.home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot open the state database ${s.dbPath}`);
    expect(r.stderr).toMatch(/locked|busy/i);
    expect(s.emu.callCount({ method: "getUpdates" })).toBe(0);
    expect(s.emu.pendingUpdates()).toHaveLength(1);
    holder.exec("ROLLBACK");
  }, 30_000);
});

describe("two instances on one config", () => {
  test("the second refuses to start, names the first's pid, exits 1, and the first keeps working", async () => {
    const h = await startHarness();
    cleanups.push(async () => {
      await h.stop();
      await h.emu.stop();
    });
    const r = await runToExit(h.configPath, h.home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`pid ${h.proc.pid}`);
    expect(r.stderr).toContain("already running");
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "still mine?" });
    const answer = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && (x.text ?? "").includes("You said: still mine?"),
      20_000,
    );
    expect(answer.text ?? "").toStartWith("done");
    expect(h.output()).not.toContain("telegram.polling_conflict");
    expect(h.proc.exitCode).toBeNull();
  }, 40_000);
});
