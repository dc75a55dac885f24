import { describe, expect, test } from "bun:test";
import { ApprovalCenter, approvalButtons, DENY_MESSAGES, type PendingApproval } from "../../src/core/approvals.ts";

describe("approvals", () => {
  test("approve returns the original input; the buttons carry short callback data", async () => {
    const changes: number[] = [];
    const c = new ApprovalCenter({
      timeoutMs: 60_000,
      hooks: { onChange: (r) => changes.push(r), onTimeout: () => {} },
    });
    const decision = c.ask(7, { requestId: "r1", toolName: "Bash", input: { command: "ls" } });
    const [p] = c.pendingFor(7);
    const rows = approvalButtons(c.pendingFor(7));
    expect(rows[0]?.map((b) => b.text)).toEqual(["✅ Approve", "❌ Deny"]);
    for (const b of rows.flat()) expect(new TextEncoder().encode(b.data).length).toBeLessThanOrEqual(64);
    expect(c.answer(p!.id, "a")).toBe(true);
    expect(await decision).toEqual({ behavior: "allow", updatedInput: { command: "ls" } });
    expect(c.answer(p!.id, "a")).toBe(false);
    expect(changes).toEqual([7, 7]);
  });

  test("an unanswered request is denied by the timer and reported", async () => {
    const timedOut: PendingApproval[] = [];
    const c = new ApprovalCenter({ timeoutMs: 20, hooks: { onChange: () => {}, onTimeout: (p) => timedOut.push(p) } });
    const d = await c.ask(1, { requestId: "r", toolName: "Write", input: {} });
    expect(d).toEqual({ behavior: "deny", message: DENY_MESSAGES.timeout });
    expect(timedOut.map((p) => p.request.toolName)).toEqual(["Write"]);
  });

  test("AskUserQuestion options become buttons and the answer is passed back", async () => {
    const c = new ApprovalCenter({ timeoutMs: 60_000, hooks: { onChange: () => {}, onTimeout: () => {} } });
    const input = { questions: [{ question: "Which colour?", options: [{ label: "Red" }, { label: "Blue" }] }] };
    const d = c.ask(2, { requestId: "q", toolName: "AskUserQuestion", input });
    const [p] = c.pendingFor(2);
    expect(approvalButtons([p!])[0]?.map((b) => b.text)).toEqual(["Red", "Blue"]);
    expect(c.answer(p!.id, "o9")).toBe(false);
    c.answer(p!.id, "o1");
    expect(await d).toEqual({ behavior: "allow", updatedInput: { ...input, answers: { "Which colour?": "Blue" } } });
  });

  test("cancelling a run denies what is pending", async () => {
    const c = new ApprovalCenter({ timeoutMs: 60_000, hooks: { onChange: () => {}, onTimeout: () => {} } });
    const d = c.ask(3, { requestId: "x", toolName: "Bash", input: {} });
    c.cancelRun(3);
    expect(await d).toEqual({ behavior: "deny", message: DENY_MESSAGES.cancelled });
    expect(c.pendingFor(3)).toEqual([]);
  });
});
