// /stats, /export, /ping and /triggers logic with fakes and fixed clocks; the e2e suite drives them
// through the binary.
import { describe, expect, test } from "bun:test";
import type { StoredRun } from "../../../src/state/history.ts";
import { fenced, renderRunMarkdown } from "../../../src/telegram/commands/export-doc.ts";
import { pollingLagMs } from "../../../src/telegram/commands/ping.ts";
import { parseStatsArgs } from "../../../src/telegram/commands/stats.ts";
import type { TriggerControl, TriggerRow } from "../../../src/telegram/commands/trigger-list.ts";
import { createTriggersCommand } from "../../../src/telegram/commands/triggers.ts";
import type { IncomingMessage } from "../../../src/telegram/incoming.ts";
import { captureLogs } from "../../config/helpers.ts";

describe("/stats arguments", () => {
  const engines = ["claude", "codex", "mock"];
  test("engine and period in any order, each at most once", () => {
    expect(parseStatsArgs("", engines)).toEqual({ ok: true });
    expect(parseStatsArgs("codex week", engines)).toEqual({ ok: true, engine: "codex", period: "week" });
    expect(parseStatsArgs("ALL /claude", engines)).toEqual({ ok: true, engine: "claude", period: "all" });
    expect(parseStatsArgs("month", engines)).toEqual({ ok: false });
    expect(parseStatsArgs("today week", engines)).toEqual({ ok: false });
    expect(parseStatsArgs("gpt", engines)).toEqual({ ok: false });
  });
});

describe("/export document", () => {
  const run: StoredRun = {
    runId: 7,
    chatId: 1,
    engine: "claude",
    source: "chat",
    status: "done",
    startedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    finishedAt: Date.UTC(2026, 0, 2, 3, 4, 17),
    costUsd: 0.0123,
    project: "app",
    branch: "fix",
    prompt: "fix it\n```\n# not a heading",
    answer: "Fixed **it**.",
    actions: [{ kind: "command", title: "make\ntest", status: "failed", detail: '{"exit_code":2}' }],
    omitted: { tool: 3 },
    cut: false,
  };

  test("facts, fenced prompt, actions with results, omitted count and the answer", () => {
    const md = renderRunMarkdown(run);
    expect(md).toContain("# Untether run 7");
    expect(md).toContain("- Engine: claude");
    expect(md).toContain("- Project: app @fix");
    expect(md).toContain("- Started: 2026-01-02 03:04:05 UTC");
    expect(md).toContain("- Duration: 12 s");
    expect(md).toContain("- Cost: $0.0123");
    expect(md).toContain("````\nfix it\n```\n# not a heading\n````");
    expect(md).toContain("## Actions (4)");
    expect(md).toContain("3 earlier actions not kept (3 tool)");
    expect(md).toContain("1. ❌ command: make ⏎ test");
    expect(md).toContain('{"exit_code":2}');
    expect(md).toContain("## Answer\n\nFixed **it**.");
  });

  test("a run whose log was pruned still exports its facts", () => {
    const { prompt: _p, answer: _a, ...rest } = run;
    const md = renderRunMarkdown({ ...rest, actions: [], omitted: {} });
    expect(md).toContain("Not stored (older than `history.retention_days`)");
    expect(md).toContain("_No answer._");
  });

  test("fences outgrow any backtick run inside", () => {
    expect(fenced("a ````` b")).toStartWith("``````\n");
  });
});

describe("/ping lag", () => {
  test("from the message date (seconds) to now, never negative", () => {
    expect(pollingLagMs(1000, 1_002_500)).toBe(2500);
    expect(pollingLagMs(1000, 999_000)).toBe(0);
    expect(pollingLagMs(undefined, 5)).toBeUndefined();
  });
});

describe("/triggers", () => {
  function setup(admin: boolean) {
    const paused = new Set<string>();
    const rows: TriggerRow[] = [{ id: "gh", kind: "webhook", lastFiredAt: 0, paused: false }];
    const control: TriggerControl = {
      enabled: () => true,
      list: () => rows.map((r) => ({ ...r, paused: paused.has(r.id) })),
      allPaused: () => false,
      set: (id, p) => {
        const key = id ?? "*";
        const had = paused.has(key);
        if (p) paused.add(key);
        else paused.delete(key);
        return had !== p;
      },
    };
    const replies: string[] = [];
    const cmd = createTriggersCommand({
      kit: {
        reply: async (_c, html) => {
          replies.push(html);
          return { chatId: 1, messageId: 2 };
        },
        isBotAdmin: () => admin,
      },
      triggers: control,
      now: () => 65_000,
    });
    const m: IncomingMessage = {
      kind: "message",
      updateId: 1,
      chatId: -5,
      chatType: "group",
      messageId: 9,
      userId: 3,
      text: "",
    };
    const run = (args: string) => cmd.run({ m, args, chat: { chatId: -5 } });
    return { paused, replies, run };
  }

  test("lists with the last fire; a non-admin may list but not pause", async () => {
    const s = setup(false);
    await s.run("");
    expect(s.replies[0]).toContain("<code>gh</code> (webhook) · last fired 1 min 05 s ago");
    await s.run("pause gh");
    expect(s.replies[1]).toContain("Only a bot admin");
    expect(s.paused.size).toBe(0);
  });

  test("an admin pauses one trigger: logged settings.changed with old → new", async () => {
    const logs = captureLogs();
    const s = setup(true);
    await s.run("pause gh");
    expect(s.paused.has("gh")).toBe(true);
    expect(s.replies[0]).toContain("<code>gh</code> paused.");
    expect(s.replies[0]).toContain("· paused");
    expect(logs.find((l) => l.msg === "settings.changed")).toMatchObject({
      user_id: 3,
      chat_id: -5,
      key: "triggers.paused.gh",
      old: false,
      new: true,
    });
    await s.run("pause nope");
    expect(s.replies[1]).toContain("No trigger <code>nope</code>");
    await s.run("stop gh");
    expect(s.replies[2]).toContain("Usage: <code>/triggers [pause|resume [id]]</code>");
  });
});
