import { describe, expect, test } from "bun:test";
import {
  ApprovalCenter,
  approvalButtons,
  DENY_MESSAGES,
  discussMessage,
  type PendingApproval,
} from "../../src/core/approvals.ts";
import type { PermissionDecision } from "../../src/engines/types.ts";
import { flush, ManualClock } from "../support/manual-clock.ts";

function center(timeoutMs = 60_000) {
  const clock = new ManualClock();
  const changes: number[] = [];
  const timedOut: PendingApproval[] = [];
  const answered: Array<Record<string, string>> = [];
  const asked: PendingApproval[] = [];
  const c = new ApprovalCenter({
    timeoutMs,
    clock,
    hooks: {
      onChange: (r) => changes.push(r),
      onTimeout: (p) => timedOut.push(p),
      onAnswered: (_p, a) => answered.push(a),
      onAsked: (p) => asked.push(p),
    },
  });
  return { c, clock, changes, timedOut, answered, asked };
}

/** Settled decision, or undefined while still pending. */
function track(d: Promise<PermissionDecision>): () => PermissionDecision | undefined {
  let out: PermissionDecision | undefined;
  void d.then((x) => {
    out = x;
  });
  return () => out;
}

const TWO_QUESTIONS = {
  questions: [
    {
      question: "Which colour?",
      header: "Colour",
      options: [
        { label: "Red", description: "warm" },
        { label: "Blue", description: "cool" },
      ],
      multiSelect: false,
    },
    {
      question: "Which extras?",
      header: "Extras",
      options: [{ label: "Tests" }, { label: "Docs" }, { label: "Bench" }],
      multiSelect: true,
    },
  ],
};

function button(p: PendingApproval, text: string): string {
  const b = approvalButtons([p])
    .flat()
    .find((x) => x.text === text);
  if (!b) throw new Error(`no button ${text} in ${JSON.stringify(approvalButtons([p]))}`);
  return b.data.split(":")[2] as string;
}

