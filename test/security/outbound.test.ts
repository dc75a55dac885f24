// Every request here goes to loopback servers this file starts. "Public" addresses are answered by the
// fake resolver and mapped onto the loopback test server by the injected fetchImpl, which records the
// IP it was asked to connect to and the Host header — nothing ever connects to a non-loopback address.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createLogger, setLogger } from "../../src/log/logger.ts";
import { type FetchImpl, type GuardedFetchOptions, guardedFetch } from "../../src/security/outbound.ts";
import { parseAllowlist, type Resolver, SsrfError } from "../../src/security/ssrf.ts";

const PUBLIC_A = "93.184.216.34";
const PUBLIC_B = "8.8.4.4";
const PUBLIC_6 = "2606:2800:220:1:248:1893:25c8:1946";

// Self-signed, CN/SAN pinned.example, valid until 2126. A test-only key, used for nothing else.
const CERT = `-----BEGIN CERTIFICATE-----
MIIBpDCCAUqgAwIBAgIUWgeHodd5Fp9cDh+nrv7xZm8+fg4wCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOcGlubmVkLmV4YW1wbGUwIBcNMjYxMTI0MTczMDA4WhgPMjEy
NjEwMzExNzMwMDhaMBkxFzAVBgNVBAMMDnBpbm5lZC5leGFtcGxlMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEiClt2MfhX56OCThcWi5rGAlqc46ckLIwavKLBF/o
GGUdi7J6Q+LEuw63MLrG1srGJt2RDviRwFQlc2erxPqjZqNuMGwwHQYDVR0OBBYE
FB6FZMgoe3BPfCVhBprthpOuE51zMB8GA1UdIwQYMBaAFB6FZMgoe3BPfCVhBprt
hpOuE51zMA8GA1UdEwEB/wQFMAMBAf8wGQYDVR0RBBIwEIIOcGlubmVkLmV4YW1w
bGUwCgYIKoZIzj0EAwIDSAAwRQIgZS+l33Y+zm8LUOY+iNe/9m6U85Wi6J15JrK9
YgNNbckCIQCNxrywXA5XzFjGSd3bEiCJXMkmmWd18cT6ctD/3lEq6Q==
-----END CERTIFICATE-----`;
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbe/Dqz1AmtXy1Gp6
GqsEIayH9wxhQiHnl6xbii1zPhOhRANCAASIKW3Yx+Ffno4JOFxaLmsYCWpzjpyQ
sjBq8osEX+gYZR2LsnpD4sS7DrcwusbWysYm3ZEO+JHAVCVzZ6vE+qNm
-----END PRIVATE KEY-----`;

let victimHits = 0;
let victim: ReturnType<typeof Bun.serve>;
let server: ReturnType<typeof Bun.serve>;
let tlsServer: ReturnType<typeof Bun.serve>;
const tlsHosts: string[] = [];

function chunked(chunks: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent++ >= chunks) return c.close();
      c.enqueue(new Uint8Array(size).fill(97));
    },
  });
}

beforeAll(() => {
  setLogger(createLogger({ level: "silent" }));
  victim = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch() {
      victimHits++;
      return new Response("you reached loopback");
    },
  });
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const u = new URL(req.url);
      const p = u.pathname;
      const redirect = (status: number, location: string) => new Response(null, { status, headers: { location } });
      if (p === "/ok") return new Response(`hello ${req.headers.get("host")}`, { headers: { "x-seen": "1" } });
      if (p === "/echo") {
        return Response.json({
          method: req.method,
          body: await req.text(),
          headers: Object.fromEntries(req.headers),
        });
      }
      if (p === "/to-loopback") return redirect(302, `http://127.0.0.1:${victim.port}/steal`);
      if (p === "/to-loopback-decimal") return redirect(302, `http://2130706433:${victim.port}/steal`);
      if (p === "/to-metadata") return redirect(301, "http://169.254.169.254/latest/meta-data/");
      if (p === "/to-ftp") return redirect(302, "ftp://api.example.com/x");
      if (p === "/to-rebind") return redirect(302, `http://rebind.example:${victim.port}/ok`);
      if (p.startsWith("/hop/")) {
        const n = Number(p.slice(5));
        return n >= 4
          ? new Response(`final after ${n}`)
          : redirect(302, n % 2 ? `/hop/${n + 1}` : `../hop/${n + 1}?q=${n}`);
      }
      if (p === "/to-other-307") return redirect(307, "http://other.example/echo");
      if (p === "/to-other-303") return redirect(303, "http://other.example/echo");
      if (p === "/same-origin-308") return redirect(308, "/echo");
      if (p === "/big-stream") return new Response(chunked(Number(u.searchParams.get("n")), 16_384));
      if (p === "/big-declared") return new Response(new Uint8Array(200_000));
      if (p === "/hang") return new Promise<Response>(() => undefined);
      if (p === "/slow-body") {
        return new Response(new ReadableStream({ pull: () => new Promise<void>(() => undefined) }));
      }
      return new Response("not found", { status: 404 });
    },
  });
  tlsServer = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { key: KEY, cert: CERT },
    fetch(req) {
      tlsHosts.push(req.headers.get("host") ?? "");
      return new Response("secure hello");
    },
  });
});

