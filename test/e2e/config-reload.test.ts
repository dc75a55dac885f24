// watch_config: an edited untether.toml is reloaded by the running bot. Revoking a user takes effect
// from the next update, a broken file keeps the running config, restart-only keys are announced.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { renameSync } from "node:fs";
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

/** Replaces the config the way editors do: a new file renamed over the old one. */
function rewrite(allowed: number[], chatId = h.group): void {
  const tmp = `${h.configPath}.tmp`;
  writeConfig(tmp, h.emu, { topToml: TOP, chatId, allowed, project: h.project });
  renameSync(tmp, h.configPath);
}

function count(re: RegExp): number {
  return h.output().match(new RegExp(re.source, "g"))?.length ?? 0;
}

async function waitForCount(re: RegExp, n: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (count(re) < n) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n}× ${re}:\n${h.output().slice(-3000)}`);
    await Bun.sleep(50);
  }
}

/** `refused` sends first, then `allowed`; once the allowed user's answer is in, the other got none. */
async function expectOnly(allowed: number, refused: number, tag: string): Promise<void> {
  const m = h.emu.sendUserMessage({ chatId: h.group, from: refused, text: `refused ${tag}` });
  h.emu.sendUserMessage({ chatId: h.group, from: allowed, text: `allowed ${tag}` });
  await h.emu.waitForBotMessage(h.group, (x) => (x.text ?? "").includes(`You said: allowed ${tag}`), 15_000);
  await Bun.sleep(300);
  const bot = h.emu.botMessages(h.group);
  expect(bot.some((x) => x.reply_to_message_id === m.message_id || (x.text ?? "").includes(`refused ${tag}`))).toBe(
    false,
  );
}

const RELOADED = /config\.reloaded/;
const FAILED = /config\.reload\.failed/;

describe("watch_config", () => {
  test("a rewritten allowlist applies to the very next message", async () => {
    rewrite([h.alice]);
    await waitForCount(RELOADED, 1);
    expect(h.output()).toContain("transports.telegram.allowed_user_ids");
    await expectOnly(h.alice, h.bob, "one");

    rewrite([h.bob]);
    await waitForCount(RELOADED, 2);
    await expectOnly(h.bob, h.alice, "two");
  });

  test("an invalid rewrite is not applied and the main chat is told once — but an emptied allowlist still revokes", async () => {
    const before = h.emu.botMessages(h.group).length;
    rewrite([]);
    await waitForCount(FAILED, 1);
    const notice = await h.emu.waitForBotMessage(
      h.group,
      (x) => (x.text ?? "").includes("The new config was not applied"),
      15_000,
    );
    expect(notice.text ?? "").toContain("allowed_user_ids is empty");
    expect(h.output()).not.toContain(h.emu.token);
    // The old allowlist is not kept wholesale: the users the edit removed (here: all) lose access at once.
    const m = h.emu.sendUserMessage({ chatId: h.group, from: h.bob, text: "after an emptied allowlist" });
    await Bun.sleep(1500);
    expect(h.emu.botMessages(h.group).some((x) => x.reply_to_message_id === m.message_id)).toBe(false);
    // The same broken file saved again is logged but not announced again.
    rewrite([]);
    await waitForCount(FAILED, 2);
    await Bun.sleep(500);
    const notices = h.emu
      .botMessages(h.group)
      .slice(before)
      .filter((x) => (x.text ?? "").includes("not applied"));
    expect(notices.length).toBe(1);
  });

  test("a restart-only key is announced, not applied", async () => {
    const reloads = count(RELOADED);
    rewrite([h.bob], h.dm);
    await waitForCount(RELOADED, reloads + 1);
    const notice = await h.emu.waitForBotMessage(h.group, (x) => (x.text ?? "").includes("restart to apply"), 15_000);
    expect(notice.text ?? "").toContain("transports.telegram.chat_id");
    await expectOnly(h.bob, h.alice, "five");
  });
});
