// /stats, /export, /ping, /health and /triggers as a user meets them, through the compiled binary:
// the reply text, the exported document, persistence across a restart, admin-only trigger pauses and a
// paused webhook that starts no run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { freePort } from "../support/free-port.ts";
import { type Harness, startHarness } from "../support/harness.ts";

const SECRET = "observability-hook-secret";
let h: Harness;
let base: string;

const spawns = () => (h.output().match(/engine\.spawn"/g) ?? []).length;

const hook = (n: number) => {
  const body = JSON.stringify({ n });
  return fetch(`${base}/hooks/gh`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
    },
  });
};

async function ask(chatId: number, from: number, text: string, replyTo?: number) {
  const msg = h.emu.sendUserMessage({ chatId, from, text, ...(replyTo === undefined ? {} : { replyTo }) });
  return h.emu.waitForBotMessage(chatId, (m) => m.reply_to_message_id === msg.message_id, 15_000);
}

function documentText(fileId: string | undefined): string {
  const bytes = fileId === undefined ? undefined : h.emu.fileBytes(fileId);
  return bytes === undefined ? "" : new TextDecoder().decode(bytes);
}

beforeAll(async () => {
  const port = freePort();
  base = `http://127.0.0.1:${port}`;
  h = await startHarness({
    extraToml: [
      "",
      "[triggers]",
      "enabled = true",
      "[triggers.server]",
      `port = ${port}`,
      "[[triggers.webhooks]]",
      'id = "gh"',
      'path = "/hooks/gh"',
      'auth = "hmac-sha256"',
      `secret = "${SECRET}"`,
      'prompt_template = "hook run {{ n }}"',
      "[[triggers.crons]]",
      'id = "nightly"',
      'schedule = "0 3 * * *"',
      'prompt = "nightly check"',
    ].join("\n"),
  });
  await h.waitForOutput(/triggers\.server\.started/);
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

let answerId = 0;

describe("a run's log, /export and /stats", () => {
  test("/export before any run says so; /stats counts nothing", async () => {
    expect((await ask(h.dm, h.alice, "/export")).text).toContain("No finished run in this chat to export yet.");
    expect((await ask(h.dm, h.alice, "/stats today")).text).toContain("Today (UTC): no runs");
  });

  test("after a run, /export sends its prompt, actions with results and answer as Markdown", async () => {
    const msg = h.emu.sendUserMessage({
      chatId: h.dm,
      from: h.alice,
      text: "/mock export me ghp_abcdefghijklmnop0123456789",
    });
    const final = await h.emu.waitForBotMessage(
      h.dm,
      (m) => m.reply_to_message_id === msg.message_id && /^done/.test(m.text ?? ""),
      20_000,
    );
    answerId = final.message_id;
    const doc = await ask(h.dm, h.alice, "/export");
    expect(doc.document?.file_name).toMatch(/^untether-run-\d+\.md$/);
    expect(doc.text ?? "").toMatch(/^Run \d+ · mock · done$/);
    const md = documentText(doc.document?.file_id);
    expect(md).toContain("- Engine: mock");
    expect(md).toContain("- Status: done");
    expect(md).toContain("- Cost: not reported by the engine");
    expect(md).toContain("## Prompt\n\n```\nexport me [REDACTED]\n```");
    expect(md).toContain("✅ command: ls -la");
    expect(md).toContain('"exit_code":0');
    expect(md).toContain("✅ file_change:");
    expect(md).toContain("## Answer\n\nYou said: export me [REDACTED]");
    expect(md).not.toContain("ghp_abcdefghijklmnop0123456789");
  }, 40_000);

  test("/stats shows the run; bad arguments get the usage", async () => {
    const text = (await ask(h.dm, h.alice, "/stats mock")).text ?? "";
    expect(text).toContain("📊 Runs in this chat with mock");
    expect(text).toContain("Today (UTC): 1 run");
    expect(text).toContain("✅ 1 done · ❌ 0 failed · ⏹ 0 cancelled");
    expect(text).toMatch(/Duration: median \d+ (ms|s) · p90 \d+ (ms|s)/);
    expect(text).toContain("All time: 1 run");
    // The group's stats are its own.
    expect((await ask(h.group, h.alice, "/stats all")).text).toContain("All time: no runs");
    const usage = (await ask(h.dm, h.alice, "/stats monthly")).text ?? "";
    expect(usage).toContain("Usage: /stats [engine] [today|week|all]");
  });
});

describe("/ping and /health", () => {
  test("/ping: uptime, version, polling lag", async () => {
    const text = (await ask(h.dm, h.alice, "/ping")).text ?? "";
    expect(text).toContain("🏓 pong");
    expect(text).toMatch(/Uptime: \d+/);
    expect(text).toMatch(/Version: \d+\.\d+\.\d+/);
    expect(text).toMatch(/Polling lag: \d+ (ms|s) \(this message's date → handled/);
  });

  test("/health: memory, runs, processes, cost today and the triggers", async () => {
    const text = (await ask(h.dm, h.alice, "/health")).text ?? "";
    expect(text).toMatch(/Memory \(RSS\): \d+\.\d MiB/);
    expect(text).toContain("Runs: 0 running · 0 queued");
    expect(text).toContain("Engine processes: 0");
    expect(text).toContain("Cost today (UTC): $0.0000");
    expect(text).toContain("gh (webhook) · never fired");
    expect(text).toContain("nightly (cron) · never fired");
  });
});

describe("after a restart (admin_user_ids = alice)", () => {
  beforeAll(async () => {
    const toml = readFileSync(h.configPath, "utf8").replace(
      /^(allowed_user_ids = .*)$/m,
      `$1\nadmin_user_ids = [${h.alice}]`,
    );
    writeFileSync(h.configPath, toml, { mode: 0o600 });
    await h.restart();
  });

  test("/export of the replied answer still works", async () => {
    const doc = await ask(h.dm, h.alice, "/export", answerId);
    const md = documentText(doc.document?.file_id);
    expect(md).toContain("export me [REDACTED]");
    expect(md).toContain("✅ command: ls -la");
    // A reply to a bot message of no run is told so.
    const help = await ask(h.dm, h.alice, "/help");
    expect((await ask(h.dm, h.alice, "/export", help.message_id)).text).toContain("belongs to no stored run");
  });

  test("/triggers pause by a non-admin in the group is refused; the webhook still runs", async () => {
    const refused = (await ask(h.group, h.bob, "/triggers pause gh")).text ?? "";
    expect(refused).toContain("Only a bot admin");
    const res = await hook(1);
    expect(res.status).toBe(202);
    await h.emu.waitForBotMessage(
      h.group,
      (m) => /^done/.test(m.text ?? "") && (m.text ?? "").includes("hook run 1"),
      20_000,
    );
  }, 40_000);

  test("an admin pauses gh: a signed delivery gets 503 and starts no run; the pause survives a restart", async () => {
    const paused = (await ask(h.group, h.alice, "/triggers pause gh")).text ?? "";
    expect(paused).toContain("⏸ gh paused.");
    expect(paused).toMatch(/gh \(webhook\) · last fired .* ago · paused/);
    await h.waitForOutput(/"settings\.changed"/);
    expect(h.output()).toMatch(/"key":"triggers\.paused\.gh".*"old":false.*"new":true/);
    const before = spawns();
    // Strangers still get 401: the pause is checked after auth.
    expect((await fetch(`${base}/hooks/gh`, { method: "POST", body: "{}" })).status).toBe(401);
    const res = await hook(2);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("triggers paused");
    await h.waitForOutput(/triggers\.webhook\.skipped_paused/);
    await h.restart();
    expect((await hook(3)).status).toBe(503);
    const list = (await ask(h.group, h.alice, "/triggers")).text ?? "";
    expect(list).toMatch(/gh \(webhook\) · last fired .* · paused/);
    expect(list).toContain("nightly (cron) · never fired");
    expect(spawns()).toBe(before);
    expect(h.emu.botMessages(h.group).some((m) => /hook run [23]/.test(m.text ?? ""))).toBe(false);
    const resumed = (await ask(h.group, h.alice, "/triggers resume gh")).text ?? "";
    expect(resumed).toContain("▶️ gh resumed.");
    expect((await hook(4)).status).toBe(202);
    await h.emu.waitForBotMessage(
      h.group,
      (m) => /^done/.test(m.text ?? "") && (m.text ?? "").includes("hook run 4"),
      20_000,
    );
  }, 60_000);

  test("/config has a Triggers page: a non-admin's tap is refused, an admin's pauses and resumes", async () => {
    const menu = await ask(h.group, h.alice, "/config");
    expect(menu.text ?? "").toContain("Triggers: 2");
    h.emu.pressButton({ chatId: h.group, messageId: menu.message_id, from: h.alice, text: "Triggers: 2" });
    await h.emu.waitFor(
      () => (h.emu.history(h.group).find((x) => x.message_id === menu.message_id)?.text ?? "").includes("⚙️ Triggers"),
      10_000,
    );
    const refused = h.emu.pressButton({ chatId: h.group, messageId: menu.message_id, from: h.bob, text: "⏸ Pause gh" });
    expect((await h.emu.waitForCallbackAnswer(refused.id)).text).toContain("Only the bot's admins");
    expect((await hook(5)).status).toBe(202);
    const own = h.emu.pressButton({ chatId: h.group, messageId: menu.message_id, from: h.alice, text: "⏸ Pause gh" });
    expect((await h.emu.waitForCallbackAnswer(own.id)).text).toBe("Paused.");
    expect((await hook(6)).status).toBe(503);
    const page = h.emu.history(h.group).find((x) => x.message_id === menu.message_id);
    expect(page?.text ?? "").toContain("gh paused.");
    const resume = h.emu.pressButton({
      chatId: h.group,
      messageId: menu.message_id,
      from: h.alice,
      text: "▶️ Resume gh",
    });
    expect((await h.emu.waitForCallbackAnswer(resume.id)).text).toBe("Resumed.");
    expect((await hook(7)).status).toBe(202);
  }, 60_000);
});