afterAll(() => {
  victim.stop(true);
  server.stop(true);
  tlsServer.stop(true);
});

interface Call {
  readonly url: string;
  readonly connectIp: string;
  readonly host: string | null;
  readonly init: BunFetchRequestInit;
}

let calls: Call[] = [];
beforeEach(() => {
  calls = [];
  victimHits = 0;
});

/**
 * Maps the "public" IPs onto the loopback test server; loopback is fetched as asked (that is how a
 * leak would reach the victim server). Anything else is refused, so even a regression that stopped
 * pinning could not send traffic off this machine.
 */
const mappingFetch: FetchImpl = (url, init) => {
  const u = new URL(url);
  const ip = u.hostname.replace(/^\[|\]$/g, "");
  calls.push({ url, connectIp: ip, host: new Headers(init.headers).get("host"), init });
  if ([PUBLIC_A, PUBLIC_B, PUBLIC_6].includes(ip)) {
    return fetch(`http://127.0.0.1:${server.port}${u.pathname}${u.search}`, init);
  }
  if (ip === "127.0.0.1" || ip === "::1") return fetch(url, init);
  return Promise.reject(new Error(`test fetch refuses ${ip}`));
};

const zone: Record<string, string[]> = {
  "api.example.com": [PUBLIC_A],
  "other.example": [PUBLIC_B],
  "v6.example": [PUBLIC_6],
  "loop.example": ["127.0.0.1"],
};
const resolver: Resolver = async (h) => zone[h] ?? [];

const opts = (extra: Partial<GuardedFetchOptions> = {}): GuardedFetchOptions => ({
  resolver,
  fetchImpl: mappingFetch,
  maxBytes: 100_000,
  timeoutMs: 5_000,
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<SsrfError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SsrfError) return err;
    throw err;
  }
  throw new Error("expected an SsrfError");
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("pinning", () => {
  test("connects to the checked IP and sends the original Host", async () => {
    const r = await guardedFetch("http://API.example.com./ok?x=1", {}, opts());
    expect(r.status).toBe(200);
    expect(text(r.body)).toBe("hello api.example.com");
    expect(r.finalUrl).toBe("http://api.example.com/ok?x=1");
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe(`http://${PUBLIC_A}:80/ok?x=1`);
    expect(calls[0]?.host).toBe("api.example.com");
    expect(calls[0]?.init.redirect).toBe("manual");
    expect(calls[0]?.init.proxy).toBe(false);
    expect(calls[0]?.init.tls).toBeUndefined();
  });

  test("IPv6 answers are bracketed; https gets tls.serverName = the original host", async () => {
    await guardedFetch("https://v6.example:8443/ok", {}, opts());
    expect(calls[0]?.url).toBe(`https://[${PUBLIC_6}]:8443/ok`);
    expect(calls[0]?.host).toBe("v6.example:8443");
    expect(calls[0]?.init.tls?.serverName).toBe("v6.example");
  });

  test("https: real Bun fetch to the pinned IP verifies the certificate against the original name", async () => {
    const allowlist = parseAllowlist(["127.0.0.1"]);
    const tlsResolver: Resolver = async () => ["127.0.0.1"];
    const withCa: FetchImpl = (url, init) =>
      new URL(url).hostname === "127.0.0.1"
        ? fetch(url, { ...init, tls: { ...init.tls, ca: CERT } })
        : Promise.reject(new Error("test fetch refuses non-loopback"));
    const r = await guardedFetch(
      `https://pinned.example:${tlsServer.port}/`,
      {},
      {
        resolver: tlsResolver,
        allowlist,
        fetchImpl: withCa,
        maxBytes: 1000,
        timeoutMs: 5000,
      },
    );
    expect(text(r.body)).toBe("secure hello");
    expect(tlsHosts).toEqual([`pinned.example:${tlsServer.port}`]);
    // Same server, another name: the certificate does not match, so the request fails.
    const e = await failure(
      guardedFetch(
        `https://wrong.example:${tlsServer.port}/`,
        {},
        {
          resolver: tlsResolver,
          allowlist,
          fetchImpl: withCa,
          maxBytes: 1000,
          timeoutMs: 5000,
        },
      ),
    );
    expect(e.code).toBe("ssrf.network");
    expect(e.message).toContain("ERR_TLS_CERT_ALTNAME_INVALID");
    expect(tlsHosts).toHaveLength(1);
  });

  test("the default fetch reaches an allowlisted loopback server", async () => {
    const r = await guardedFetch(
      `http://127.0.0.1:${server.port}/ok`,
      {},
      {
        allowlist: parseAllowlist(["127.0.0.1/32"]),
        maxBytes: 1000,
        timeoutMs: 5000,
      },
    );
    expect(text(r.body)).toBe(`hello 127.0.0.1:${server.port}`);
  });

  test("a blocked target is refused before any connection", async () => {
    for (const u of [`http://127.0.0.1:${victim.port}/`, `http://loop.example:${victim.port}/`, "http://localhost/"]) {
      await failure(guardedFetch(u, {}, opts()));
    }
    expect(calls).toHaveLength(0);
    expect(victimHits).toBe(0);
  });
});

