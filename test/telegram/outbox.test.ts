import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { TelegramApiError, TelegramNetworkError } from "../../src/botapi/errors.ts";
import { ProgressState } from "../../src/core/progress.ts";
import type { MessageRef } from "../../src/core/transport.ts";
import { createLogger, setLogger } from "../../src/log/logger.ts";
import { type OutboxClock, OutboxTransport } from "../../src/telegram/outbox.ts";
import { renderProgress } from "../../src/telegram/render.ts";
import { fakeBotApi } from "../support/fake-bot-api.ts";

/** Lets every pending promise callback run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class FakeClock implements OutboxClock {
  t = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #nextId = 1;

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward to `target`, firing due timers in order and letting callbacks settle. */
  async advanceTo(target: number): Promise<void> {
    for (;;) {
      await settle();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = Math.max(this.t, target);
    await settle();
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.t + ms);
  }
}

interface Call {
  method: string;
  params: Record<string, unknown>;
  at: number;
}

class FakeApi {
  readonly calls: Call[] = [];
  /** Errors thrown by the next calls, in order (undefined = succeed). */
  readonly failures: Array<Error | undefined> = [];
  #nextMessageId = 100;

  readonly #clock: FakeClock;
  constructor(clock: FakeClock) {
    this.#clock = clock;
  }

