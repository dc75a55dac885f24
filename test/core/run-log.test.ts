import { describe, expect, test } from "bun:test";
import { RunLogRecorder, storedPrompt } from "../../src/core/run-log.ts";
import type { EngineEvent } from "../../src/engines/events.ts";

const act = (
  id: string,
  phase: "started" | "completed",
  kind: "command" | "tool" = "command",
  ok?: boolean,
): EngineEvent => ({
  type: "action",
  engine: "codex",
  phase,
  action: { id, kind, title: `step ${id}`, detail: { output: "x".repeat(10) } },
  ...(ok === undefined ? {} : { ok }),
});

describe("RunLogRecorder", () => {
  test("an action's last phase is its result; order is first-seen", () => {
    const r = new RunLogRecorder({ maxActions: 10, maxBytes: 100_000 }, "p");
    r.apply(act("a", "started"));
    r.apply(act("b", "started"));
    r.apply(act("a", "completed", "command", false));
    r.apply({ type: "completed", engine: "codex", ok: true, answer: "done" });
    const end = r.end();
    expect(end.actions.map((a) => [a.title, a.status])).toEqual([
      ["step a", "failed"],
      ["step b", "running"],
    ]);
    expect(end).toMatchObject({ answer: "done", omitted: {}, cut: false });
  });

  test("past max_actions the oldest are counted by kind, not kept (100 000 events stay bounded)", () => {
    const r = new RunLogRecorder({ maxActions: 10, maxBytes: 10_000_000 }, "p");
    for (let i = 0; i < 100_000; i++) r.apply(act(String(i), "completed", i % 2 ? "tool" : "command"));
    const end = r.end();
    expect(end.actions).toHaveLength(10);
    expect(end.actions[9]?.title).toBe("step 99999");
    expect(end.omitted).toEqual({ command: 49_995, tool: 49_995 });
  });

  test("the byte bound: actions get at most half, the answer is cut to what is left", () => {
    const bounds = { maxActions: 1000, maxBytes: 20_000 };
    const r = new RunLogRecorder(bounds, "p");
    for (let i = 0; i < 1000; i++) r.apply(act(String(i), "completed"));
    r.apply({ type: "completed", engine: "codex", ok: true, answer: "a".repeat(50_000) });
    const end = r.end();
    const actionBytes = JSON.stringify(end.actions).length;
    expect(actionBytes).toBeLessThan(12_000);
    expect(end.actions.length + (end.omitted.command ?? 0)).toBe(1000);
    expect(end.cut).toBe(true);
    expect(actionBytes + (end.answer?.length ?? 0)).toBeLessThanOrEqual(20_000 + 1000);
  });

  test("stored prompts are redacted and cut to a quarter of the byte bound", () => {
    expect(storedPrompt("use sk-proj-abcdefghijklmnopqrstuv now", { maxActions: 10, maxBytes: 100_000 })).toBe(
      "use [REDACTED] now",
    );
    expect(storedPrompt("y".repeat(50_000), { maxActions: 10, maxBytes: 16_384 })).toHaveLength(4096);
  });
});