describe("DNS rebinding", () => {
  test("public on the first answer, loopback afterwards: the loopback server gets nothing", async () => {
    let lookups = 0;
    const rebinding: Resolver = async () => (lookups++ === 0 ? [PUBLIC_A] : ["127.0.0.1"]);
    const r = await guardedFetch(`http://rebind.example:${victim.port}/ok`, {}, opts({ resolver: rebinding }));
    expect(r.status).toBe(200);
    expect(lookups).toBe(1);
    expect(calls.map((c) => c.connectIp)).toEqual([PUBLIC_A]);
    expect(victimHits).toBe(0);
  });

  test("a redirect back to the rebinding name is resolved again and refused", async () => {
    let lookups = 0;
    const rebinding: Resolver = async (h) => (h === "rebind.example" && lookups++ > 0 ? ["127.0.0.1"] : [PUBLIC_A]);
    const e = await failure(
      guardedFetch(`http://rebind.example:${victim.port}/to-rebind`, {}, opts({ resolver: rebinding })),
    );
    expect(e.code).toBe("ssrf.dns_blocked");
    expect(calls.map((c) => c.connectIp)).toEqual([PUBLIC_A]);
    expect(victimHits).toBe(0);
  });
});

describe("redirects", () => {
  test("public → http://127.0.0.1/… is refused", async () => {
    const e = await failure(guardedFetch("http://api.example.com/to-loopback", {}, opts()));
    expect(e.code).toBe("ssrf.blocked_ip");
    expect(victimHits).toBe(0);
    expect(calls).toHaveLength(1);
  });

  test("decimal loopback, metadata and non-http schemes in Location are refused", async () => {
    expect((await failure(guardedFetch("http://api.example.com/to-loopback-decimal", {}, opts()))).code).toBe(
      "ssrf.blocked_ip",
    );
    expect((await failure(guardedFetch("http://api.example.com/to-metadata", {}, opts()))).code).toBe(
      "ssrf.blocked_ip",
    );
    expect((await failure(guardedFetch("http://api.example.com/to-ftp", {}, opts()))).code).toBe("ssrf.scheme");
    expect(victimHits).toBe(0);
  });

  test("3 hops are followed, relative Locations resolved against the logical URL", async () => {
    const r = await guardedFetch("http://api.example.com/hop/1", {}, opts());
    expect(text(r.body)).toBe("final after 4");
    expect(r.finalUrl).toBe("http://api.example.com/hop/4");
    expect(calls.map((c) => c.url)).toEqual([
      `http://${PUBLIC_A}:80/hop/1`,
      `http://${PUBLIC_A}:80/hop/2`,
      `http://${PUBLIC_A}:80/hop/3?q=2`,
      `http://${PUBLIC_A}:80/hop/4`,
    ]);
    expect(new Set(calls.map((c) => c.host))).toEqual(new Set(["api.example.com"]));
  });

  test("4 hops are refused", async () => {
    const e = await failure(guardedFetch("http://api.example.com/hop/0", {}, opts()));
    expect(e.code).toBe("ssrf.too_many_redirects");
    expect(calls).toHaveLength(4);
  });

  test("maxRedirects 0 refuses the first redirect", async () => {
    const e = await failure(guardedFetch("http://api.example.com/hop/3", {}, opts({ maxRedirects: 0 })));
    expect(e.code).toBe("ssrf.too_many_redirects");
  });

  test("307 to another origin keeps method and body, drops credentials", async () => {
    const r = await guardedFetch(
      "http://api.example.com/to-other-307",
      {
        method: "POST",
        body: '{"a":1}',
        headers: { Authorization: "Bearer s3cret", "X-Api-Key": "k", "Content-Type": "application/json" },
      },
      opts(),
    );
    const echo = JSON.parse(text(r.body)) as { method: string; body: string; headers: Record<string, string> };
    expect(calls.map((c) => c.connectIp)).toEqual([PUBLIC_A, PUBLIC_B]);
    expect(calls[1]?.host).toBe("other.example");
    expect(echo.method).toBe("POST");
    expect(echo.body).toBe('{"a":1}');
    expect(echo.headers["content-type"]).toBe("application/json");
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers["x-api-key"]).toBeUndefined();
  });

  test("303 turns into GET without a body", async () => {
    const r = await guardedFetch("http://api.example.com/to-other-303", { method: "POST", body: "x" }, opts());
    const echo = JSON.parse(text(r.body)) as { method: string; body: string };
    expect(echo).toMatchObject({ method: "GET", body: "" });
  });

  test("308 on the same origin keeps every header", async () => {
    const r = await guardedFetch(
      "http://api.example.com/same-origin-308",
      { method: "PUT", body: new Uint8Array([104, 105]), headers: [["Authorization", "Bearer t"]] },
      opts(),
    );
    const echo = JSON.parse(text(r.body)) as { method: string; body: string; headers: Record<string, string> };
    expect(echo).toMatchObject({ method: "PUT", body: "hi" });
    expect(echo.headers.authorization).toBe("Bearer t");
  });
});

