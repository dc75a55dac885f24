// Liveness through the compiled binary and the emulator, two bots side by side (each scenario waits
// over a minute of real time, so they run concurrently):
// - bot A (`liveness_timeout = 60`): an engine that prints its start line and then nothing gets the
//   stall notice with a Cancel button between 60 and 75 s, and the button cancels it; a silent 40 s
//   run shows heartbeat edits with a growing elapsed time and "typing…", within the call budget.
// - bot B (`stall_auto_kill = true`): the same silent engine is cancelled, its process gone; and
//   Claude gets its stream-watchdog variables as defaults, the user's own value winning.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ApiCall } from "../../src/emulator/calls.ts";
import { makeFakeCli } from "../support/fake-engine.ts";
import { type Harness, startHarness } from "../support/harness.ts";

const FIX = resolve(import.meta.dir, "../fixtures/engines");
/** [progress] min_render_interval's default: the outbox's edit interval (the harness sets 0.5 s). */
const DEFAULT_EDIT_INTERVAL_S = 2;
const HEARTBEAT_S = 10;

let a: Harness;
let b: Harness;
const fakeDir = mkdtempSync(join(tmpdir(), "untether-watchdog-"));
const record = join(fakeDir, "claude-record.json");
makeFakeCli(fakeDir, "claude", join(FIX, "claude/say-hi.stdout.jsonl"), { record });

