import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import fc from "fast-check";
import {
  bytesEqual,
  ReplayGuard,
  STANDARD_WEBHOOKS_TOLERANCE_MS,
  verifyWebhook,
  type WebhookAuthMode,
} from "../../src/security/webhook-auth.ts";

const enc = new TextEncoder();
const NOW = 1_700_000_000_000;
const now = () => NOW;

const GH_SECRET = "It's a Secret to Everybody";
const GH_BODY = enc.encode("Hello, World!");
const GH_SHA256 = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

function hex(alg: "sha256" | "sha1", secret: string, body: Uint8Array): string {
  return createHmac(alg, secret).update(body).digest("hex");
}

function verify(mode: WebhookAuthMode, secret: string | undefined, body: Uint8Array, headers: Record<string, string>) {
  return verifyWebhook(mode, secret, body, new Headers(headers), now);
}

describe("hmac-sha256", () => {
  test("GitHub's documented example verifies", () => {
    expect(hex("sha256", GH_SECRET, GH_BODY)).toBe(GH_SHA256);
    const r = verify("hmac-sha256", GH_SECRET, GH_BODY, {
      "X-Hub-Signature-256": `sha256=${GH_SHA256}`,
      "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    });
    expect(r).toEqual({
      ok: true,
      deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      replayKey: `sha256:${GH_SHA256}`,
    });
  });

  test("the replay key comes from the signature, not from the unsigned headers", () => {
    const key = (headers: Record<string, string>) => {
      const r = verify("hmac-sha256", GH_SECRET, GH_BODY, headers);
      return r.ok ? r.replayKey : undefined;
    };
    const sig = `sha256=${GH_SHA256}`;
    const first = key({ "X-Hub-Signature-256": sig, "X-GitHub-Delivery": "d-1" });
    expect(first).toBe(`sha256:${GH_SHA256}`);
    expect(key({ "X-Hub-Signature-256": sig })).toBe(first);
    expect(key({ "X-Hub-Signature-256": sig, "X-GitHub-Delivery": "d-2" })).toBe(first);
    // Another spelling of the same signature (header, case) is the same request.
    expect(key({ "X-Signature": GH_SHA256.toUpperCase() })).toBe(first);
    expect(
      key({ "X-Hub-Signature-256": `sha256=${hex("sha256", GH_SECRET, enc.encode("Hello, World?"))}` }),
    ).toBeUndefined();
    const sha1 = verify("hmac-sha1", GH_SECRET, GH_BODY, {
      "X-Hub-Signature": `sha1=${hex("sha1", GH_SECRET, GH_BODY)}`,
    });
    expect(sha1).toEqual({ ok: true, replayKey: `sha1:${hex("sha1", GH_SECRET, GH_BODY)}` });
  });

  test("X-Signature fallback, bare hex and upper-case hex", () => {
    expect(verify("hmac-sha256", GH_SECRET, GH_BODY, { "X-Signature": GH_SHA256 }).ok).toBe(true);
    expect(verify("hmac-sha256", GH_SECRET, GH_BODY, { "X-Signature": `sha256=${GH_SHA256.toUpperCase()}` }).ok).toBe(
      true,
    );
  });

  test("a wrong signature on the first header does not mask a right one on the second", () => {
    const r = verify("hmac-sha256", GH_SECRET, GH_BODY, {
      "X-Hub-Signature-256": `sha256=${"0".repeat(64)}`,
      "X-Signature": `sha256=${GH_SHA256}`,
    });
    expect(r.ok).toBe(true);
  });

  const bad: [string, Record<string, string>, string][] = [
    ["no header", {}, "missing signature header"],
    ["wrong digest", { "X-Hub-Signature-256": `sha256=${"a".repeat(64)}` }, "signature mismatch"],
    ["truncated", { "X-Hub-Signature-256": `sha256=${GH_SHA256.slice(0, 63)}` }, "signature mismatch"],
    ["longer", { "X-Hub-Signature-256": `sha256=${GH_SHA256}00` }, "signature mismatch"],
    ["non-hex", { "X-Hub-Signature-256": `sha256=${"z".repeat(64)}` }, "signature mismatch"],
    ["sha1 prefix on the sha256 header", { "X-Hub-Signature-256": `sha1=${GH_SHA256}` }, "signature mismatch"],
    [
      "only the sha1 header",
      { "X-Hub-Signature": `sha1=${hex("sha1", GH_SECRET, GH_BODY)}` },
      "missing signature header",
    ],
    ["Latin-1 bytes in the value", { "X-Hub-Signature-256": `sha256=${GH_SHA256}\u00e9` }, "missing signature header"],
    ["empty prefix", { "X-Hub-Signature-256": `=${GH_SHA256}` }, "signature mismatch"],
  ];
  for (const [name, headers, reason] of bad) {
    test(`refused: ${name}`, () => {
      expect(verify("hmac-sha256", GH_SECRET, GH_BODY, headers)).toEqual({ ok: false, reason });
    });
  }

  test("signature over a different body is refused (raw bytes, not re-serialised JSON)", () => {
    const sig = hex("sha256", "s", enc.encode('{"a":1}'));
    expect(verify("hmac-sha256", "s", enc.encode('{"a": 1}'), { "X-Hub-Signature-256": `sha256=${sig}` }).ok).toBe(
      false,
    );
    expect(verify("hmac-sha256", "s", enc.encode('{"a":1}'), { "X-Hub-Signature-256": `sha256=${sig}` }).ok).toBe(true);
  });

  test("missing or empty secret → failure, never a pass", () => {
    const h = { "X-Hub-Signature-256": `sha256=${hex("sha256", "", GH_BODY)}` };
    expect(verify("hmac-sha256", undefined, GH_BODY, h)).toEqual({ ok: false, reason: "no secret configured" });
    expect(verify("hmac-sha256", "", GH_BODY, h)).toEqual({ ok: false, reason: "no secret configured" });
  });
});

describe("hmac-sha1", () => {
  const sig = hex("sha1", GH_SECRET, GH_BODY);
  test("X-Hub-Signature and X-Signature verify", () => {
    expect(sig.startsWith("01dc10d0")).toBe(true);
    expect(verify("hmac-sha1", GH_SECRET, GH_BODY, { "X-Hub-Signature": `sha1=${sig}` }).ok).toBe(true);
    expect(verify("hmac-sha1", GH_SECRET, GH_BODY, { "X-Signature": sig }).ok).toBe(true);
  });
  test("the sha256 header is never looked at", () => {
    expect(verify("hmac-sha1", GH_SECRET, GH_BODY, { "X-Hub-Signature-256": `sha256=${GH_SHA256}` }).ok).toBe(false);
    expect(verify("hmac-sha1", GH_SECRET, GH_BODY, { "X-Hub-Signature-256": `sha1=${sig}` }).ok).toBe(false);
  });
});

describe("bearer", () => {
  const cases: [string, string | undefined, boolean][] = [
    ["Bearer s3cret", "s3cret", true],
    ["bearer s3cret", "s3cret", true],
    ["BEARER s3cret", "s3cret", true],
    ["Bearer  s3cret", "s3cret", false],
    ["Bearer s3cre", "s3cret", false],
    ["Bearer s3cretX", "s3cret", false],
    ["Basic s3cret", "s3cret", false],
    ["Bearer", "s3cret", false],
    ["s3cret", "s3cret", false],
    ["Bearer s3cret", undefined, false],
    ["Bearer ", "", false],
  ];
  for (const [header, secret, ok] of cases) {
    test(`${JSON.stringify(header)} with secret ${JSON.stringify(secret)} → ${ok}`, () => {
      expect(verify("bearer", secret, GH_BODY, { Authorization: header }).ok).toBe(ok);
    });
  }
  test("no Authorization header", () => {
    expect(verify("bearer", "x", GH_BODY, {})).toEqual({ ok: false, reason: "missing authorization header" });
  });
  test("the replay key is the body's digest: same body, same key, whatever the delivery header", () => {
    const digest = new Bun.CryptoHasher("sha256").update(GH_BODY).digest("hex");
    const auth = { Authorization: "Bearer s3cret" };
    expect(verify("bearer", "s3cret", GH_BODY, auth)).toEqual({ ok: true, replayKey: `body:${digest}` });
    expect(verify("bearer", "s3cret", GH_BODY, { ...auth, "X-GitHub-Delivery": "x" })).toEqual({
      ok: true,
      deliveryId: "x",
      replayKey: `body:${digest}`,
    });
    const other = verify("bearer", "s3cret", enc.encode("Hello, World?"), auth);
    expect(other.ok && other.replayKey).not.toBe(`body:${digest}`);
  });
  test("non-ASCII secret: a Latin-1 header is a plain failure, not an exception", () => {
    expect(verify("bearer", "pässword", GH_BODY, { Authorization: "Bearer p\u00e4ssword" }).ok).toBe(false);
  });
  test("the reason never contains the secret or the presented token", () => {
    const r = verify("bearer", "topsecret", GH_BODY, { Authorization: "Bearer topsecreX" });
    expect(JSON.stringify(r)).not.toContain("topsecre");
  });
});

describe("none", () => {
  test("passes without a secret and reports the delivery id", () => {
    expect(verify("none", undefined, GH_BODY, {})).toEqual({ ok: true });
    expect(verify("none", undefined, GH_BODY, { "X-GitHub-Delivery": "abc" })).toEqual({ ok: true, deliveryId: "abc" });
  });
  test("an unknown mode fails closed", () => {
    expect(verify("HMAC" as WebhookAuthMode, "x", GH_BODY, {}).ok).toBe(false);
  });
});

describe("standard-webhooks", () => {
  // Test vector from the Standard Webhooks reference libraries.
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const ts = "1614265330";
  const body = enc.encode('{"test": 2432232314}');
  const sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  const at = () => 1614265330 * 1000;

  const h = (over: Record<string, string> = {}) =>
    new Headers({ "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig, ...over });

  test("the reference vector verifies and the delivery id is the webhook-id", () => {
    const signature = Buffer.from(sig.slice(3), "base64").toString("hex");
    expect(verifyWebhook("standard-webhooks", secret, body, h(), at)).toEqual({
      ok: true,
      deliveryId: id,
      replayKey: `standard-webhooks:${signature}`,
    });
  });
  test("one of several space-separated signatures is enough", () => {
    const multi = `v1,${Buffer.alloc(32).toString("base64")} v2,abc ${sig}`;
    expect(verifyWebhook("standard-webhooks", secret, body, h({ "webhook-signature": multi }), at).ok).toBe(true);
  });
  test("the secret without whsec_ is the same key", () => {
    expect(verifyWebhook("standard-webhooks", secret.slice(6), body, h(), at).ok).toBe(true);
  });
  test("timestamp tolerance is ±5 minutes", () => {
    const edge = () => 1614265330 * 1000 + STANDARD_WEBHOOKS_TOLERANCE_MS;
    expect(verifyWebhook("standard-webhooks", secret, body, h(), edge).ok).toBe(true);
    const late = () => 1614265330 * 1000 + STANDARD_WEBHOOKS_TOLERANCE_MS + 1;
    const early = () => 1614265330 * 1000 - STANDARD_WEBHOOKS_TOLERANCE_MS - 1;
    expect(verifyWebhook("standard-webhooks", secret, body, h(), late)).toEqual({
      ok: false,
      reason: "webhook-timestamp outside tolerance",
    });
    expect(verifyWebhook("standard-webhooks", secret, body, h(), early).ok).toBe(false);
  });
  const bad: [string, Record<string, string>][] = [
    ["other id", { "webhook-id": "msg_other" }],
    ["other timestamp", { "webhook-timestamp": "1614265331" }],
    ["malformed timestamp", { "webhook-timestamp": "1614265330.0" }],
    ["v2 scheme", { "webhook-signature": sig.replace("v1,", "v2,") }],
    ["no comma", { "webhook-signature": sig.replace("v1,", "v1") }],
    ["bad base64", { "webhook-signature": "v1,!!!!" }],
    ["truncated signature", { "webhook-signature": sig.slice(0, -4) }],
    ["empty signature", { "webhook-signature": "" }],
  ];
  for (const [name, over] of bad) {
    test(`refused: ${name}`, () => {
      expect(verifyWebhook("standard-webhooks", secret, body, h(over), at).ok).toBe(false);
    });
  }
  test("a secret that is not base64 fails", () => {
    expect(verifyWebhook("standard-webhooks", "whsec_not base64!", body, h(), at)).toEqual({
      ok: false,
      reason: "secret is not valid base64",
    });
  });
  test("a body changed by one byte fails", () => {
    expect(verifyWebhook("standard-webhooks", secret, enc.encode('{"test": 2432232315}'), h(), at).ok).toBe(false);
  });
});

describe("bytesEqual", () => {
  test("unequal lengths are false, never a throw", () => {
    expect(bytesEqual(new Uint8Array(3), new Uint8Array(4))).toBe(false);
    expect(bytesEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});

describe("properties", () => {
  const modes: WebhookAuthMode[] = ["hmac-sha256", "hmac-sha1", "bearer", "none", "standard-webhooks"];

  test("arbitrary headers and bodies never throw, and never pass without the right signature", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...modes),
        fc.option(fc.string(), { nil: undefined }),
        fc.uint8Array({ maxLength: 64 }),
        fc.dictionary(
          fc.constantFrom(
            "x-hub-signature-256",
            "x-hub-signature",
            "x-signature",
            "authorization",
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
            "x-github-delivery",
          ),
          // Headers only carries Latin-1 without CR/LF/NUL and trims outer whitespace.
          fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)) }),
        ),
        (mode, secret, body, dict) => {
          const r = verifyWebhook(mode, secret, body, new Headers(dict), now);
          if (mode === "none") return r.ok;
          if (!r.ok)
            return (
              typeof r.reason === "string" && (secret === undefined || !r.reason.includes(secret) || secret.length < 4)
            );
          // A pass on random input needs the random value to equal the secret (bearer) exactly.
          return mode === "bearer" && dict.authorization?.slice(7) === secret;
        },
      ),
      { numRuns: 10_000 },
    );
  });

  test("a correct HMAC always verifies; flipping any hex digit always fails", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<"sha256" | "sha1">("sha256", "sha1"),
        fc.string({ minLength: 1 }),
        fc.uint8Array({ maxLength: 256 }),
        fc.nat(),
        (alg, secret, body, pos) => {
          const sig = hex(alg, secret, body);
          const header = alg === "sha256" ? "x-hub-signature-256" : "x-hub-signature";
          const mode: WebhookAuthMode = `hmac-${alg}`;
          const good = verifyWebhook(mode, secret, body, new Headers({ [header]: `${alg}=${sig}` }), now);
          const i = pos % sig.length;
          const flipped = sig.slice(0, i) + (sig[i] === "0" ? "1" : "0") + sig.slice(i + 1);
          const bad = verifyWebhook(mode, secret, body, new Headers({ [header]: `${alg}=${flipped}` }), now);
          return good.ok && !bad.ok;
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe("ReplayGuard", () => {
  test("an id seen within 10 minutes is a duplicate; after that it is new again", () => {
    let t = 0;
    const g = new ReplayGuard({ now: () => t });
    expect(g.isDuplicate("a")).toBe(false);
    t = 9 * 60_000;
    expect(g.isDuplicate("a")).toBe(true);
    expect(g.isDuplicate("b")).toBe(false);
    t = 10 * 60_000;
    expect(g.isDuplicate("a")).toBe(false);
    expect(g.isDuplicate("b")).toBe(true);
  });

  test("memory is bounded: the oldest ids are forgotten first", () => {
    let t = 0;
    const g = new ReplayGuard({ now: () => t, maxEntries: 3 });
    for (const id of ["a", "b", "c", "d"]) {
      t += 1;
      expect(g.isDuplicate(id)).toBe(false);
    }
    expect(g.size).toBe(3);
    expect(g.isDuplicate("d")).toBe(true);
    expect(g.isDuplicate("a")).toBe(false);
  });

  test("expired ids are pruned as time passes", () => {
    let t = 0;
    const g = new ReplayGuard({ now: () => t, windowMs: 1000 });
    for (let i = 0; i < 100; i++) g.isDuplicate(`id${i}`);
    t = 5000;
    g.isDuplicate("fresh");
    expect(g.size).toBe(1);
  });

  test("property: within the window every repeat is a duplicate, size never exceeds the bound", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "d", "e"), fc.nat(120_000)), { maxLength: 40 }),
        (ops) => {
          let t = 0;
          const g = new ReplayGuard({ now: () => t, maxEntries: 10 });
          const last = new Map<string, number>();
          for (const [id, dt] of ops) {
            t += dt;
            const seen = last.get(id);
            const dup = g.isDuplicate(id);
            if (dup !== (seen !== undefined && t - seen < 600_000)) return false;
            if (!dup) last.set(id, t);
            if (g.size > 10) return false;
          }
          return true;
        },
      ),
      { numRuns: 10_000 },
    );
  });
});
