// /restart through the compiled binary: the chat is told before and after, a run started before it
// finishes, the process re-executes itself in place (same pid: the harness's child lives on), and a
// user who is not a bot admin is refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;
let bobDm: number;

beforeAll(async () => {
  h = await startHarness({ env: { UNTETHER_SHUTDOWN_GRACE_MS: "30000" } });
  bobDm = h.emu.privateChat(h.bob).id;
  // Only Alice is a bot admin; Bob stays an allowed user.
  const cfg = readFileSync(h.configPath, "utf8").replace(
    /allowed_user_ids = \[[^\]]*\]/,
    (m) => `${m}\nadmin_user_ids = [${h.alice}]`,
  );
  writeFileSync(h.configPath, cfg, { mode: 0o600 });
  await h.restart();
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

const count = (re: RegExp) => (h.output().match(re) ?? []).length;

describe("/restart", () => {
  test("a user who is not a bot admin is refused, and nothing restarts", async () => {
    const started = count(/"bot\.started"/g);
    const m = h.emu.sendUserMessage({ chatId: bobDm, from: h.bob, text: "/restart" });
    const r = await h.emu.waitForBotMessage(bobDm, (x) => x.reply_to_message_id === m.message_id, 15_000);
    expect(r.text ?? "").toContain("Only the bot's admins");
    await h.waitForOutput(/service\.restart_refused/);
    expect(count(/"bot\.started"/g)).toBe(started);
    expect(h.output()).not.toContain("service.restart_requested");
  }, 30_000);

  test("an admin's /restart: told before, the running run finishes, same pid re-executed, told after", async () => {
    const pid = h.proc.pid;
    const started = count(/"bot\.started"/g);
    const run = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, text: "mock:quiet 3" });
    await h.emu.waitForBotMessage(h.group, (x) => x.reply_to_message_id === run.message_id, 15_000);
    await h.waitForOutput(/engine\.spawn/);

    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/restart" });
    const before = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id, 15_000);
    expect(before.text ?? "").toContain("Restarting after 1 run finishes");

    const final = await h.emu.waitForBotMessage(
      h.group,
      (x) => x.reply_to_message_id === run.message_id && (x.text ?? "").includes("Quiet for 3s."),
      30_000,
    );
    expect(final.text ?? "").toMatch(/^done · mock/);

    const back = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.message_id > before.message_id && (x.text ?? "").startsWith("✅ Back"),
      30_000,
    );
    expect(back.reply_to_message_id).toBe(m.message_id);
    expect(back.text ?? "").toContain(`pid ${pid}`);
    await h.waitForOutput(/service\.restarted/);
    expect(count(/"bot\.started"/g)).toBe(started + 1);
    expect(h.output()).toContain("service.reexec");
    // Re-executed in place: the harness's child is still the bot, and holds the lock again.
    expect(h.proc.exitCode).toBeNull();
    const lock = `${h.configPath}.lock`;
    expect(existsSync(lock)).toBe(true);
    expect(JSON.parse(readFileSync(lock, "utf8")).pid).toBe(pid);
    // The run was not interrupted, and the "back" is said once.
    expect(h.output()).not.toMatch(/interrupted/);
    expect(h.emu.botMessages(h.dm).filter((x) => (x.text ?? "").startsWith("✅ Back"))).toHaveLength(1);

    // The restarted bot works.
    const again = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "hello after restart" });
    const answer = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === again.message_id && (x.text ?? "").includes("You said: hello after restart"),
      20_000,
    );
    expect(answer.text ?? "").toMatch(/^done · mock/);
  }, 90_000);
});