describe("approvals", () => {
  test("approve returns the original input; the buttons carry short callback data", async () => {
    const { c, changes } = center();
    const decision = c.ask(7, { requestId: "r1", toolName: "Bash", input: { command: "ls" } });
    const [p] = c.pendingFor(7);
    const rows = approvalButtons(c.pendingFor(7));
    expect(rows[0]?.map((b) => b.text)).toEqual(["✅ Approve", "❌ Deny"]);
    for (const b of rows.flat()) expect(new TextEncoder().encode(b.data).length).toBeLessThanOrEqual(64);
    expect(c.answer(p!.id, "a")).toBe("approved");
    expect(await decision).toEqual({ behavior: "allow", updatedInput: { command: "ls" } });
    expect(c.answer(p!.id, "a")).toBeUndefined();
    expect(changes).toEqual([7, 7]);
  });

  test("an unanswered request is denied by the timer and reported", async () => {
    const { c, clock, timedOut } = center(300_000);
    const d = track(c.ask(1, { requestId: "r", toolName: "Write", input: {} }));
    await clock.advance(299_999);
    expect(d()).toBeUndefined();
    await clock.advance(1);
    expect(d()).toEqual({ behavior: "deny", message: DENY_MESSAGES.timeout });
    expect(timedOut.map((p) => p.request.toolName)).toEqual(["Write"]);
  });

  test("a half-answered question set still times out; later presses are stale", async () => {
    const { c, clock } = center(1000);
    const d = track(c.ask(1, { requestId: "q", toolName: "AskUserQuestion", input: TWO_QUESTIONS }));
    const [p] = c.pendingFor(1);
    expect(c.answer(p!.id, "q0o1")).toBe("chosen");
    await clock.advance(1000);
    expect(d()).toEqual({ behavior: "deny", message: DENY_MESSAGES.timeout });
    expect(c.answer(p!.id, "q1o0")).toBeUndefined();
  });

  test("every question is shown; single choice, multi-select toggles with ✓ then Send, all answers go back", async () => {
    const { c, answered } = center();
    const d = track(c.ask(2, { requestId: "q", toolName: "AskUserQuestion", input: TWO_QUESTIONS }));
    const [p] = c.pendingFor(2);
    expect(p!.kind).toBe("questions");
    expect(approvalButtons([p!]).map((r) => r.map((b) => b.text))).toEqual([
      ["1· Red", "1· Blue"],
      ["1· ✍️ Other…"],
      ["2· Tests", "2· Docs"],
      ["2· Bench"],
      ["2· ✍️ Other…", "2· 📨 Send"],
    ]);
    for (const b of approvalButtons([p!]).flat())
      expect(new TextEncoder().encode(b.data).length).toBeLessThanOrEqual(64);
    // Multi-select: toggle Tests, Bench, Docs, then Docs off again.
    expect(c.answer(p!.id, button(p!, "2· 📨 Send"))).toBe("empty");
    expect(c.answer(p!.id, button(p!, "2· Tests"))).toBe("toggled");
    expect(c.answer(p!.id, button(p!, "2· Bench"))).toBe("toggled");
    expect(c.answer(p!.id, button(p!, "2· Docs"))).toBe("toggled");
    expect(c.answer(p!.id, button(p!, "2· ✓ Docs"))).toBe("toggled");
    expect(
      approvalButtons([p!])
        .flat()
        .map((b) => b.text),
    ).toContain("2· ✓ Bench");
    expect(c.answer(p!.id, button(p!, "2· 📨 Send"))).toBe("sent");
    expect(d()).toBeUndefined();
    // The answered question's buttons are gone; invalid choices change nothing.
    expect(
      approvalButtons([p!])
        .flat()
        .some((b) => b.text.startsWith("2·")),
    ).toBe(false);
    expect(c.answer(p!.id, "q1o0")).toBeUndefined();
    expect(c.answer(p!.id, "q0o7")).toBeUndefined();
    expect(c.answer(p!.id, "q0s")).toBeUndefined();
    expect(c.answer(p!.id, "a")).toBeUndefined();
    expect(c.answer(p!.id, button(p!, "1· Blue"))).toBe("answered");
    await flush();
    const answers = { "Which colour?": "Blue", "Which extras?": "Tests, Bench" };
    expect(d()).toEqual({ behavior: "allow", updatedInput: { ...TWO_QUESTIONS, answers } });
    expect(answered).toEqual([answers]);
    expect(c.pendingFor(2)).toEqual([]);
  });

  test("Other… waits for a typed reply, which becomes that question's answer", async () => {
    const { c } = center();
    const d = track(c.ask(3, { requestId: "q", toolName: "AskUserQuestion", input: TWO_QUESTIONS }));
    const [p] = c.pendingFor(3);
    expect(c.answerText(p!.id, "too early")).toBe(false);
    expect(c.awaitingText(3)).toBeUndefined();
    expect(c.answer(p!.id, button(p!, "1· ✍️ Other…"))).toBe("awaiting-other");
    expect(c.awaitingText(3)?.awaiting).toBe(0);
    expect(c.answerText(p!.id, "   ")).toBe(false);
    expect(c.answerText(p!.id, "  Green, please  ")).toBe(true);
    expect(c.awaitingText(3)).toBeUndefined();
    expect(c.answer(p!.id, button(p!, "2· Docs"))).toBe("toggled");
    expect(c.answer(p!.id, button(p!, "2· 📨 Send"))).toBe("answered");
    await flush();
    expect(d()).toMatchObject({
      behavior: "allow",
      updatedInput: { answers: { "Which colour?": "Green, please", "Which extras?": "Docs" } },
    });
  });

  test("plan review: Approve, Deny, and Let's discuss denying with the user's reply", async () => {
    const { c, asked } = center();
    const plan = "# Plan\n1. do it";
    const approve = c.ask(4, { requestId: "p1", toolName: "ExitPlanMode", input: { plan } });
    const [p] = c.pendingFor(4);
    expect(p!.kind).toBe("plan");
    expect(p!.plan).toBe(plan);
    expect(asked.map((x) => x.id)).toEqual([p!.id]);
    expect(approvalButtons([p!])[0]?.map((b) => b.text)).toEqual(["✅ Approve", "❌ Deny", "💬 Let's discuss"]);
    expect(c.answer(p!.id, "a")).toBe("approved");
    expect(await approve).toEqual({ behavior: "allow", updatedInput: { plan } });

    const deny = c.ask(4, { requestId: "p2", toolName: "ExitPlanMode", input: { plan } });
    expect(c.answer(c.pendingFor(4)[0]!.id, "d")).toBe("denied");
    expect(await deny).toEqual({ behavior: "deny", message: DENY_MESSAGES.plan });

    const discuss = track(c.ask(4, { requestId: "p3", toolName: "ExitPlanMode", input: { plan } }));
    const [q] = c.pendingFor(4);
    expect(c.answer(q!.id, "t")).toBe("awaiting-discuss");
    await flush();
    expect(discuss()).toBeUndefined();
    expect(c.answerText(q!.id, "Why not SQLite?")).toBe(true);
    await flush();
    expect(discuss()).toEqual({ behavior: "deny", message: discussMessage("Why not SQLite?") });
    expect(discussMessage("Why not SQLite?")).toContain("Why not SQLite?");
  });

  test("Let's discuss is only for plans", () => {
    const { c } = center();
    void c.ask(5, { requestId: "b", toolName: "Bash", input: { command: "ls" } });
    const [p] = c.pendingFor(5);
    expect(c.answer(p!.id, "t")).toBeUndefined();
    expect(c.awaitingText(5)).toBeUndefined();
  });

  test("cancelling a run denies what is pending", async () => {
    const { c } = center();
    const d = c.ask(3, { requestId: "x", toolName: "Bash", input: {} });
    c.cancelRun(3);
    expect(await d).toEqual({ behavior: "deny", message: DENY_MESSAGES.cancelled });
    expect(c.pendingFor(3)).toEqual([]);
  });
});
