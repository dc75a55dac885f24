// Liveness in process, on a manual clock: the heartbeat re-renders a silent run's elapsed time,
// "typing…" is renewed per chat (not per run), the first render says "starting" unless the run
// really waits (and then behind which run), and the stall watchdog: a silence notice with a Cancel
// button repeated every stall_repeat_seconds, a tool past tool_timeout / mcp_tool_timeout, and
// stall_auto_kill cancelling the run instead.
import { describe, expect, test } from "bun:test";
import { RunLiveness } from "../../src/core/liveness.ts";
import {
  CANCEL_DATA,
  type EngineLauncher,
  type LaunchedRun,
  type LivenessOptions,
  RunManager,
  type RunRequest,
} from "../../src/core/runs.ts";
import type { ButtonRows, ChatRef, MessageRef, SendOptions, Transport } from "../../src/core/transport.ts";
import type { EngineEvent } from "../../src/engines/events.ts";
import { createMockEngine } from "../../src/engines/mock.ts";
import { createEngineRegistry } from "../../src/engines/registry.ts";
import type { EngineDefinition, PermissionDecision, PermissionRequest } from "../../src/engines/types.ts";
import { StateDb } from "../../src/state/db.ts";
import { createRunViewFactory } from "../../src/telegram/presenter.ts";
import { flush, ManualClock } from "../support/manual-clock.ts";

