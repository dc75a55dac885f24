import { describe, expect, test } from "bun:test";
import type { ChatRef, MessageRef, SendOptions } from "../../../src/core/transport.ts";
import { announceRestart, RESTART_MARKER_KEY } from "../../../src/telegram/commands/restart.ts";

function fakes(marker?: string) {
  const kv = new Map<string, string>(marker === undefined ? [] : [[RESTART_MARKER_KEY, marker]]);
  const sent: { chat: ChatRef; html: string; opts?: SendOptions }[] = [];
  const store = { getKv: (k: string) => kv.get(k), setKv: (k: string, v: string) => void kv.set(k, v) };
  const transport = {
    send: async (chat: ChatRef, html: string, opts?: SendOptions): Promise<MessageRef> => {
      sent.push({ chat, html, ...(opts === undefined ? {} : { opts }) });
      return { ...chat, messageId: sent.length };
    },
  };
  return { kv, store, transport, sent };
}

describe("announceRestart", () => {
  test("tells the chat (and topic) that asked, replying to its /restart, exactly once", async () => {
    const f = fakes(JSON.stringify({ chatId: -100, threadId: 7, replyTo: 42 }));
    await announceRestart(f.store, f.transport);
    await announceRestart(f.store, f.transport);
    expect(f.sent).toHaveLength(1);
    expect(f.sent[0]?.chat).toEqual({ chatId: -100, threadId: 7 });
    expect(f.sent[0]?.opts?.replyTo).toBe(42);
    expect(f.sent[0]?.html).toStartWith("✅ Back");
    expect(f.kv.get(RESTART_MARKER_KEY)).toBe("");
  });

  test("no marker, an empty one or a malformed one: nothing is sent, and the marker is gone", async () => {
    for (const marker of [undefined, "", "{not json", JSON.stringify({ chatId: "x" })]) {
      const f = fakes(marker);
      await announceRestart(f.store, f.transport);
      expect(f.sent).toEqual([]);
      expect(f.kv.get(RESTART_MARKER_KEY) ?? "").toBe("");
    }
  });
});
