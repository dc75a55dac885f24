// The run manager in process: an in-memory transport, a launcher the test drives by hand and a
// manual clock. One session, one process; cancel while queued; approvals bound to their message and
// timed out by the clock; the budget's refusal; the shutdown grace; run context stored per message.
import { describe, expect, test } from "bun:test";
import type { PendingApproval } from "../../src/core/approvals.ts";
import {
  type EngineLauncher,
  type LaunchedRun,
  RunManager,
  type RunRequest,
  type RunView,
} from "../../src/core/runs.ts";
import type { ButtonRows, ChatRef, MessageRef, SendOptions, Transport } from "../../src/core/transport.ts";
import type { EngineEvent } from "../../src/engines/events.ts";
import { createMockEngine } from "../../src/engines/mock.ts";
import { createEngineRegistry } from "../../src/engines/registry.ts";
import type { EngineDefinition, EngineJob, PermissionDecision, PermissionRequest } from "../../src/engines/types.ts";
import { StateDb } from "../../src/state/db.ts";
import { flush, ManualClock } from "../support/manual-clock.ts";

const CLAUDE_S1 = "144faec0-4b9e-4e71-b6c0-25b1a751d3d1";
const CLAUDE_S2 = "0557ac85-33b6-46e1-80a3-89b86d9718b9";