beforeAll(async () => {
  [a, b] = await Promise.all([
    startHarness({
      extraToml: "\n[watchdog]\nliveness_timeout = 60\nstall_repeat_seconds = 600\n",
      progressToml: `heartbeat_interval = ${HEARTBEAT_S}`,
    }),
    startHarness({
      extraToml:
        "\n[watchdog]\nliveness_timeout = 60\nstall_auto_kill = true\nclaude_stream_idle_timeout_ms = 120000\n",
      env: { PATH: `${fakeDir}:${process.env.PATH}`, MCP_TOOL_TIMEOUT: "5000" },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([a?.emu.stop(), b?.emu.stop()]);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids of mock engines Untether stopped as cancelled, from its own engine.exited log lines. */
function cancelledMockPids(h: Harness): number[] {
  return h
    .output()
    .split("\n")
    .filter((l) => l.includes('"msg":"engine.exited"') && l.includes('"engine":"mock"'))
    .filter((l) => l.includes('"stop_reason":"cancelled"'))
    .map((l) => Number(/"pid":(\d+)/.exec(l)?.[1]));
}

function param(c: ApiCall, key: string): unknown {
  return c.params[key];
}

/** Scenario: the stall notice, its Cancel button, and the progress line. */
async function stallNotice(): Promise<void> {
  const m = a.emu.sendUserMessage({ chatId: a.dm, from: a.alice, text: "mock:hang" });
  const progress = await a.emu.waitForBotMessage(a.dm, (x) => x.reply_to_message_id === m.message_id, 20_000);
  const notice = await a.emu.waitForBotMessage(
    a.dm,
    (x) => x.reply_to_message_id === progress.message_id && (x.text ?? "").startsWith("⏸"),
    80_000,
  );
  // Message dates are whole seconds of the emulator's clock: the notice came 60–75 s after the prompt.
  const after = notice.date - m.date;
  expect(after).toBeGreaterThanOrEqual(60);
  expect(after).toBeLessThanOrEqual(75);
  expect(notice.text).toContain("No output from Mock agent for 1 min");
  expect(JSON.stringify(notice.reply_markup)).toContain("✖ Cancel");
  // The progress message says so too (its edit follows the outbox's pacing).
  const shown = () => a.emu.history(a.dm).find((x) => x.message_id === progress.message_id)?.text ?? "";
  const deadline = Date.now() + 10_000;
  while (!shown().includes("⏸ no output for 1 min") && Date.now() < deadline) await Bun.sleep(100);
  expect(shown()).toContain("⏸ no output for 1 min");
  // The notice's own Cancel button cancels the run; the SIGTERM-deaf engine is killed after the grace.
  const press = a.emu.pressButton({ chatId: a.dm, messageId: notice.message_id, from: a.alice, text: "✖ Cancel" });
  expect((await a.emu.waitForCallbackAnswer(press.id)).text).toBe("Cancelling…");
  await a.emu.waitForBotMessage(
    a.dm,
    (x) => x.reply_to_message_id === m.message_id && /^cancelled/.test(x.text ?? ""),
    30_000,
  );
}

/** Scenario: a silent 40 s run keeps its elapsed time moving, within the call budget. */
async function heartbeat(): Promise<void> {
  const chat = a.emu.privateChat(a.bob).id;
  const m = a.emu.sendUserMessage({ chatId: chat, from: a.bob, text: "mock:quiet 40" });
  const sentAt = Date.now();
  const progress = await a.emu.waitForBotMessage(chat, (x) => x.reply_to_message_id === m.message_id, 20_000);
  expect(progress.text ?? "").toMatch(/^starting/);
  expect(progress.text ?? "").not.toContain("queued");
  await a.emu.waitForBotMessage(
    chat,
    (x) => x.reply_to_message_id === m.message_id && (x.text ?? "").includes("Quiet for 40s."),
    70_000,
  );
  const durationS = (Date.now() - sentAt) / 1000;
  // The run's last call: the progress message is deleted once the answer is out.
  await a.emu.waitForCall({ method: "deleteMessage", params: { chat_id: chat, message_id: progress.message_id } });
  const calls = a.emu.calls({ params: { chat_id: chat } });
  const edits = calls.filter(
    (c) => c.method === "editMessageText" && Number(param(c, "message_id")) === progress.message_id,
  );
  const elapsed = edits
    .map((c) => /· (\d+)s ·/.exec(String(param(c, "text")))?.[1])
    .filter((s): s is string => s !== undefined)
    .map(Number);
  // The engine said nothing after its start line: every edit past the first seconds is a heartbeat.
  const beats = elapsed.filter((s) => s >= HEARTBEAT_S);
  expect(beats.length).toBeGreaterThanOrEqual(2);
  for (let i = 1; i < beats.length; i++) expect(beats[i] as number).toBeGreaterThan(beats[i - 1] as number);
  // "typing…" while it works, renewed every ~4.5 s: never twice within 4 s.
  const typing = calls.filter((c) => c.method === "sendChatAction").map((c) => c.at);
  expect(typing.length).toBeGreaterThanOrEqual(5);
  for (let i = 1; i < typing.length; i++)
    expect((typing[i] as number) - (typing[i - 1] as number)).toBeGreaterThan(4000);
  // Every call of the run counts, typing included: ≤ duration / edit interval + 3, measured against
  // the default interval (2 s), four times stricter than this bot's 0.5 s.
  expect(calls.length).toBeLessThanOrEqual(durationS / DEFAULT_EDIT_INTERVAL_S + 3);
  // And with the heartbeat alone (no engine events), far fewer: the outbox sends no unchanged text.
  expect(edits.length).toBeLessThanOrEqual(durationS / HEARTBEAT_S + 3);
}

/** Scenario: stall_auto_kill cancels the run; the engine process is gone. */
async function autoKill(): Promise<void> {
  const m = b.emu.sendUserMessage({ chatId: b.dm, from: b.alice, text: "mock:hang" });
  await b.emu.waitForBotMessage(b.dm, (x) => x.reply_to_message_id === m.message_id, 20_000);
  const final = await b.emu.waitForBotMessage(
    b.dm,
    (x) => x.reply_to_message_id === m.message_id && /^cancelled/.test(x.text ?? ""),
    100_000,
  );
  expect(final.text ?? "").toContain("Cancelled");
  const notice = b.emu.botMessages(b.dm).find((x) => (x.text ?? "").startsWith("⏹"));
  expect(notice?.text ?? "").toContain("No output from Mock agent for 1 min: cancelled (stall_auto_kill)");
  const deadline = Date.now() + 20_000;
  let pids = cancelledMockPids(b);
  while (pids.length === 0 && Date.now() < deadline) {
    await Bun.sleep(100);
    pids = cancelledMockPids(b);
  }
  expect(pids.length).toBe(1);
  expect(alive(pids[0] as number)).toBe(false);
}

/** Scenario: Claude's stream watchdog variables are defaults; the user's MCP_TOOL_TIMEOUT wins. */
async function claudeEnv(): Promise<void> {
  const chat = b.emu.privateChat(b.bob).id;
  const m = b.emu.sendUserMessage({ chatId: chat, from: b.bob, text: "/claude say hi" });
  await b.emu.waitForBotMessage(
    chat,
    (x) => x.reply_to_message_id === m.message_id && /^done/.test(x.text ?? ""),
    30_000,
  );
  const env = (JSON.parse(readFileSync(record, "utf8")) as { env: Record<string, string> }).env;
  expect(env.CLAUDE_ENABLE_STREAM_WATCHDOG).toBe("1");
  expect(env.CLAUDE_STREAM_IDLE_TIMEOUT_MS).toBe("120000");
  expect(env.MAX_MCP_OUTPUT_TOKENS).toBe("12000");
  expect(env.MCP_TOOL_TIMEOUT).toBe("5000");
}

test("stall notice, heartbeat, stall_auto_kill and Claude's watchdog env, two bots at once", async () => {
  await Promise.all([stallNotice(), heartbeat(), autoKill(), claudeEnv()]);
}, 200_000);
