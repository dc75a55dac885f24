// Removing a user removes their reach (watch_config): their running runs are cancelled and their
// pending /at jobs dropped, and the chat is told; a restart drops /at jobs of users no longer listed;
// a broken edit that empties the allowlist still revokes at once instead of keeping the old list.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { type Harness, startHarness, writeConfig } from "../support/harness.ts";

let h: Harness;
const TOP = 'watch_config = true\ndefault_engine = "mock"';

beforeAll(async () => {
  h = await startHarness({ topToml: TOP });
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

function rewrite(allowed: number[]): void {
  const tmp = `${h.configPath}.tmp`;
  writeConfig(tmp, h.emu, { topToml: TOP, chatId: h.group, allowed, project: h.project });
  renameSync(tmp, h.configPath);
}

describe("revocation", () => {
  test("a user removed by a reload: their run is cancelled, their /at job dropped, the chat told", async () => {
    const at = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, text: "/at 30m deploy later" });
    await h.emu.waitForBotMessage(
      h.group,
      (x) => x.reply_to_message_id === at.message_id && /Scheduled/.test(x.text ?? ""),
    );
    const run = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, text: "mock:slow" });
    await h.emu.waitForBotMessage(
      h.group,
      (x) => x.reply_to_message_id === run.message_id && /working/.test(x.text ?? ""),
      20_000,
    );
    // Bob's run is not touched.
    const bobs = h.emu.sendUserMessage({ chatId: h.group, from: h.bob, text: "mock:flood 10 1500" });
    rewrite([h.bob]);
    const notice = await h.emu.waitForBotMessage(h.group, (x) => /Access was revoked/.test(x.text ?? ""), 20_000);
    expect(notice.text).toBe("🚫 Access was revoked: cancelled 1 run and 1 scheduled run here.");
    const final = await h.emu.waitForBotMessage(
      h.group,
      (x) => x.reply_to_message_id === run.message_id && /^cancelled/.test(x.text ?? ""),
      20_000,
    );
    expect(final.text ?? "").toStartWith("cancelled");
    const bobFinal = await h.emu.waitForBotMessage(
      h.group,
      (x) => x.reply_to_message_id === bobs.message_id && /^(done|cancelled|error)/.test(x.text ?? ""),
      20_000,
    );
    expect(bobFinal.text ?? "").toStartWith("done");
  }, 60_000);

  test("at start, /at jobs of users no longer listed are dropped and the chat told", async () => {
    rewrite([h.alice, h.bob]);
    await h.waitForOutput(/config\.reloaded[\s\S]*config\.reloaded/);
    const at = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, text: "/at 2h nightly report" });
    await h.emu.waitForBotMessage(
      h.group,
      (x) => x.reply_to_message_id === at.message_id && /Scheduled/.test(x.text ?? ""),
    );
    await h.stop();
    rewrite([h.bob]);
    const before = h.emu.botMessages(h.group).length;
    await h.restart();
    const notice = await h.emu.waitForBotMessage(
      h.group,
      (x) => /Access was revoked/.test(x.text ?? ""),
      20_000,
      h.emu.botMessages(h.group)[before - 1]?.message_id ?? 0,
    );
    expect(notice.text).toBe("🚫 Access was revoked: cancelled 1 scheduled run here.");
  }, 60_000);

  test("a broken edit that empties the allowlist revokes at once", async () => {
    const text = readFileSync(h.configPath, "utf8").replace(/allowed_user_ids = \[[^\]]*\]/, "allowed_user_ids = []");
    expect(text).toContain("allowed_user_ids = []");
    writeFileSync(`${h.configPath}.tmp`, text, { mode: 0o600 });
    renameSync(`${h.configPath}.tmp`, h.configPath);
    await h.waitForOutput(/config\.reload\.access_revoked/);
    const m = h.emu.sendUserMessage({ chatId: h.group, from: h.bob, text: "after the broken edit" });
    await Bun.sleep(1500);
    expect(h.emu.botMessages(h.group).some((x) => x.reply_to_message_id === m.message_id)).toBe(false);
  }, 60_000);
});
