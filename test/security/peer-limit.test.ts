import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { PeerFailureLimiter, peerKey } from "../../src/security/peer-limit.ts";

function limiter(rate: number, maxPeers?: number) {
  let t = 1_000_000;
  const l = new PeerFailureLimiter({
    failuresPerMinute: rate,
    now: () => t,
    ...(maxPeers === undefined ? {} : { maxPeers }),
  });
  const advance = (ms: number) => {
    t += ms;
  };
  const set = (ms: number) => {
    t = ms;
  };
  return { l, advance, set };
}

describe("PeerFailureLimiter", () => {
  test("checking stores nothing: a peer that never fails never gets a bucket", () => {
    const { l } = limiter(5);
    for (let i = 0; i < 1000; i++) expect(l.check(`10.0.${i >> 8}.${i & 255}`).ok).toBe(true);
    expect(l.size).toBe(0);
  });

  test("`rate` failures pass in a burst, then the peer waits 60/rate seconds per failure", () => {
    const { l, advance } = limiter(6);
    for (let i = 0; i < 5; i++) expect(l.fail("a")).toBe(false);
    expect(l.fail("a")).toBe(true); // the sixth empties the bucket: the one moment logged
    expect(l.check("a")).toEqual({ ok: false, retryAfterSeconds: 10 });
    expect(l.check("b").ok).toBe(true);
    advance(9_999);
    expect(l.check("a").ok).toBe(false);
    advance(1);
    expect(l.check("a").ok).toBe(true);
    expect(l.fail("a")).toBe(true);
    expect(l.check("a").ok).toBe(false);
  });

  test("failures past an empty bucket do not push the wait further than one token", () => {
    const { l } = limiter(3);
    for (let i = 0; i < 50; i++) l.fail("a");
    expect(l.check("a")).toEqual({ ok: false, retryAfterSeconds: 20 });
  });

  test("a clock that steps backwards refills nothing", () => {
    const { l, advance } = limiter(2);
    l.fail("a");
    l.fail("a");
    advance(-3_600_000);
    expect(l.check("a").ok).toBe(false);
  });

  test("0 turns the guard off: nothing is refused, nothing is stored", () => {
    const { l } = limiter(0);
    for (let i = 0; i < 100; i++) expect(l.fail("a")).toBe(false);
    expect(l.check("a").ok).toBe(true);
    expect(l.size).toBe(0);
    expect(l.enabled).toBe(false);
  });

  test("a negative or non-finite rate is refused with a message naming the key", () => {
    expect(() => limiter(-1)).toThrow(/peer_failures_per_minute/);
    expect(() => limiter(Number.NaN)).toThrow(/peer_failures_per_minute/);
  });

  test("bounded: refilled buckets go first, then the oldest, an eighth of the room at a time", () => {
    const { l, advance } = limiter(2, 16);
    for (let i = 0; i < 16; i++) {
      l.fail(`old${i}`);
      if (i < 4) l.fail(`old${i}`); // old0..old3 are throttled
    }
    expect(l.size).toBe(16);
    advance(30_000); // old4..old15 (one token spent, one back per 30 s) have refilled; old0..3 have not
    l.fail("new");
    expect(l.size).toBe(5);
    for (let i = 0; i < 4; i++) expect(l.check(`old${i}`).ok).toBe(true); // one token back, still tracked
    // Fill again without time passing: the oldest are dropped, two at a time (16 / 8).
    for (let i = 0; i < 11; i++) l.fail(`more${i}`);
    expect(l.size).toBe(16);
    l.fail("last");
    expect(l.size).toBe(15);
    expect(l.check("last").ok).toBe(true);
  });

  test("property: the map never exceeds maxPeers, whatever the peers and the clock do", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: -5_000, max: 60_000 })), {
          maxLength: 200,
        }),
        (maxPeers, rate, ops) => {
          const { l, advance } = limiter(rate, maxPeers);
          for (const [peer, dt] of ops) {
            advance(dt);
            if (l.check(`p${peer}`).ok) l.fail(`p${peer}`);
            if (l.size > maxPeers) return false;
          }
          return true;
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe("peerKey", () => {
  test("IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64, anything else unknown", () => {
    expect(peerKey("203.0.113.7")).toBe("203.0.113.7");
    expect(peerKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(peerKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(peerKey("2001:db8:1:2::1")).toBe(peerKey("2001:db8:1:2:ffff::9"));
    expect(peerKey("2001:db8:1:3::1")).not.toBe(peerKey("2001:db8:1:2::1"));
    expect(peerKey("::1")).toBe("0:0:0:0::/64");
    for (const bad of [undefined, null, "", "not an ip", "1.2.3"]) expect(peerKey(bad)).toBe("unknown");
  });
});