class MemoryTransport implements Transport {
  sent: Array<{ ref: MessageRef; html: string; opts?: SendOptions }> = [];
  edits: Array<{ ref: MessageRef; html: string; buttons?: ButtonRows }> = [];
  deleted: MessageRef[] = [];
  #id = 100;
  async send(chat: ChatRef, html: string, opts?: SendOptions): Promise<MessageRef> {
    const ref = { ...chat, messageId: ++this.#id };
    this.sent.push({ ref, html, opts });
    return ref;
  }
  async edit(ref: MessageRef, html: string, buttons?: ButtonRows): Promise<void> {
    this.edits.push({ ref, html, buttons });
  }
  async delete(ref: MessageRef): Promise<void> {
    this.deleted.push(ref);
  }
  async sendDocument(chat: ChatRef): Promise<MessageRef> {
    return this.send(chat, "(document)");
  }
}

interface FakeRun {
  engine: string;
  job: EngineJob;
  emit(e: EngineEvent): void;
  ask(req: PermissionRequest): Promise<PermissionDecision>;
  finish(answer?: string, session?: string): void;
  cancelledAs?: string;
}

class FakeLauncher implements EngineLauncher {
  launched: FakeRun[] = [];
  running = 0;
  peak = 0;
  launch(
    def: EngineDefinition,
    job: EngineJob,
    hooks: { onEvent(e: EngineEvent): void; ask(r: PermissionRequest): Promise<PermissionDecision> },
  ): LaunchedRun {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    const run: FakeRun = {
      engine: def.id,
      job,
      emit: (e) => hooks.onEvent(e),
      ask: (r) => hooks.ask(r),
      finish: (answer = "ok", session) => {
        const resume = session ? { engine: def.id, value: session } : undefined;
        hooks.onEvent({ type: "completed", engine: def.id, ok: true, answer, ...(resume ? { resume } : {}) });
        this.running--;
        resolve();
      },
    };
    this.launched.push(run);
    return {
      pid: 4242,
      cancel: (reason) => {
        run.cancelledAs = reason;
        hooks.onEvent({ type: "completed", engine: def.id, ok: false, answer: "", error: reason });
        this.running--;
        resolve();
      },
      done,
    };
  }
}

class PlainView implements RunView {
  status = "queued";
  answer = "";
  apply(e: EngineEvent): void {
    if (e.type === "completed") this.answer = e.answer;
  }
  setStatus(s: string): void {
    this.status = s;
  }
  progressHtml(_now: number, pending: readonly PendingApproval[]): string {
    return `${this.status}${pending.length ? ` · ${pending.length} pending` : ""}`;
  }
  finalAnswer(): { parts: string[] } {
    return { parts: [`${this.status}: ${this.answer}`] };
  }
}

function setup(
  o: {
    refusal?: string;
    approvalTimeoutMs?: number;
    maxConcurrent?: number;
    ram?: { warn: number; block: number; reserve: number };
    memMb?: () => number | undefined;
    history?: { maxActions: number; maxBytes: number };
  } = {},
) {
  const clock = new ManualClock();
  const transport = new MemoryTransport();
  const launcher = new FakeLauncher();
  const db = StateDb.open(":memory:");
  const engines = createEngineRegistry({}, [createMockEngine()]);
  const runs = new RunManager({
    transport,
    engines,
    launcher,
    createView: () => new PlainView(),
    db,
    maxConcurrent: o.maxConcurrent ?? 0,
    approvalTimeoutMs: o.approvalTimeoutMs ?? 300_000,
    clock,
    ...(o.ram === undefined
      ? {}
      : {
          admission: () => ({
            ramWarnMb: o.ram?.warn ?? 0,
            ramBlockMb: o.ram?.block ?? 0,
            ramReserveMb: o.ram?.reserve ?? 0,
          }),
        }),
    memAvailableMb: o.memMb ?? (() => undefined),
    ...(o.refusal === undefined ? {} : { budget: { refusal: () => o.refusal, afterRun: () => [] } }),
    ...(o.history === undefined ? {} : { history: () => o.history ?? { maxActions: 0, maxBytes: 0 } }),
  });
  const req = (extra: Partial<RunRequest> = {}): RunRequest => ({
    chat: { chatId: 1 },
    replyTo: 10,
    prompt: "do it",
    engineId: "claude",
    cwd: "/srv/app",
    source: { kind: "chat" },
    ...extra,
  });
  return { clock, transport, launcher, db, runs, req };
}

const started = (engine: string, value: string): EngineEvent => ({
  type: "started",
  engine,
  resume: { engine, value },
});

describe("run manager: one session, one process", () => {
  test("a reply to a run still working waits for it, then resumes the session it reported", async () => {
    const { launcher, runs, req } = setup();
    const first = await runs.submit(req({ project: "app" }));
    if (!first.accepted) throw new Error("refused");
    await flush();
    expect(launcher.launched).toHaveLength(1);
    launcher.launched[0]?.emit(started("claude", CLAUDE_S1));
    const second = await runs.submit(req({ follows: first.runId, prompt: "and then?" }));
    if (!second.accepted) throw new Error("refused");
    await flush();
    expect(launcher.launched).toHaveLength(1);
    launcher.launched[0]?.finish("first answer", CLAUDE_S1);
    await first.finished;
    await flush();
    expect(launcher.launched).toHaveLength(2);
    expect(launcher.launched[1]?.job.resume).toEqual({ engine: "claude", value: CLAUDE_S1 });
    expect(launcher.peak).toBe(1);
    launcher.launched[1]?.finish();
    expect((await second.finished).status).toBe("done");
  });

  test("a run naming a session that another run reported at start waits for that run", async () => {
    const { launcher, runs, req } = setup();
    const a = await runs.submit(req());
    await flush();
    launcher.launched[0]?.emit(started("claude", CLAUDE_S1));
    await runs.submit(req({ resume: { engine: "claude", value: CLAUDE_S1 } }));
    // Another session is not held back.
    await runs.submit(req({ resume: { engine: "claude", value: CLAUDE_S2 } }));
    await flush();
    expect(launcher.launched.map((r) => r.job.resume?.value)).toEqual([undefined, CLAUDE_S2]);
    launcher.launched[0]?.finish("a", CLAUDE_S1);
    if (a.accepted) await a.finished;
    await flush();
    expect(launcher.launched.map((r) => r.job.resume?.value)).toEqual([undefined, CLAUDE_S2, CLAUDE_S1]);
  });

  test("chat mode: a follow-up sent during the first run continues that run's session", async () => {
    const { launcher, runs, req } = setup();
    const scope = "chat:1:project:app";
    const first = await runs.submit(req({ sessionScope: scope }));
    await runs.submit(req({ sessionScope: scope, prompt: "also this" }));
    await flush();
    expect(launcher.launched).toHaveLength(1);
    expect(launcher.launched[0]?.job.resume).toBeUndefined();
    launcher.launched[0]?.emit(started("claude", CLAUDE_S1));
    launcher.launched[0]?.finish("one", CLAUDE_S1);
    if (first.accepted) await first.finished;
    await flush();
    expect(launcher.launched).toHaveLength(2);
    expect(launcher.launched[1]?.job.resume).toEqual({ engine: "claude", value: CLAUDE_S1 });
  });

  test("runs in different conversations run side by side", async () => {
    const { launcher, runs, req } = setup();
    await runs.submit(req({ sessionScope: "chat:1" }));
    await runs.submit(req({ sessionScope: "chat:2" }));
    await runs.submit(req());
    await flush();
    expect(launcher.launched).toHaveLength(3);
  });
});

describe("run manager: context stored per message", () => {
  test("progress and final messages find their run, with engine, session, project, branch and directory", async () => {
    const { launcher, runs, req, db, transport } = setup();
    const r = await runs.submit(req({ project: "web", branch: "feature-x", cwd: "/srv/web/.worktrees/feature-x" }));
    if (!r.accepted) throw new Error("refused");
    await flush();
    launcher.launched[0]?.emit(started("claude", CLAUDE_S1));
    // Known from the start event on: a reply to the progress message can already continue it.
    expect(db.runByMessage(1, r.progress.messageId)).toMatchObject({
      engine: "claude",
      session: CLAUDE_S1,
      status: "running",
    });
    launcher.launched[0]?.finish("answer", CLAUDE_S1);
    await r.finished;
    const final = transport.sent.at(-1);
    expect(final?.html).toBe("done: answer");
    expect(db.runByMessage(1, final?.ref.messageId ?? 0)).toEqual({
      runId: r.runId,
      chatId: 1,
      engine: "claude",
      status: "done",
      session: CLAUDE_S1,
      project: "web",
      branch: "feature-x",
      cwd: "/srv/web/.worktrees/feature-x",
    });
    expect(db.runByMessage(1, 999)).toBeUndefined();
  });
});

describe("run manager: cancel, approvals, budget, shutdown", () => {
  test("cancel while queued: dropped, never launched, the progress message says so", async () => {
    const { launcher, runs, req, transport } = setup();
    await runs.submit(req({ sessionScope: "s" }));
    const queued = await runs.submit(req({ sessionScope: "s" }));
    if (!queued.accepted) throw new Error("refused");
    await flush();
    expect(runs.cancelByMessage(1, queued.progress.messageId)).toBe("dropped");
    expect(await queued.finished).toEqual({ status: "cancelled" });
    launcher.launched[0]?.finish();
    await flush();
    expect(launcher.launched).toHaveLength(1);
    expect(transport.edits.some((e) => e.ref.messageId === queued.progress.messageId && e.html === "cancelled")).toBe(
      true,
    );
    expect(runs.isActive(queued.runId)).toBe(false);
  });

  test("an unanswered approval is denied when the clock passes the timeout, and the chat is told", async () => {
    const { launcher, runs, req, clock, transport } = setup({ approvalTimeoutMs: 300_000 });
    await runs.submit(req());
    await flush();
    const decision = launcher.launched[0]?.ask({
      requestId: "r1",
      toolName: "Bash",
      input: { command: "rm -rf build" },
    });
    await flush();
    await clock.advance(299_000);
    let settled: PermissionDecision | undefined;
    void decision?.then((d) => (settled = d));
    await flush();
    expect(settled).toBeUndefined();
    await clock.advance(1_000);
    expect(settled).toMatchObject({ behavior: "deny" });
    expect(transport.sent.at(-1)?.html).toContain("Nobody answered the permission request for <b>Bash</b> in time");
  });

  test("an approval is answered only from the message it was shown on", async () => {
    const { launcher, runs, req, transport } = setup();
    const r = await runs.submit(req());
    if (!r.accepted) throw new Error("refused");
    await flush();
    const decision = launcher.launched[0]?.ask({ requestId: "r1", toolName: "Bash", input: { command: "ls" } });
    await flush();
    const buttons = transport.edits.at(-1)?.buttons ?? [];
    const approve = buttons.flat().find((b) => b.text.includes("Approve"));
    const [, id] = (approve?.data ?? "").split(":");
    expect(id?.length).toBeGreaterThanOrEqual(12);
    // The same id pressed on another chat's message, or another message here, answers nothing.
    expect(runs.answerApproval(id ?? "", "a", { chatId: 2, messageId: r.progress.messageId })).toBeUndefined();
    expect(runs.answerApproval(id ?? "", "a", { chatId: 1, messageId: r.progress.messageId + 1 })).toBeUndefined();
    expect(runs.answerApproval(id ?? "", "a", { chatId: 1, messageId: r.progress.messageId })).toMatchObject({
      pending: { request: { toolName: "Bash" } },
      outcome: "approved",
    });
    expect(await decision).toMatchObject({ behavior: "allow" });
  });

  test("a typed answer is taken only as a reply to that run's message, in its chat, while one is awaited", async () => {
    const { launcher, runs, req, transport } = setup();
    const r = await runs.submit(req());
    if (!r.accepted) throw new Error("refused");
    await flush();
    const input = { questions: [{ question: "Name?", options: [{ label: "A" }, { label: "B" }], multiSelect: false }] };
    const decision = launcher.launched[0]?.ask({ requestId: "q", toolName: "AskUserQuestion", input });
    await flush();
    const at = { chatId: 1, messageId: r.progress.messageId };
    // Nothing awaited yet: a reply keeps its ordinary meaning.
    expect(runs.answerByReply(1, r.progress.messageId, "typed")).toBeUndefined();
    const otherButton = (transport.edits.at(-1)?.buttons ?? []).flat().find((b) => b.text.includes("Other"));
    const [, id, choice] = (otherButton?.data ?? "").split(":");
    const other = runs.answerApproval(id ?? "", choice ?? "", at);
    expect(other?.outcome).toBe("awaiting-other");
    expect(runs.answerByReply(2, r.progress.messageId, "typed")).toBeUndefined();
    expect(runs.answerByReply(1, r.progress.messageId + 1, "typed")).toBeUndefined();
    expect(runs.answerByReply(1, r.progress.messageId, "Zed")).toMatchObject({
      request: { toolName: "AskUserQuestion" },
    });
    expect(await decision).toEqual({ behavior: "allow", updatedInput: { ...input, answers: { "Name?": "Zed" } } });
  });

  test("the budget refuses a run before anything starts", async () => {
    const { launcher, runs, req, transport } = setup({ refusal: "🛑 Daily cost limit reached." });
    const r = await runs.submit(req());
    expect(r.accepted).toBe(false);
    expect(transport.sent.map((m) => m.html)).toEqual(["🛑 Daily cost limit reached."]);
    expect(launcher.launched).toHaveLength(0);
  });

  test("shutdown lets a run finish within the grace, then interrupts it", async () => {
    const { launcher, runs, req, clock } = setup();
    const r = await runs.submit(req());
    await flush();
    const stopping = runs.shutdown(20_000);
    await clock.advance(19_000);
    expect(launcher.launched[0]?.cancelledAs).toBeUndefined();
    await clock.advance(1_000);
    await stopping;
    expect(launcher.launched[0]?.cancelledAs).toBe("interrupted");
    if (r.accepted) expect((await r.finished).status).toBe("interrupted");
    await expect(runs.submit(req())).rejects.toThrow(/shutting down/);
  });
});

describe("run manager: admission", () => {
  test("cap 0 is unlimited: twenty runs in twenty conversations all start", async () => {
    const { launcher, runs, req } = setup({ maxConcurrent: 0 });
    for (let i = 0; i < 20; i++) await runs.submit(req({ chat: { chatId: i + 1 }, sessionScope: `chat:${i + 1}` }));
    await flush();
    expect(launcher.launched).toHaveLength(20);
  });

  test("over the cap a run is refused at once with the figures, and nothing is launched for it", async () => {
    const { launcher, runs, req, transport } = setup({ maxConcurrent: 1 });
    const first = await runs.submit(req({ chat: { chatId: 1 }, sessionScope: "chat:1" }));
    const second = await runs.submit(req({ chat: { chatId: 2 }, sessionScope: "chat:2" }));
    await flush();
    expect(first.accepted).toBe(true);
    expect(second.accepted).toBe(false);
    expect(launcher.launched).toHaveLength(1);
    const notice = transport.sent.find((m) => m.ref.chatId === 2);
    expect(notice?.html).toStartWith("🛑 Too many engine runs in flight (1/1).");
    expect(notice?.html).toContain("/cancel");
    expect(notice?.opts?.replyTo).toBe(10);
    // The slot is free again once the first run ends.
    launcher.launched[0]?.finish();
    await flush();
    expect((await runs.submit(req({ chat: { chatId: 2 }, sessionScope: "chat:2" }))).accepted).toBe(true);
    await flush();
    expect(launcher.launched).toHaveLength(2);
  });

  test("two submits racing for the last slot: the second is refused while the first's progress is on its way", async () => {
    const { launcher, runs, req } = setup({ maxConcurrent: 1 });
    const [a, b] = await Promise.all([
      runs.submit(req({ chat: { chatId: 1 }, sessionScope: "chat:1" })),
      runs.submit(req({ chat: { chatId: 2 }, sessionScope: "chat:2" })),
    ]);
    await flush();
    expect([a.accepted, b.accepted]).toEqual([true, false]);
    expect(launcher.launched).toHaveLength(1);
  });

  test("a follow-up in the same conversation at the cap waits for its run instead of being refused", async () => {
    const { launcher, runs, req } = setup({ maxConcurrent: 1 });
    await runs.submit(req({ sessionScope: "chat:1" }));
    const follow = await runs.submit(req({ sessionScope: "chat:1" }));
    await flush();
    expect(follow.accepted).toBe(true);
    expect(launcher.launched).toHaveLength(1);
    launcher.launched[0]?.finish("one", CLAUDE_S1);
    await flush();
    expect(launcher.launched).toHaveLength(2);
  });

  test("free memory below the warning: the run starts, after a warning with the figures", async () => {
    const { launcher, runs, req, transport } = setup({
      ram: { warn: 2000, block: 500, reserve: 750 },
      memMb: () => 1500,
    });
    const r = await runs.submit(req());
    await flush();
    expect(r.accepted).toBe(true);
    expect(launcher.launched).toHaveLength(1);
    expect(transport.sent[0]?.html).toContain("1500 MB available");
    expect(transport.sent[0]?.html).toContain("prespawn_ram_warn_mb = 2000 MB");
  });

  test("free memory below the block plus the reserve per run in flight: refused with the figures", async () => {
    let free = 1000;
    const { launcher, runs, req, transport } = setup({ ram: { warn: 0, block: 500, reserve: 750 }, memMb: () => free });
    expect((await runs.submit(req({ chat: { chatId: 1 } }))).accepted).toBe(true);
    await flush();
    // One run in flight: 500 + 750 = 1250 MB needed, 1000 free.
    const refused = await runs.submit(req({ chat: { chatId: 2 } }));
    expect(refused.accepted).toBe(false);
    const notice = transport.sent.find((m) => m.ref.chatId === 2)?.html ?? "";
    expect(notice).toContain("1000 MB available, 1250 MB needed");
    expect(notice).toContain("prespawn_ram_block_mb = 500 MB + 750 MB × 1 run in flight");
    free = 400;
    launcher.launched[0]?.finish();
    await flush();
    expect((await runs.submit(req({ chat: { chatId: 3 } }))).accepted).toBe(false);
    expect(transport.sent.at(-1)?.html).toContain("400 MB available, 500 MB needed");
    expect(launcher.launched).toHaveLength(1);
  });

  test("unknown free memory (no /proc/meminfo) does not block", async () => {
    const { launcher, runs, req } = setup({ ram: { warn: 2000, block: 500, reserve: 750 }, memMb: () => undefined });
    expect((await runs.submit(req())).accepted).toBe(true);
    await flush();
    expect(launcher.launched).toHaveLength(1);
  });
});

describe("run manager: the run log for /export", () => {
  test("prompt, actions folded by id with their results, answer and status are stored; tokens are not", async () => {
    const { clock, launcher, db, runs, req } = setup({ history: { maxActions: 100, maxBytes: 65536 } });
    const sub = await runs.submit(req({ prompt: "deploy with ghp_abcdefghijklmnopqrstuvwxyz012345" }));
    if (!sub.accepted) throw new Error("refused");
    await flush();
    const run = launcher.launched[0];
    run?.emit({
      type: "action",
      engine: "claude",
      phase: "started",
      action: { id: "a1", kind: "command", title: "make test", detail: { command: "make test" } },
    });
    run?.emit({
      type: "action",
      engine: "claude",
      phase: "completed",
      action: { id: "a1", kind: "command", title: "make test", detail: { command: "make test", exit_code: 2 } },
    });
    await clock.advance(3000);
    run?.finish("the tests fail: see sk-ant-api03-abcdefghijklmnop");
    await sub.finished;
    const stored = db.history.get(sub.runId);
    expect(stored?.prompt).toBe("deploy with [REDACTED]");
    expect(stored?.actions).toEqual([
      { kind: "command", title: "make test", status: "failed", detail: '{"command":"make test","exit_code":2}' },
    ]);
    expect(stored?.answer).toBe("the tests fail: see [REDACTED]");
    expect(stored?.status).toBe("done");
    expect((stored?.finishedAt ?? 0) - (stored?.startedAt ?? 0)).toBe(3000);
  });

  test("a queued run cancelled before it started keeps its prompt and says so", async () => {
    const { launcher, db, runs, req } = setup({ history: { maxActions: 100, maxBytes: 65536 }, maxConcurrent: 0 });
    const first = await runs.submit(req({ sessionScope: "s" }));
    const second = await runs.submit(req({ sessionScope: "s", prompt: "second" }));
    if (!first.accepted || !second.accepted) throw new Error("refused");
    expect(runs.cancelRun(second.runId)).toBe("dropped");
    expect(db.history.get(second.runId)).toMatchObject({ prompt: "second", error: "cancelled before it started" });
    expect(runs.counts()).toMatchObject({ running: 1, queued: 0 });
    launcher.launched[0]?.finish();
    await first.finished;
  });
});
