import { describe, expect, test } from "bun:test";
import { JobQueue } from "../../src/core/jobs.ts";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("job queue", () => {
  test("one run per thread at a time, in order; threads run in parallel", async () => {
    const q = new JobQueue(0);
    const order: string[] = [];
    const a1 = deferred();
    q.enqueue(["A"], async () => {
      order.push("A1 start");
      await a1.promise;
      order.push("A1 end");
    });
    q.enqueue(["A"], async () => {
      order.push("A2 start");
    });
    q.enqueue(["B"], async () => {
      order.push("B1 start");
    });
    await Bun.sleep(0);
    expect(order).toEqual(["A1 start", "B1 start"]);
    a1.resolve();
    await q.idle();
    expect(order).toEqual(["A1 start", "B1 start", "A1 end", "A2 start"]);
  });

  test("the global cap holds runs back until one finishes", async () => {
    const q = new JobQueue(2);
    const gates = [deferred(), deferred(), deferred()];
    let concurrent = 0;
    let peak = 0;
    for (const [i, g] of gates.entries()) {
      q.enqueue([`T${i}`], async () => {
        concurrent++;
        peak = Math.max(peak, concurrent);
        await g.promise;
        concurrent--;
      });
    }
    await Bun.sleep(0);
    expect(q.running).toBe(2);
    expect(q.queued).toBe(1);
    for (const g of gates) g.resolve();
    await q.idle();
    expect(peak).toBe(2);
  });

  test("a queued job can be dropped, a started one cannot; a failing job does not stall the queue", async () => {
    const q = new JobQueue(1);
    const gate = deferred();
    const ran: string[] = [];
    const first = q.enqueue(["A"], async () => {
      await gate.promise;
      throw new Error("boom");
    });
    const second = q.enqueue(["B"], async () => void ran.push("B"));
    const third = q.enqueue(["C"], async () => void ran.push("C"));
    await Bun.sleep(0);
    expect(first.drop()).toBe(false);
    expect(second.drop()).toBe(true);
    gate.resolve();
    await q.idle();
    expect(ran).toEqual(["C"]);
    expect(third.started).toBe(true);
  });
});
