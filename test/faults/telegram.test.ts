// A misbehaving Telegram, from the chat: slow answers, dropped connections (with and without the
// request taking effect), edits of a message the user deleted, nginx HTML 502s, a 409 polling
// conflict and a revoked token. Calls are counted to prove there is no busy loop.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { HistoryEntry } from "../../src/emulator/index.ts";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  if (h.proc.exitCode === null) await h.stop();
  await h.emu.stop();
});

const finalOf = (_chat: number, m: { message_id: number }) => (x: HistoryEntry) =>
  x.reply_to_message_id === m.message_id && !x.reply_markup && /^(done|error) ·/.test(x.text ?? "");

function finals(chat: number, m: { message_id: number }): HistoryEntry[] {
  return h.emu.history(chat).filter((x) => !x.deleted && finalOf(chat, m)(x));
}

async function ask(text: string, chat = h.dm, timeoutMs = 30_000) {
  const m = h.emu.sendUserMessage({ chatId: chat, from: h.alice, text });
  const final = await h.emu.waitForBotMessage(chat, finalOf(chat, m), timeoutMs);
  return { m, final };
}

describe("a slow or flaky Telegram", () => {
  test("sendMessage and editMessageText answering after 4 s: the answer still arrives, once", async () => {
    const id = h.emu.injectFault({
      kind: "delay",
      method: ["sendMessage", "editMessageText"],
      delayMs: 4000,
      times: 4,
    });
    try {
      const { m, final } = await ask("slow telegram", h.dm, 60_000);
      expect(final.text ?? "").toContain("You said: slow telegram");
      expect(finals(h.dm, m)).toHaveLength(1);
    } finally {
      h.emu.removeFault(id);
    }
  }, 90_000);

  test("dropped connections (no effect): retried, the answer arrives exactly once", async () => {
    h.emu.injectFault({ kind: "drop", method: "sendMessage", times: 3 });
    const { m, final } = await ask("dropped sends", h.dm, 60_000);
    expect(final.text ?? "").toContain("You said: dropped sends");
    expect(finals(h.dm, m)).toHaveLength(1);
    expect(h.emu.faults()).toHaveLength(0);
  }, 90_000);

  test("the final answer sent but its reply lost (drop + afterEffect): it arrives at least once", async () => {
    // Exactly-once is impossible here: Telegram posted the message, the bot never learnt it, and a
    // retry posts it again. The guarantee is at-least-once; a duplicate is the price.
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:flood 400 3000" }); // 4 batches over ~3 s
    await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id && !!x.reply_markup, 20_000);
    h.emu.injectFault({ kind: "drop", method: "sendMessage", afterEffect: true, times: 1 });
    expect(finals(h.dm, m)).toHaveLength(0); // the run was still going when the fault was set
    await h.emu.waitForBotMessage(h.dm, finalOf(h.dm, m), 60_000);
    await h.emu.waitFor(() => h.emu.faults().length === 0, 30_000, "the fault to be used");
    await h.emu.waitFor(
      () => h.emu.history(h.dm).some((x) => x.reply_to_message_id === m.message_id && x.deleted),
      30_000,
      "progress deleted",
    );
    const n = finals(h.dm, m).length;
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(2);
    expect(h.proc.exitCode).toBeNull();
  }, 90_000);

  test("the user deletes the progress message mid-run: edits fail with 400, the run completes and the answer arrives", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:flood 600 6000" }); // 6 batches over ~6 s
    const progress = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && !!x.reply_markup,
      20_000,
    );
    // The emulator has no user-side delete: deleting through the Bot API has the same effect for the bot.
    const res = await fetch(`${h.emu.apiBaseUrl}/bot${h.emu.token}/deleteMessage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chat_id: h.dm, message_id: progress.message_id }),
    });
    expect(res.ok).toBe(true);
    const seq = h.emu.lastCallSeq();
    const final = await h.emu.waitForBotMessage(h.dm, finalOf(h.dm, m), 40_000);
    expect(final.text ?? "").toStartWith("done · mock");
    const editsOfGone = h.emu
      .calls({ method: "editMessageText", afterSeq: seq })
      .filter((c) => Number((c.params as { message_id?: unknown }).message_id) === progress.message_id);
    // The first "message to edit not found" ends the edits of that message: no retry loop.
    expect(editsOfGone.filter((c) => !c.ok)).toHaveLength(1);
    expect(editsOfGone).toHaveLength(1);
    expect(editsOfGone[0]!.description ?? "").toContain("message to edit not found");
    expect(finals(h.dm, m)).toHaveLength(1);
  }, 60_000);

  test("nginx 502 HTML pages on 30 % of calls: 20 runs, every answer delivered exactly once, no crash, calls bounded", async () => {
    const seq = h.emu.lastCallSeq();
    h.emu.injectFault({ kind: "bad_gateway", probability: 0.3, seed: 42 });
    const sent: Array<{ chat: number; m: { message_id: number }; text: string }> = [];
    try {
      for (let i = 0; i < 20; i++) {
        const chat = i % 2 === 0 ? h.dm : h.group;
        const text = `gateway job ${i} end`;
        sent.push({ chat, m: h.emu.sendUserMessage({ chatId: chat, from: h.alice, text }), text });
      }
      await h.emu.waitFor(() => sent.every((s) => finals(s.chat, s.m).length > 0), 120_000, "every final answer");
    } finally {
      h.emu.clearFaults();
    }
    for (const s of sent) {
      const f = finals(s.chat, s.m);
      expect(f).toHaveLength(1);
      expect(f[0]!.text ?? "").toContain(`You said: ${s.text}`);
    }
    expect(h.proc.exitCode).toBeNull();
    // Each run needs ~4 calls (send, edit(s), send, delete); retries stay bounded: no busy loop.
    const calls = h.emu.calls({ afterSeq: seq });
    expect(calls.filter((c) => c.method !== "getUpdates").length).toBeLessThanOrEqual(20 * 12);
    expect(calls.filter((c) => c.method === "getUpdates").length).toBeLessThanOrEqual(200);
  }, 180_000);
});

describe("polling failures", () => {
  test("409 conflict on getUpdates: logged, backed off (calls bounded), recovered when it stops", async () => {
    await h.emu.waitFor(() => h.emu.isPolling(), 10_000, "a long poll");
    const id = h.emu.injectFault({ kind: "conflict", method: "getUpdates", probability: 1 });
    // Wake the held long poll; the next getUpdates meets the conflict.
    await ask("wake the poll");
    await h.waitForOutput(/telegram\.polling_conflict/, 15_000);
    const seq = h.emu.lastCallSeq();
    await Bun.sleep(6000); // a window to count calls in, not a timing assertion
    const polls = h.emu.callCount({ method: "getUpdates", afterSeq: seq });
    h.emu.removeFault(id);
    expect(polls).toBeGreaterThanOrEqual(1);
    expect(polls).toBeLessThanOrEqual(6); // backoff 1, 2, 4… s; a busy loop would make hundreds
    const { final } = await ask("after the conflict", h.dm, 60_000);
    expect(final.text ?? "").toContain("You said: after the conflict");
    expect(h.proc.exitCode).toBeNull();
  }, 90_000);

  test("a revoked token (401 on getUpdates): stops polling, a clear error on stderr, exit 1, no spinning", async () => {
    await h.emu.waitFor(() => h.emu.isPolling(), 30_000, "a long poll");
    const seq = h.emu.lastCallSeq();
    h.emu.injectFault({ kind: "unauthorized", method: "getUpdates", probability: 1 });
    h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "wake the poll" });
    const code = await Promise.race([h.proc.exited, Bun.sleep(40_000).then(() => "still running" as const)]);
    expect(code).toBe(1);
    expect(h.output()).toContain("error: Telegram rejected the bot token while polling");
    expect(h.output()).toContain("transports.telegram.bot_token");
    expect(h.output()).toContain("telegram.token_rejected");
    expect(h.emu.callCount({ method: "getUpdates", afterSeq: seq, ok: false })).toBe(1);
    expect(h.output()).not.toContain(h.emu.token.split(":")[1]!);
  }, 60_000);
});
