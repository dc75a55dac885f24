import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { RateLimitError, TokenBucketLimiter, WebhookRateLimiter } from "../../src/security/rate-limit.ts";

function clock(start = 0) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("TokenBucketLimiter", () => {
  test("starts full: a burst of `rate` passes, the next one waits", () => {
    const c = clock();
    const l = new TokenBucketLimiter({ ratePerMinute: 60, now: c.now });
    for (let i = 0; i < 60; i++) expect(l.take("k")).toEqual({ ok: true });
    expect(l.take("k")).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  test("refills continuously at rate/60 per second", () => {
    const c = clock();
    const l = new TokenBucketLimiter({ ratePerMinute: 6, now: c.now });
    for (let i = 0; i < 6; i++) l.take("k");
    expect(l.take("k")).toEqual({ ok: false, retryAfterSeconds: 10 });
    c.advance(9_999);
    expect(l.take("k").ok).toBe(false);
    c.advance(1);
    expect(l.take("k").ok).toBe(true);
    expect(l.take("k").ok).toBe(false);
  });

  test("never refills beyond capacity", () => {
    const c = clock();
    const l = new TokenBucketLimiter({ ratePerMinute: 2, now: c.now });
    l.take("k");
    c.advance(3_600_000);
    expect(l.take("k").ok).toBe(true);
    expect(l.take("k").ok).toBe(true);
    expect(l.take("k").ok).toBe(false);
  });

  test("keys are independent", () => {
    const c = clock();
    const l = new TokenBucketLimiter({ ratePerMinute: 1, now: c.now });
    expect(l.take("a").ok).toBe(true);
    expect(l.take("a").ok).toBe(false);
    expect(l.take("b").ok).toBe(true);
  });

  test("a clock stepping backwards neither refills nor throws", () => {
    const c = clock(1_000_000);
    const l = new TokenBucketLimiter({ ratePerMinute: 1, now: c.now });
    expect(l.take("k").ok).toBe(true);
    c.advance(-500_000);
    expect(l.take("k").ok).toBe(false);
    c.advance(500_000 + 60_000);
    expect(l.take("k").ok).toBe(true);
  });

  test("the number of keys is bounded; refilled buckets are forgotten first", () => {
    const c = clock();
    const l = new TokenBucketLimiter({ ratePerMinute: 1, now: c.now, maxKeys: 3 });
    l.take("hot");
    for (const k of ["a", "b", "c", "d", "e"]) l.take(k);
    expect(l.size).toBeLessThanOrEqual(3);
    c.advance(30_000);
    l.take("x");
    expect(l.size).toBeLessThanOrEqual(3);
  });

  test("an eviction under pressure keeps the most recently used (drained) key", () => {
    const c = clock();
    const l = new TokenBucketLimiter({ ratePerMinute: 1, now: c.now, maxKeys: 2 });
    l.take("a");
    l.take("b");
    l.take("a"); // a is denied and now most recently used
    l.take("c"); // evicts b, the least recently used
    expect(l.take("a").ok).toBe(false);
  });

  test("invalid rates are refused with a stable code", () => {
    for (const rate of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      try {
        new TokenBucketLimiter({ ratePerMinute: rate, now: () => 0 });
        throw new Error("expected a throw");
      } catch (e) {
        expect(e).toBeInstanceOf(RateLimitError);
        expect((e as RateLimitError).code).toBe("rate_limit.invalid");
      }
    }
  });

  test("property: passes over any schedule ≤ capacity + refill, and waiting retryAfter always suffices", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 60 }),
        (rate, gaps) => {
          const c = clock();
          const l = new TokenBucketLimiter({ ratePerMinute: rate, now: c.now });
          let passed = 0;
          let elapsed = 0;
          for (const gap of gaps) {
            c.advance(gap);
            elapsed += gap;
            const r = l.take("k");
            if (r.ok) {
              passed++;
            } else {
              if (!Number.isInteger(r.retryAfterSeconds) || r.retryAfterSeconds < 1) return false;
              c.advance(r.retryAfterSeconds * 1000);
              elapsed += r.retryAfterSeconds * 1000;
              if (!l.take("k").ok) return false;
              passed++;
            }
          }
          return passed <= rate + (elapsed / 60_000) * rate + 1e-6;
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe("WebhookRateLimiter", () => {
  test("a per-webhook denial does not consume a global token", () => {
    const c = clock();
    const l = new WebhookRateLimiter({ perWebhookPerMinute: 2, globalPerMinute: 3, now: c.now });
    expect(l.take("noisy").ok).toBe(true);
    expect(l.take("noisy").ok).toBe(true);
    for (let i = 0; i < 10; i++) expect(l.take("noisy")).toMatchObject({ ok: false, scope: "webhook" });
    expect(l.take("quiet").ok).toBe(true);
    expect(l.take("quiet")).toMatchObject({ ok: false, scope: "global" });
  });

  test("a global denial does not consume the webhook's own token", () => {
    const c = clock();
    const l = new WebhookRateLimiter({ perWebhookPerMinute: 1, globalPerMinute: 1, now: c.now });
    expect(l.take("a").ok).toBe(true);
    expect(l.take("b")).toMatchObject({ ok: false, scope: "global" });
    c.advance(60_000);
    // b's own bucket is still full: the global token refilled, so b passes.
    expect(l.take("b").ok).toBe(true);
  });

  test("a per-webhook rate override applies to that webhook only", () => {
    const c = clock();
    const l = new WebhookRateLimiter({ perWebhookPerMinute: 60, globalPerMinute: 1000, now: c.now });
    expect(l.take("strict", 1).ok).toBe(true);
    expect(l.take("strict", 1)).toMatchObject({ ok: false, scope: "webhook", retryAfterSeconds: 60 });
    expect(l.take("loose").ok).toBe(true);
    expect(l.take("loose").ok).toBe(true);
  });

  test("property: global passes never exceed global capacity + refill", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.integer({ min: 0, max: 3_000 })), { maxLength: 80 }),
        (perHook, global, ops) => {
          const c = clock();
          const l = new WebhookRateLimiter({ perWebhookPerMinute: perHook, globalPerMinute: global, now: c.now });
          const passes = new Map<string, number>();
          let total = 0;
          let elapsed = 0;
          for (const [id, gap] of ops) {
            c.advance(gap);
            elapsed += gap;
            if (l.take(id).ok) {
              total++;
              passes.set(id, (passes.get(id) ?? 0) + 1);
            }
          }
          const minutes = elapsed / 60_000;
          if (total > global + minutes * global + 1e-6) return false;
          return [...passes.values()].every((n) => n <= perHook + minutes * perHook + 1e-6);
        },
      ),
      { numRuns: 10_000 },
    );
  });
});
