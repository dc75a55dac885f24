import { describe, expect, test } from "bun:test";
import { type LaneOutcome, LaneScheduler } from "../../src/telegram/lanes.ts";

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function scheduler(maxActive = 8, maxQueued = 50, errors: unknown[] = []) {
  return new LaneScheduler({ maxActive, maxQueued, onError: (_k, e) => errors.push(e) });
}

describe("update lanes", () => {
  test("tasks of one lane run one at a time, in order", async () => {
    const lanes = scheduler();
    const log: string[] = [];
    const first = gate();
    const a = lanes.submit("chat", async () => {
      log.push("a start");
      await first.promise;
      log.push("a end");
    });
    const b = lanes.submit("chat", async () => {
      log.push("b");
    });
    await flush();
    expect(log).toEqual(["a start"]);
    first.open();
    expect(await a).toBe("ran");
    expect(await b).toBe("ran");
    expect(log).toEqual(["a start", "a end", "b"]);
  });

  test("a held lane does not hold another lane", async () => {
    const lanes = scheduler();
    const held = gate();
    const log: string[] = [];
    void lanes.submit("slow", () => held.promise);
    const other = lanes.submit("other", async () => {
      log.push("other ran");
    });
    expect(await other).toBe("ran");
    expect(log).toEqual(["other ran"]);
    expect(lanes.activeLanes).toBe(1);
    held.open();
  });

  test("at most maxActive lanes run at once; the next waiting lane starts when one finishes", async () => {
    const lanes = scheduler(2);
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const done = gates.map((g, i) =>
      lanes.submit(`chat${i}`, async () => {
        started.push(i);
        await g.promise;
      }),
    );
    await flush();
    expect(started).toEqual([0, 1]);
    expect(lanes.activeLanes).toBe(2);
    gates[1]?.open();
    await done[1];
    await flush();
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.open();
    gates[2]?.open();
    expect(await Promise.all(done)).toEqual(["ran", "ran", "ran"]);
    expect(lanes.activeLanes).toBe(0);
  });

  test("a lane holds at most maxQueued waiting tasks", async () => {
    const lanes = scheduler(8, 2);
    const held = gate();
    void lanes.submit("chat", () => held.promise);
    expect(lanes.submit("chat", async () => {})).toBeDefined();
    expect(lanes.submit("chat", async () => {})).toBeDefined();
    expect(lanes.submit("chat", async () => {})).toBeUndefined();
    expect(lanes.waiting("chat")).toBe(2);
    // Other lanes are not affected.
    expect(lanes.submit("other", async () => {})).toBeDefined();
    held.open();
  });

  test("a task that throws is reported and the lane goes on", async () => {
    const errors: unknown[] = [];
    const lanes = scheduler(8, 50, errors);
    const log: string[] = [];
    const a = lanes.submit("chat", async () => {
      throw new Error("boom");
    });
    const b = lanes.submit("chat", async () => {
      log.push("b");
    });
    expect(await a).toBe("ran");
    expect(await b).toBe("ran");
    expect(log).toEqual(["b"]);
    expect(errors.map((e) => (e as Error).message)).toEqual(["boom"]);
  });

  test("clearWaiting drops the waiting tasks, not the running one; stop() leaves waiting ones unrun", async () => {
    const lanes = scheduler();
    const held = gate();
    const ran: string[] = [];
    const running = lanes.submit("chat", async () => {
      await held.promise;
      ran.push("running");
    });
    const waiting = [1, 2].map((i) => lanes.submit("chat", async () => void ran.push(`w${i}`)));
    await flush();
    expect(lanes.clearWaiting("chat")).toBe(2);
    expect(await Promise.all(waiting)).toEqual(["cleared", "cleared"]);
    const later = lanes.submit("chat", async () => void ran.push("later"));
    const elsewhere = gate();
    const other = lanes.submit("other", () => elsewhere.promise);
    const otherWaiting = lanes.submit("other", async () => void ran.push("other waiting"));
    lanes.stop();
    held.open();
    elsewhere.open();
    const outcomes: Array<LaneOutcome | undefined> = [await running, await later, await other, await otherWaiting];
    expect(outcomes).toEqual(["ran", "stopped", "ran", "stopped"]);
    expect(ran).toEqual(["running"]);
  });
});