class RecordingTransport implements Transport {
  sent: Array<{ ref: MessageRef; html: string; opts?: SendOptions }> = [];
  edits: Array<{ ref: MessageRef; html: string; buttons?: ButtonRows }> = [];
  typing: Array<{ chat: ChatRef; at: number }> = [];
  #id = 100;
  constructor(readonly clock: ManualClock) {}
  async send(chat: ChatRef, html: string, opts?: SendOptions): Promise<MessageRef> {
    const ref = { ...chat, messageId: ++this.#id };
    this.sent.push({ ref, html, opts });
    return ref;
  }
  async edit(ref: MessageRef, html: string, buttons?: ButtonRows): Promise<void> {
    this.edits.push({ ref, html, buttons });
  }
  async delete(): Promise<void> {}
  async sendDocument(chat: ChatRef): Promise<MessageRef> {
    return this.send(chat, "(document)");
  }
  async chatAction(chat: ChatRef): Promise<void> {
    this.typing.push({ chat, at: this.clock.now() });
  }
}

interface Launched {
  emit(e: EngineEvent): void;
  ask(req: PermissionRequest): Promise<PermissionDecision>;
  finish(): void;
  cancelledAs?: string;
  alive: boolean;
}

class HandLauncher implements EngineLauncher {
  launched: Launched[] = [];
  launch(
    def: EngineDefinition,
    _job: unknown,
    hooks: { onEvent(e: EngineEvent): void; ask(r: PermissionRequest): Promise<PermissionDecision> },
  ): LaunchedRun {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const run: Launched = {
      alive: true,
      emit: (e) => hooks.onEvent(e),
      ask: (r) => hooks.ask(r),
      finish: () => {
        hooks.onEvent({ type: "completed", engine: def.id, ok: true, answer: "done" });
        run.alive = false;
        resolve();
      },
    };
    this.launched.push(run);
    return {
      pid: 4242,
      cancel: (reason) => {
        run.cancelledAs = reason;
        run.alive = false;
        hooks.onEvent({ type: "completed", engine: def.id, ok: false, answer: "", error: reason });
        resolve();
      },
      done,
    };
  }
}

const SETTINGS: LivenessOptions = {
  heartbeatMs: 10_000,
  livenessMs: 60_000,
  repeatMs: 180_000,
  toolMs: 600_000,
  mcpToolMs: 900_000,
  autoKill: false,
};

function setup(liveness: Partial<LivenessOptions> = {}, maxConcurrent = 0) {
  const clock = new ManualClock();
  const transport = new RecordingTransport(clock);
  const launcher = new HandLauncher();
  const runs = new RunManager({
    transport,
    engines: createEngineRegistry({}, [createMockEngine()]),
    launcher,
    createView: createRunViewFactory(() => ({
      maxActions: 5,
      verbose: false,
      showResumeLine: false,
      messageOverflow: "split",
      showCost: false,
      maxAnswerParts: 3,
    })),
    db: StateDb.open(":memory:"),
    maxConcurrent,
    approvalTimeoutMs: 300_000,
    clock,
    liveness: () => ({ ...SETTINGS, ...liveness }),
  });
  const req = (extra: Partial<RunRequest> = {}): RunRequest => ({
    chat: { chatId: 1 },
    replyTo: 10,
    prompt: "fix the failing tests\nin the api package",
    engineId: "claude",
    cwd: "/srv/app",
    source: { kind: "chat" },
    ...extra,
  });
  return { clock, transport, launcher, runs, req };
}

const STARTED: EngineEvent = { type: "started", engine: "claude", resume: { engine: "claude", value: "s1" } };

function stallNotices(t: RecordingTransport) {
  return t.sent.filter((s) => s.html.startsWith("⏸") || s.html.startsWith("⏹"));
}

describe("heartbeat and typing", () => {
  test("a silent run's progress message is re-rendered every heartbeat_interval with a growing elapsed time", async () => {
    const { clock, transport, launcher, runs, req } = setup();
    await runs.submit(req());
    await flush();
    launcher.launched[0]?.emit(STARTED);
    await clock.advance(1000);
    const before = transport.edits.length;
    await clock.advance(20_000);
    const beats = transport.edits.slice(before).map((e) => Number(/· (\d+)s ·/.exec(e.html)?.[1]));
    // The started event was rendered at 0.25 s; the heartbeat is checked once a second.
    expect(beats).toEqual([11, 21]);
  });

  test("without engine events nothing is re-rendered between heartbeats", async () => {
    const { clock, transport, launcher, runs, req } = setup({ heartbeatMs: 30_000 });
    await runs.submit(req());
    await flush();
    launcher.launched[0]?.emit(STARTED);
    await clock.advance(1000);
    const before = transport.edits.length;
    await clock.advance(29_000);
    expect(transport.edits.length).toBe(before);
    await clock.advance(1_000);
    expect(transport.edits.length).toBe(before + 1);
  });

  test('"typing…" is renewed every 4.5 s at most per chat, however many runs work there', async () => {
    const { clock, transport, launcher, runs, req } = setup();
    await runs.submit(req());
    await runs.submit(req({ chat: { chatId: 1 }, prompt: "second" }));
    await runs.submit(req({ chat: { chatId: 2 }, prompt: "elsewhere" }));
    await flush();
    expect(launcher.launched).toHaveLength(3);
    await clock.advance(20_000);
    const inChat = (id: number) => transport.typing.filter((t) => t.chat.chatId === id).map((t) => t.at);
    for (const id of [1, 2]) {
      const at = inChat(id);
      expect(at.length).toBe(5); // 0, 5, 10, 15, 20 s
      for (let i = 1; i < at.length; i++)
        expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(4500);
    }
    for (const l of launcher.launched) l.finish();
    await flush();
    const after = transport.typing.length;
    await clock.advance(20_000);
    expect(transport.typing.length).toBe(after);
  });
});

describe("first render", () => {
  test('a run nothing holds back says "starting", never "queued"', async () => {
    const { transport, runs, req } = setup();
    await runs.submit(req());
    const first = transport.sent[0]?.html ?? "";
    expect(first).toContain("<b>starting</b>");
    expect(first).not.toContain("queued");
  });

  test("a run waiting for another in its conversation says which one, then starts when it ends", async () => {
    const { transport, launcher, runs, req } = setup();
    const scope = "chat:1";
    const a = await runs.submit(req({ sessionScope: scope }));
    const b = await runs.submit(req({ sessionScope: scope, prompt: "and then the docs" }));
    if (!a.accepted || !b.accepted) throw new Error("refused");
    const waiting = transport.sent[1]?.html ?? "";
    expect(waiting).toContain("queued behind the run of “fix the failing tests”");
    await flush();
    expect(launcher.launched).toHaveLength(1);
    launcher.launched[0]?.finish();
    await a.finished;
    await flush();
    expect(launcher.launched).toHaveLength(2);
    const lastOfB = transport.edits.filter((e) => e.ref.messageId === b.progress.messageId).at(-1)?.html ?? "";
    expect(lastOfB).not.toContain("queued");
  });

  test("a third run waits behind the second; when the second leaves the queue, it says the first", async () => {
    const { transport, launcher, runs, req } = setup();
    const scope = "chat:1";
    await runs.submit(req({ sessionScope: scope, prompt: "first task" }));
    const b = await runs.submit(req({ sessionScope: scope, prompt: "second task" }));
    const c = await runs.submit(req({ sessionScope: scope, prompt: "third task" }));
    if (!b.accepted || !c.accepted) throw new Error("refused");
    expect(transport.sent[2]?.html).toContain("queued behind the run of “second task”");
    await flush();
    expect(runs.cancelRun(b.runId)).toBe("dropped");
    await flush();
    const lastOfC = transport.edits.filter((e) => e.ref.messageId === c.progress.messageId).at(-1)?.html ?? "";
    expect(lastOfC).toContain("queued behind the run of “first task”");
    launcher.launched[0]?.finish();
    await flush();
    expect(launcher.launched).toHaveLength(2);
  });

  test("with the engine-run cap reached, another conversation's run is refused, not shown as queued", async () => {
    const { transport, runs, req } = setup({}, 1);
    await runs.submit(req({ chat: { chatId: 1 } }));
    const second = await runs.submit(req({ chat: { chatId: 2 } }));
    expect(second.accepted).toBe(false);
    expect(transport.sent[1]?.html).toContain("🛑 Too many engine runs in flight (1/1)");
    expect(transport.sent.some((m) => m.html.includes("queued"))).toBe(false);
  });

  test("a run behind a trigger names the trigger, not its prompt; in a supergroup it links the message", async () => {
    const { transport, runs, req } = setup();
    const chat = { chatId: -1001234567890 };
    await runs.submit(req({ chat, sessionScope: "s", source: { kind: "webhook", id: "github" }, replyTo: 77 }));
    await runs.submit(req({ chat, sessionScope: "s" }));
    const waiting = transport.sent[1]?.html ?? "";
    expect(waiting).toContain('<a href="https://t.me/c/1234567890/77">“webhook:github”</a>');
    expect(waiting).not.toContain("fix the failing");
  });
});

describe("stall watchdog", () => {
  test("silence past liveness_timeout: the progress says so, one notice with Cancel, repeated every stall_repeat_seconds", async () => {
    const { clock, transport, launcher, runs, req } = setup();
    const r = await runs.submit(req());
    if (!r.accepted) throw new Error("refused");
    await flush();
    launcher.launched[0]?.emit(STARTED);
    await clock.advance(59_000);
    expect(stallNotices(transport)).toHaveLength(0);
    await clock.advance(1_000);
    const notices = stallNotices(transport);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.html).toContain("No output from Claude Code for 1 min");
    expect(notices[0]?.opts?.buttons).toEqual([[{ text: "✖ Cancel", data: CANCEL_DATA }]]);
    expect(notices[0]?.opts?.replyTo).toBe(r.progress.messageId);
    expect(transport.edits.at(-1)?.html).toContain("⏸ <i>no output for 1 min</i>");
    await clock.advance(179_000);
    expect(stallNotices(transport)).toHaveLength(1);
    await clock.advance(1_000);
    expect(stallNotices(transport)).toHaveLength(2);
    expect(stallNotices(transport)[1]?.html).toContain("for 4 min");
    // The notice's Cancel button cancels the run.
    const notice = stallNotices(transport)[1]?.ref as MessageRef;
    expect(runs.cancelByMessage(notice.chatId, notice.messageId)).toBe("cancelling");
    expect((await r.finished).status).toBe("cancelled");
    expect(launcher.launched[0]?.cancelledAs).toBe("cancelled");
  });

  test("output restarts the silence clock", async () => {
    const { clock, transport, launcher, runs, req } = setup();
    await runs.submit(req());
    await flush();
    await clock.advance(50_000);
    launcher.launched[0]?.emit(STARTED);
    await clock.advance(50_000);
    expect(stallNotices(transport)).toHaveLength(0);
    await clock.advance(10_000);
    expect(stallNotices(transport)).toHaveLength(1);
  });

  test("stall_auto_kill cancels the run instead: the process is stopped and the run ends cancelled", async () => {
    const { clock, transport, launcher, runs, req } = setup({ autoKill: true });
    const r = await runs.submit(req());
    if (!r.accepted) throw new Error("refused");
    await flush();
    await clock.advance(60_000);
    expect((await r.finished).status).toBe("cancelled");
    expect(launcher.launched[0]?.alive).toBe(false);
    expect(launcher.launched[0]?.cancelledAs).toBe("cancelled");
    const notices = stallNotices(transport);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.html).toContain("cancelled (<code>stall_auto_kill</code>)");
    expect(notices[0]?.opts?.buttons).toBeUndefined();
  });

