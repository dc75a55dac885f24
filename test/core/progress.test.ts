import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ProgressState } from "../../src/core/progress.ts";
import type { ActionEvent, ActionKind, EngineEvent } from "../../src/engines/events.ts";

const started: EngineEvent = {
  type: "started",
  engine: "claude",
  resume: { engine: "claude", value: "sess-1" },
  meta: { model: "opus", permissionMode: "plan" },
};

function action(
  id: string,
  phase: ActionEvent["phase"],
  extra: Partial<ActionEvent> = {},
  kind: ActionKind = "command",
): ActionEvent {
  return { type: "action", engine: "claude", action: { id, kind, title: `run ${id}`, detail: {} }, phase, ...extra };
}

describe("ProgressState", () => {
  test("labels follow the run: starting → working → done, elapsed stops at the end", () => {
    const s = new ProgressState({ engine: "claude", startedAtMs: 1000 });
    expect(s.label).toBe("starting");
    s.apply(started, 1000);
    expect(s.label).toBe("starting");
    expect(s.resume?.value).toBe("sess-1");
    expect(s.meta).toEqual({ model: "opus", permissionMode: "plan" });
    s.apply(action("a", "started"), 2000);
    expect(s.label).toBe("working");
    s.apply(
      { type: "completed", engine: "claude", ok: true, answer: "hi", usage: { inputTokens: 1, outputTokens: 2 } },
      5000,
    );
    expect(s.label).toBe("done");
    expect(s.answer).toBe("hi");
    expect(s.usage).toEqual({ inputTokens: 1, outputTokens: 2 });
    expect(s.elapsedMs(99_000)).toBe(4000);
  });

  test("a failed completion is an error with its text; a completion's resume token wins", () => {
    const s = new ProgressState({ engine: "codex", startedAtMs: 0 });
    s.apply(started, 0);
    s.apply(
      {
        type: "completed",
        engine: "codex",
        ok: false,
        answer: "",
        error: "boom",
        resume: { engine: "codex", value: "t2" },
      },
      1,
    );
    expect(s.label).toBe("error");
    expect(s.error).toBe("boom");
    expect(s.resume?.value).toBe("t2");
  });

  test("cancel and interrupt are final: later events change nothing", () => {
    const s = new ProgressState({ engine: "claude", startedAtMs: 0, trigger: "cron:nightly" });
    s.apply(action("a", "started"), 10);
    s.cancel(20);
    const rev = s.revision;
    s.apply(action("b", "started"), 30);
    s.interrupt(40);
    expect(s.label).toBe("cancelled");
    expect(s.steps).toBe(1);
    expect(s.revision).toBe(rev);
    expect(s.trigger).toBe("cron:nightly");

    const t = new ProgressState({ engine: "pi", startedAtMs: 0 });
    t.interrupt(5);
    expect(t.label).toBe("interrupted");
    expect(t.elapsedMs(100)).toBe(5);
  });

  test("actions are updated in place by id, keeping their order; phases map to statuses", () => {
    const s = new ProgressState({ engine: "claude", startedAtMs: 0 });
    s.apply(action("a", "started"), 1);
    s.apply(action("b", "started"), 2);
    s.apply(action("a", "updated"), 3);
    s.apply(action("b", "completed", { ok: true }), 4);
    expect(s.actions().map((a) => [a.id, a.status])).toEqual([
      ["a", "updated"],
      ["b", "done"],
    ]);
    s.apply(action("a", "completed", { ok: false }), 5);
    expect(s.actions()[0]?.status).toBe("failed");
    expect(s.steps).toBe(2);
    expect(s.actionEvents).toBe(5);
  });

  test("a non-zero exit code fails the action even when ok is not false", () => {
    const s = new ProgressState({ engine: "codex", startedAtMs: 0 });
    const ev = action("c", "completed", { ok: true });
    ev.action.detail = { exit_code: 2 };
    s.apply(ev, 1);
    expect(s.actions()[0]).toMatchObject({ status: "failed", exitCode: 2 });
  });

  test("100 000 events keep only the newest `retain` actions and exact counters", () => {
    const s = new ProgressState({ engine: "claude", startedAtMs: 0, retain: 20 });
    for (let i = 0; i < 50_000; i++) {
      s.apply(action(`x${i}`, "started"), i);
      s.apply(action(`x${i}`, "completed", { ok: true }), i);
    }
    expect(s.actions()).toHaveLength(20);
    expect(s.actions()[19]?.id).toBe("x49999");
    expect(s.lastActions(3).map((a) => a.id)).toEqual(["x49997", "x49998", "x49999"]);
    expect(s.steps).toBe(50_000);
    expect(s.actionEvents).toBe(100_000);
  });

  test("property: the window never exceeds `retain` and holds the newest distinct ids in first-seen order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.constantFrom("started", "updated", "completed")), {
          maxLength: 60,
        }),
        (retain, events) => {
          const s = new ProgressState({ engine: "e", startedAtMs: 0, retain });
          const model: string[] = [];
          for (const [n, phase] of events) {
            const id = `a${n}`;
            s.apply(action(id, phase as ActionEvent["phase"]), 0);
            if (!model.includes(id)) {
              model.push(id);
              if (model.length > retain) model.shift();
            }
          }
          expect(s.actions().map((a) => a.id)).toEqual(model);
        },
      ),
      { numRuns: 500 },
    );
  });
});
