// The bot under load and failure: event floods, a flaky Telegram, restarts, long answers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { telegramTextLength } from "../../src/telegram/render.ts";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

function callsForRun(chatId: number, userMsgId: number, progressId: number, afterSeq: number) {
  return h.emu.calls({ afterSeq }).filter((c) => {
    const p = c.params as Record<string, unknown>;
    if (Number(p.chat_id) !== chatId) return false;
    const replyTo = Number(
      p.reply_to_message_id ?? (p.reply_parameters as { message_id?: number } | undefined)?.message_id,
    );
    return Number(p.message_id) === progressId || replyTo === userMsgId;
  });
}

describe("robustness", () => {
  test("10 000 engine events in one run cost at most duration/interval + 3 Telegram calls", async () => {
    const before = h.emu.lastCallSeq();
    const t0 = Date.now();
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:flood 10000 3000" });
    const final = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && /^done/.test(x.text ?? ""),
      30_000,
    );
    const seconds = (Date.now() - t0) / 1000;
    const progress = h.emu
      .history(h.dm)
      .find((x) => x.reply_to_message_id === m.message_id && x.message_id !== final.message_id);
    expect(progress).toBeDefined();
    await h.emu.waitFor(() => h.emu.history(h.dm).find((x) => x.message_id === progress!.message_id)?.deleted, 5000);
    const calls = callsForRun(h.dm, m.message_id, progress!.message_id, before);
    const interval = 0.5; // [progress] min_render_interval in the harness config
    expect(calls.length).toBeLessThanOrEqual(Math.floor(seconds / interval) + 3);
    expect(calls.filter((c) => c.method === "editMessageText").length).toBeGreaterThan(0);
  });

  test("a 10 000-character answer arrives as several messages within the limit, fences balanced, resume line on the last only", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:long 10000" });
    await h.emu.waitFor(() => {
      const parts = h.emu
        .botMessages(h.dm)
        .filter((x) => x.reply_to_message_id === m.message_id && /^done/.test(x.text ?? ""));
      return parts.length > 0 && parts.some((p) => /mock --session/.test(p.text ?? ""));
    }, 20_000);
    const parts = h.emu
      .botMessages(h.dm)
      .filter((x) => x.reply_to_message_id === m.message_id && /^done/.test(x.text ?? ""));
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(telegramTextLength(p.html ?? "")).toBeLessThanOrEqual(4096);
      const opens = (p.html ?? "").match(/<pre>/g)?.length ?? 0;
      const closes = (p.html ?? "").match(/<\/pre>/g)?.length ?? 0;
      expect(opens).toBe(closes);
    }
    const withResume = parts.filter((p) => /mock --session/.test(p.text ?? ""));
    expect(withResume).toHaveLength(1);
    expect(withResume[0]).toBe(parts.at(-1)!);
    expect(parts.at(-1)!.text ?? "").toContain(`continued (${parts.length}/${parts.length})`);
  });

  test("with 20 % of calls failing (429 and 5xx), 50 runs each deliver exactly one final answer and the bot stays up", async () => {
    h.emu.injectFault({ kind: "rate_limit", probability: 0.1, retryAfter: 1, seed: 7 });
    h.emu.injectFault({ kind: "server_error", probability: 0.1, seed: 11 });
    const sent: Array<{ chat: number; id: number; text: string }> = [];
    try {
      for (let i = 0; i < 50; i++) {
        const chat = i % 2 === 0 ? h.dm : h.group;
        const text = `flaky job ${i} end`;
        sent.push({ chat, id: h.emu.sendUserMessage({ chatId: chat, from: h.alice, text }).message_id, text });
      }
      await h.emu.waitFor(
        () =>
          sent.every((s) =>
            h.emu.botMessages(s.chat).some((x) => (x.text ?? "").includes(`You said: ${s.text ?? ""}`)),
          ),
        120_000,
        "every final answer",
      );
    } finally {
      h.emu.clearFaults();
    }
    for (const s of sent) {
      const finals = h.emu
        .history(s.chat)
        .filter(
          (x) =>
            !x.deleted && (x.text ?? "").includes(`You said: ${s.text ?? ""}`) && (x.text ?? "").startsWith("done"),
        );
      expect(finals).toHaveLength(1);
    }
    expect(h.proc.exitCode).toBeNull();
  }, 180_000);

  test("a restart never handles an update twice, and messages sent while down are not run", async () => {
    const first = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "before restart" });
    await h.emu.waitForBotMessage(h.dm, (x) => (x.text ?? "").includes("You said: before restart"), 15_000);
    expect(await h.stop()).toBe(0);
    const missed = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "sent while down" });
    await h.restart();
    const notice = await h.emu.waitForBotMessage(h.dm, (x) => /offline/.test(x.text ?? ""), 15_000);
    expect(notice.text ?? "").toContain("1 message");
    h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "after restart" });
    await h.emu.waitForBotMessage(h.dm, (x) => (x.text ?? "").includes("You said: after restart"), 15_000);
    const all = h.emu.history(h.dm);
    expect(all.filter((x) => (x.text ?? "").includes("You said: before restart"))).toHaveLength(1);
    expect(all.some((x) => (x.text ?? "").includes("You said: sent while down"))).toBe(false);
    expect(all.some((x) => x.reply_to_message_id === missed.message_id)).toBe(false);
    expect(first.message_id).toBeLessThan(missed.message_id);
  }, 60_000);
});