  test("a tool running past tool_timeout gets a notice; a silent tool within its limit is no stall", async () => {
    const { clock, transport, launcher, runs, req } = setup({ toolMs: 120_000 });
    await runs.submit(req());
    await flush();
    launcher.launched[0]?.emit({
      type: "action",
      engine: "claude",
      phase: "started",
      action: { id: "t1", kind: "command", title: "make test", detail: { tool: "Bash", command: "make test" } },
    });
    await clock.advance(119_000);
    expect(stallNotices(transport)).toHaveLength(0);
    await clock.advance(1_000);
    const notices = stallNotices(transport);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.html).toContain("The tool <b>Bash</b> has been running for 2 min (tool_timeout is 2 min)");
    expect(notices[0]?.opts?.buttons?.[0]?.[0]?.data).toBe(CANCEL_DATA);
  });

  test("waiting for an approval is no stall and shows no typing; the silence counts from the answer", async () => {
    const { clock, transport, launcher, runs, req } = setup();
    const r = await runs.submit(req());
    if (!r.accepted) throw new Error("refused");
    await flush();
    const decision = launcher.launched[0]?.ask({ requestId: "q1", toolName: "Bash", input: { command: "ls" } });
    await clock.advance(1_000);
    const typingBefore = transport.typing.length;
    await clock.advance(119_000);
    expect(stallNotices(transport)).toHaveLength(0);
    expect(transport.typing.length).toBe(typingBefore);
    const buttons = transport.edits.at(-1)?.buttons ?? [];
    const approve = buttons.flat().find((b) => b.text.includes("Approve"));
    if (approve === undefined) throw new Error("no Approve button");
    const [, id, choice] = approve.data.split(":");
    expect(runs.answerApproval(id as string, choice as string, r.progress)).toBeDefined();
    expect((await decision)?.behavior).toBe("allow");
    await clock.advance(59_000);
    expect(stallNotices(transport)).toHaveLength(0);
    expect(transport.typing.length).toBeGreaterThan(typingBefore);
    await clock.advance(1_000);
    expect(stallNotices(transport)).toHaveLength(1);
  });

  test("an MCP tool (mcp__*) is held to mcp_tool_timeout instead", () => {
    const live = new RunLiveness(0);
    const settings = { ...SETTINGS, toolMs: 60_000, mcpToolMs: 120_000 };
    live.observe(
      {
        type: "action",
        engine: "claude",
        phase: "started",
        action: { id: "m1", kind: "tool", title: "search", detail: { tool: "mcp__github__search" } },
      },
      0,
    );
    expect(live.due(90_000, settings)).toEqual([]);
    expect(live.due(120_000, settings)).toEqual([
      { kind: "tool", tool: "mcp__github__search", runningMs: 120_000, limitMs: 120_000, mcp: true },
    ]);
    // Repeated every stall_repeat_seconds, not on every check.
    expect(live.due(121_000, settings)).toEqual([]);
    expect(live.due(300_000, settings)).toHaveLength(1);
  });
});