  readonly call = fakeBotApi(async (method, params) => {
    this.calls.push({ method, params, at: this.#clock.now() });
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (method === "sendMessage" || method === "sendDocument") {
      return { message_id: this.#nextMessageId++, chat: { id: params.chat_id } };
    }
    return true;
  });

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }
}

const apiError = (code: number, description: string, retryAfter?: number) =>
  new TelegramApiError("x", code, description, retryAfter);

let clock: FakeClock;
let api: FakeApi;
let outbox: OutboxTransport;
let logLines: string[];

beforeEach(() => {
  clock = new FakeClock();
  api = new FakeApi(clock);
  outbox = new OutboxTransport({ call: api.call, clock });
  logLines = [];
  setLogger(createLogger({ level: "debug", pretty: false, sink: { write: (l) => void logLines.push(l) } }));
});

afterEach(() => {
  setLogger(createLogger({ level: "silent" }));
});

const chat = { chatId: 1 };

describe("OutboxTransport", () => {
  test("a send is dispatched at once and returns the MessageRef of the result", async () => {
    const p = outbox.send({ chatId: 1, threadId: 7 }, "<b>hi</b>", {
      replyTo: 5,
      buttons: [[{ text: "cancel", data: "c" }]],
    });
    expect(api.calls).toHaveLength(1);
    expect(api.calls[0]?.params).toMatchObject({
      chat_id: 1,
      message_thread_id: 7,
      text: "<b>hi</b>",
      parse_mode: "HTML",
      reply_parameters: { message_id: 5 },
      reply_markup: { inline_keyboard: [[{ text: "cancel", callback_data: "c" }]] },
    });
    expect(await p).toEqual({ chatId: 1, threadId: 7, messageId: 100 });
  });

  test("the edit interval may change while running (a reloaded min_render_interval)", async () => {
    let interval = 2000;
    outbox = new OutboxTransport({ call: api.call, clock, editIntervalMs: () => interval });
    const ref = await outbox.send(chat, "v0");
    interval = 500;
    const e = outbox.edit(ref, "v1");
    await clock.advanceTo(499);
    expect(api.methods()).toEqual(["sendMessage"]);
    await clock.advanceTo(500);
    await e;
    expect(api.calls.map((c) => [c.method, c.at])).toEqual([
      ["sendMessage", 0],
      ["editMessageText", 500],
    ]);
  });

  test("edits: one per interval per message, only the latest payload, older promises resolve too", async () => {
    const ref = await outbox.send(chat, "v0");
    const done = [outbox.edit(ref, "v1"), outbox.edit(ref, "v2"), outbox.edit(ref, "v3")];
    await clock.advanceTo(1999);
    expect(api.methods()).toEqual(["sendMessage"]);
    await clock.advanceTo(2000);
    await Promise.all(done);
    expect(api.calls.map((c) => [c.method, c.params.text, c.at])).toEqual([
      ["sendMessage", "v0", 0],
      ["editMessageText", "v3", 2000],
    ]);
    void outbox.edit(ref, "v4");
    await clock.advanceTo(3999);
    expect(api.calls).toHaveLength(2);
    await clock.advanceTo(4000);
    expect(api.calls[2]?.params.text).toBe("v4");
  });

  test("the interval is per message: another message's edit is not held back", async () => {
    const a = await outbox.send(chat, "a0");
    await clock.advanceTo(1500);
    const b = await outbox.send(chat, "b0");
    void outbox.edit(a, "a1");
    void outbox.edit(b, "b1");
    await clock.advanceTo(2000);
    expect(api.calls.map((c) => c.params.text)).toEqual(["a0", "b0", "a1"]);
    await clock.advanceTo(3500);
    expect(api.calls.map((c) => c.params.text)).toEqual(["a0", "b0", "a1", "b1"]);
  });

  test("unchanged text and keyboard are never sent; a changed keyboard is", async () => {
    const buttons = [[{ text: "cancel", data: "c" }]];
    const ref = await outbox.send(chat, "same", { buttons });
    await outbox.edit(ref, "same", buttons);
    await clock.advance(5000);
    expect(api.methods()).toEqual(["sendMessage"]);
    void outbox.edit(ref, "same");
    await clock.advance(0);
    expect(api.methods()).toEqual(["sendMessage", "editMessageText"]);
    expect(api.calls[1]?.params.reply_markup).toBeUndefined();
    // Within the interval: a pending edit replaced by the current text is dropped, not sent.
    void outbox.edit(ref, "other");
    void outbox.edit(ref, "same");
    await clock.advance(5000);
    expect(api.calls).toHaveLength(2);
  });

  test('"message is not modified" counts as success', async () => {
    const ref = await outbox.send(chat, "v0");
    api.failures.push(apiError(400, "Bad Request: message is not modified: specified new message content is the same"));
    const p = outbox.edit(ref, "v1");
    await clock.advance(2000);
    await p;
    void outbox.edit(ref, "v1");
    await clock.advance(5000);
    expect(api.methods()).toEqual(["sendMessage", "editMessageText"]);
    expect(logLines.join("")).not.toContain("outbox.op_failed");
  });

  test("a failed edit is dropped and logged with method and code only, never re-sent as a new message", async () => {
    const ref = await outbox.send(chat, "v0");
    api.failures.push(apiError(400, "Bad Request: can't parse entities"));
    const p = outbox.edit(ref, "secret-prompt-text <b");
    await clock.advance(2000);
    await p;
    await clock.advance(60_000);
    expect(api.methods()).toEqual(["sendMessage", "editMessageText"]);
    const failed = logLines.filter((l) => l.includes("outbox.op_failed"));
    expect(failed).toHaveLength(1);
    expect(JSON.parse(failed[0] as string)).toMatchObject({ method: "editMessageText", error_code: 400 });
    expect(failed[0]).not.toContain("secret-prompt-text");
  });

  test("edits of a deleted message are dropped, pending or later", async () => {
    const ref = await outbox.send(chat, "v0");
    const pending = outbox.edit(ref, "v1");
    await outbox.delete(ref);
    await pending;
    await outbox.edit(ref, "v2");
    await outbox.delete(ref);
    await clock.advance(10_000);
    expect(api.methods()).toEqual(["sendMessage", "deleteMessage"]);
  });

  test("an edit answered 'message to edit not found' marks the message gone", async () => {
    const ref = await outbox.send(chat, "v0");
    api.failures.push(apiError(400, "Bad Request: message to edit not found"));
    void outbox.edit(ref, "v1");
    await clock.advance(2000);
    void outbox.edit(ref, "v2");
    await clock.advance(10_000);
    expect(api.methods()).toEqual(["sendMessage", "editMessageText"]);
  });

  test("429 holds the whole chat for retry_after, then retries; other chats go on", async () => {
    api.failures.push(apiError(429, "Too Many Requests: retry after 3", 3));
    const first = outbox.send(chat, "one");
    await settle();
    const second = outbox.send(chat, "two");
    const other = outbox.send({ chatId: 2 }, "elsewhere");
    await clock.advanceTo(2999);
    expect(api.calls.map((c) => c.params.text)).toEqual(["one", "elsewhere"]);
    await clock.advanceTo(3000);
    await clock.advance(0);
    expect((await first).messageId).toBeGreaterThan(0);
    await second;
    await other;
    expect(api.calls.map((c) => [c.params.text, c.at])).toEqual([
      ["one", 0],
      ["elsewhere", 0],
      ["one", 3000],
      ["two", 3000],
    ]);
  });

  test("a 429'd edit is not retried when a newer edit superseded it; the newest is sent", async () => {
    const ref = await outbox.send(chat, "v0");
    api.failures.push(apiError(429, "Too Many Requests", 10));
    const p1 = outbox.edit(ref, "v1");
    await clock.advanceTo(2000);
    const p2 = outbox.edit(ref, "v2");
    await clock.advanceTo(30_000);
    await Promise.all([p1, p2]);
    expect(api.calls.map((c) => [c.params.text, c.at])).toEqual([
      ["v0", 0],
      ["v1", 2000],
      ["v2", 12_000],
    ]);
  });

  test("5xx and network failures are retried with backoff; a delivered send is never re-sent", async () => {
    api.failures.push(apiError(502, "Bad Gateway"), new TelegramNetworkError("sendMessage"));
    const p = outbox.send(chat, "final answer");
    await clock.advance(10_000);
    expect((await p).messageId).toBe(100);
    await outbox.flush();
    await clock.advance(60_000);
    expect(api.calls.map((c) => c.at)).toEqual([0, 1000, 3000]);
    expect(outbox.callCounts()).toEqual({ sendMessage: 3 });
  });

  test("retries are bounded: after 3 attempts a send rejects and is logged", async () => {
    for (let i = 0; i < 5; i++) api.failures.push(apiError(500, "Internal"));
    const p = outbox.send(chat, "x");
    const caught = p.catch((e: unknown) => e);
    await clock.advance(60_000);
    const err = await caught;
    expect(err).toBeInstanceOf(TelegramApiError);
    expect(api.calls).toHaveLength(3);
    expect(logLines.some((l) => l.includes("outbox.op_failed") && l.includes('"error_code":500'))).toBe(true);
  });

  test("other 4xx on a send: rejected at once, no retry", async () => {
    api.failures.push(apiError(403, "Forbidden: bot was blocked by the user"));
    await expect(outbox.send(chat, "x")).rejects.toMatchObject({ errorCode: 403 });
    await clock.advance(60_000);
    expect(api.calls).toHaveLength(1);
  });

  test("flush waits for throttled edits; close refuses new writes", async () => {
    const ref = await outbox.send(chat, "v0");
    void outbox.edit(ref, "v1");
    let flushed = false;
    const f = outbox.flush().then(() => {
      flushed = true;
    });
    await clock.advanceTo(1999);
    expect(flushed).toBe(false);
    await clock.advanceTo(2000);
    await f;
    expect(flushed).toBe(true);
    await outbox.close();
    await expect(outbox.send(chat, "late")).rejects.toMatchObject({ code: "outbox.closed" });
  });

  test("documents, callback answers and chat actions go through the same queue", async () => {
    const doc = await outbox.sendDocument(chat, {
      fileName: "a.txt",
      data: new Uint8Array([104, 105]),
      caption: "<b>f</b>",
    });
    expect(doc.messageId).toBe(100);
    const file = api.calls[0]?.params.document;
    expect(file).toBeInstanceOf(File);
    expect((file as File).name).toBe("a.txt");
    await outbox.answerCallback("cb1", "ok");
    // While the chat is busy, repeated chat actions coalesce into one.
    const sent = outbox.send(chat, "x");
    await Promise.all([outbox.chatAction(chat), outbox.chatAction(chat), sent]);
    expect(outbox.callCounts()).toEqual({ sendDocument: 1, answerCallbackQuery: 1, sendMessage: 1, sendChatAction: 1 });
  });

  test("10 000 action events over 20 s become at most 20 s / 2 s + 3 API calls", async () => {
    const state = new ProgressState({ engine: "claude", startedAtMs: 0 });
    const opts = (now: number) => ({ maxActions: 5, verbose: false, now, resumeLine: "claude --resume s1" });
    state.apply({ type: "started", engine: "claude", resume: { engine: "claude", value: "s1" } }, 0);
    const ref: MessageRef = await outbox.send(chat, renderProgress(state, opts(0)));
    for (let i = 0; i < 10_000; i++) {
      const now = i * 2;
      if (now > clock.now()) await clock.advanceTo(now);
      const id = `a${i >> 1}`;
      state.apply(
        {
          type: "action",
          engine: "claude",
          action: { id, kind: "command", title: `step ${id}`, detail: {} },
          phase: i % 2 ? "completed" : "started",
          ok: true,
        },
        now,
      );
      void outbox.edit(ref, renderProgress(state, opts(now)));
    }
    state.apply({ type: "completed", engine: "claude", ok: true, answer: "done" }, 20_000);
    await clock.advanceTo(20_000);
    void outbox.edit(ref, renderProgress(state, opts(20_000)));
    const flushed = outbox.flush();
    await clock.advance(10_000);
    await flushed;
    expect(outbox.totalCalls()).toBeLessThanOrEqual(20_000 / 2000 + 3);
    expect(api.calls.at(-1)?.params.text).toContain("<b>done</b>");
  });
});

describe("OutboxTransport: per-chat pacing across messages", () => {
  const GROUP = -1001;
  const DM = 7;
  const paced = () =>
    new OutboxTransport({
      call: api.call,
      clock,
      editIntervalMs: 500,
      chatRps: (chatId) => (chatId < 0 ? 20 / 60 : 1),
    });
  const gapsIn = (chatId: number) => {
    const at = api.calls
      .filter((c) => c.params.chat_id === chatId && (c.method === "sendMessage" || c.method === "editMessageText"))
      .map((c) => c.at);
    return at.slice(1).map((t, i) => t - (at[i] ?? 0));
  };

  test("five runs in one group: every send and edit is at least 1/group_chat_rps apart, none lost", async () => {
    const o = paced();
    const started = Promise.all(
      [1, 2, 3, 4, 5].map(async (i) => {
        const ref = await o.send({ chatId: GROUP }, `run ${i}: starting`);
        void o.edit(ref, `run ${i}: working`);
        return ref;
      }),
    );
    await clock.advance(30_000);
    const refs = await started;
    for (const [i, ref] of refs.entries()) void o.edit(ref, `run ${i + 1}: step 2`);
    await clock.advance(120_000);
    const gaps = gapsIn(GROUP);
    expect(gaps.length).toBeGreaterThanOrEqual(9);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(3000);
    // Each message ends with its latest text.
    for (const i of [1, 2, 3, 4, 5]) {
      const texts = api.calls.filter((c) => String(c.params.text).startsWith(`run ${i}:`)).map((c) => c.params.text);
      expect(texts.at(-1)).toBe(`run ${i}: step 2`);
    }
  });

  test("a private chat is paced at one message a second; another chat is not held by it", async () => {
    const o = paced();
    const sends = [1, 2, 3].map((i) => o.send({ chatId: DM }, `dm ${i}`));
    void o.send({ chatId: DM + 1 }, "other chat");
    await clock.advance(0);
    expect(api.calls.map((c) => c.params.text)).toEqual(["dm 1", "other chat"]);
    await clock.advance(10_000);
    await Promise.all(sends);
    expect(gapsIn(DM)).toEqual([1000, 1000]);
  });

  test("a final answer is never starved by progress edits: it takes the next slot", async () => {
    const o = paced();
    const sent = Promise.all([1, 2, 3].map((i) => o.send({ chatId: GROUP }, `p${i}`)));
    await clock.advance(60_000);
    const progress = await sent;
    api.calls.length = 0;
    // Edits of three progress messages keep coming; the final answer is queued after them.
    let n = 0;
    const keepEditing = () => {
      for (const ref of progress) void o.edit(ref, `p${ref.messageId} edit ${++n}`);
    };
    keepEditing();
    const final = o.send({ chatId: GROUP }, "final answer");
    for (let t = 0; t < 10; t++) {
      await clock.advance(1000);
      keepEditing();
    }
    await final;
    const firstTwo = api.calls.slice(0, 2).map((c) => c.params.text);
    expect(firstTwo).toContain("final answer");
  });

  test("deletes, chat actions and callback answers are not paced", async () => {
    const o = paced();
    const ref = await o.send({ chatId: GROUP }, "one");
    void o.delete(ref);
    void o.chatAction({ chatId: GROUP });
    void o.answerCallback("q1", "ok");
    await clock.advance(0);
    expect(api.methods().sort()).toEqual(["answerCallbackQuery", "deleteMessage", "sendChatAction", "sendMessage"]);
  });

  test("without chatRps nothing is paced (sends of one chat go back to back)", async () => {
    const o = new OutboxTransport({ call: api.call, clock });
    await Promise.all([o.send({ chatId: GROUP }, "a"), o.send({ chatId: GROUP }, "b")]);
    expect(gapsIn(GROUP)).toEqual([0]);
  });
});