describe("limits", () => {
  test("a streamed body past maxBytes is aborted", async () => {
    const e = await failure(guardedFetch("http://api.example.com/big-stream?n=10", {}, opts({ maxBytes: 50_000 })));
    expect(e.code).toBe("ssrf.too_large");
    expect(e.message).toContain("50000 bytes");
  });

  test("a body exactly at maxBytes passes", async () => {
    const r = await guardedFetch("http://api.example.com/big-stream?n=3", {}, opts({ maxBytes: 3 * 16_384 }));
    expect(r.body.byteLength).toBe(3 * 16_384);
  });

  test("a declared Content-Length past maxBytes is refused", async () => {
    const e = await failure(guardedFetch("http://api.example.com/big-declared", {}, opts({ maxBytes: 1000 })));
    expect(e.code).toBe("ssrf.too_large");
  });

  test("a server that never answers times out", async () => {
    const e = await failure(guardedFetch("http://api.example.com/hang", {}, opts({ timeoutMs: 150 })));
    expect(e.code).toBe("ssrf.timeout");
    expect(e.message).toBe("request to http://api.example.com timed out");
  });

  test("a body that stalls times out", async () => {
    const e = await failure(guardedFetch("http://api.example.com/slow-body", {}, opts({ timeoutMs: 150 })));
    expect(e.code).toBe("ssrf.timeout");
  });

  test("a resolver that never answers times out", async () => {
    const stuck: Resolver = () => new Promise<string[]>(() => undefined);
    const e = await failure(guardedFetch("http://api.example.com/ok", {}, opts({ resolver: stuck, timeoutMs: 100 })));
    expect(e.code).toBe("ssrf.timeout");
    expect(calls).toHaveLength(0);
  });

  test("a caller abort is not reported as a timeout", async () => {
    const ctl = new AbortController();
    const p = guardedFetch("http://api.example.com/hang", {}, opts({ signal: ctl.signal }));
    setTimeout(() => ctl.abort(), 20);
    const e = await failure(p);
    expect(e.code).toBe("ssrf.network");
    expect(e.message).toContain("aborted");
  });
});

describe("headers", () => {
  test.each([
    ["X-A", "a\r\nInjected: 1"],
    ["X-A", "a\nb"],
    ["X-A", "a\rb"],
    ["X-A", "a\0b"],
    ["X-A\r\nB", "v"],
    ["Bad Name", "v"],
    ["Host", "evil.example"],
  ])("%p: %p is refused before sending", async (name, value) => {
    const e = await failure(guardedFetch("http://api.example.com/ok", { headers: { [name]: value } }, opts()));
    expect(e.code).toBe("ssrf.bad_header");
    expect(calls).toHaveLength(0);
  });

  test("connection errors are ssrf.network and never quote the path or query", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = closed.port;
    closed.stop(true);
    const e = await failure(
      guardedFetch(
        `http://127.0.0.1:${port}/secret-path?token=s3cret`,
        {},
        {
          allowlist: parseAllowlist(["127.0.0.1"]),
          maxBytes: 10,
          timeoutMs: 5000,
        },
      ),
    );
    expect(e.code).toBe("ssrf.network");
    expect(e.message).not.toContain("s3cret");
    expect(e.message).not.toContain("secret-path");
    expect(e.cause).toBeUndefined();
  });
});
