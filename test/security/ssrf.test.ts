import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { createLogger, setLogger } from "../../src/log/logger.ts";
import {
  checkUrl,
  checkUrlWithDns,
  classifyIp,
  defaultResolver,
  EMPTY_ALLOWLIST,
  parseAllowlist,
  type Resolver,
  resolveChecked,
  SsrfError,
} from "../../src/security/ssrf.ts";

const logLines: string[] = [];
beforeAll(() => setLogger(createLogger({ level: "debug", sink: { write: (l) => void logLines.push(l) } })));

const PUBLIC4 = "93.184.216.34";
const PUBLIC6 = "2606:2800:220:1:248:1893:25c8:1946";

/** Fake DNS: an answer list, or an Error to throw. Unknown names fail like NXDOMAIN. */
function fakeDns(zone: Record<string, string[] | Error>): Resolver {
  return async (host) => {
    const a = zone[host];
    if (a instanceof Error) throw a;
    if (a === undefined) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
    return a;
  };
}

const nxdomain = Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" });
const dns = fakeDns({
  "example.com": [PUBLIC4],
  "v6.example.com": [PUBLIC6],
  "dual.example.com": [PUBLIC4, PUBLIC6],
  "mixed.example.com": [PUBLIC4, "127.0.0.1"],
  "mixed6.example.com": [PUBLIC6, "fd00::1"],
  "metadata.example.com": ["169.254.169.254"],
  "private.example.com": ["10.1.2.3"],
  "cgnat.example.com": ["100.64.0.1"],
  "empty.example.com": [],
  "throws.example.com": nxdomain,
  "garbage.example.com": ["not-an-ip"],
  "octal.example.com": ["0177.0.0.1"],
  "mapped-public.example.com": [`::ffff:${PUBLIC4}`],
  "mapped-private.example.com": ["::ffff:192.168.1.1"],
  "nat64.example.com": ["64:ff9b::7f00:1"],
  "zone.example.com": ["fe80::1%eth0"],
  "xn--bcher-kva.example": [PUBLIC4],
  "localhost.example.com": [PUBLIC4],
});

type Expect = { ok: string } | { code: string };

// [url, expectation] — `ok` is the address the connection is pinned to.
const CASES: ReadonlyArray<readonly [string, Expect]> = [
  // Public targets
  ["http://example.com/", { ok: PUBLIC4 }],
  ["https://example.com:8443/p?q=1", { ok: PUBLIC4 }],
  ["HTTP://EXAMPLE.COM./", { ok: PUBLIC4 }],
  ["http://example.com../", { ok: PUBLIC4 }],
  ["http://v6.example.com/", { ok: PUBLIC6 }],
  ["http://dual.example.com/", { ok: PUBLIC4 }],
  [`http://${PUBLIC4}/`, { ok: PUBLIC4 }],
  [`http://[${PUBLIC6}]/`, { ok: PUBLIC6 }],
  [`http://[::ffff:${PUBLIC4}]/`, { ok: PUBLIC4 }],
  ["http://bücher.example/", { ok: PUBLIC4 }],
  ["http://mapped-public.example.com/", { ok: PUBLIC4 }],
  ["http://localhost.example.com/", { ok: PUBLIC4 }],
  ["http://8.8.8.8/", { ok: "8.8.8.8" }],
  ["http://0x08.0x08.0x08.0x08/", { ok: "8.8.8.8" }],
  // IPv4 loopback in every spelling
  ["http://127.0.0.1/", { code: "ssrf.blocked_ip" }],
  ["http://127.1/", { code: "ssrf.blocked_ip" }],
  ["http://127.0.1/", { code: "ssrf.blocked_ip" }],
  ["http://2130706433/", { code: "ssrf.blocked_ip" }],
  ["http://0177.0.0.1/", { code: "ssrf.blocked_ip" }],
  ["http://0x7f.1/", { code: "ssrf.blocked_ip" }],
  ["http://0x7f000001/", { code: "ssrf.blocked_ip" }],
  ["http://0x7f.0.0x0.01/", { code: "ssrf.blocked_ip" }],
  ["http://017700000001/", { code: "ssrf.blocked_ip" }],
  ["http://127.255.255.254:8080/", { code: "ssrf.blocked_ip" }],
  ["http://１２７.0.0.1/", { code: "ssrf.blocked_ip" }],
  // Other IPv4 ranges
  ["http://10.0.0.1/", { code: "ssrf.blocked_ip" }],
  ["http://172.16.0.1/", { code: "ssrf.blocked_ip" }],
  ["http://172.31.255.255/", { code: "ssrf.blocked_ip" }],
  ["http://192.168.1.1/", { code: "ssrf.blocked_ip" }],
  ["http://169.254.169.254/latest/meta-data/", { code: "ssrf.blocked_ip" }],
  ["http://2852039166/", { code: "ssrf.blocked_ip" }],
  ["http://169.254.1.1/", { code: "ssrf.blocked_ip" }],
  ["http://100.64.0.1/", { code: "ssrf.blocked_ip" }],
  ["http://100.127.255.255/", { code: "ssrf.blocked_ip" }],
  ["http://0.0.0.0/", { code: "ssrf.blocked_ip" }],
  ["http://0/", { code: "ssrf.blocked_ip" }],
  ["http://198.18.0.1/", { code: "ssrf.blocked_ip" }],
  ["http://198.19.255.255/", { code: "ssrf.blocked_ip" }],
  ["http://192.0.2.1/", { code: "ssrf.blocked_ip" }],
  ["http://198.51.100.7/", { code: "ssrf.blocked_ip" }],
  ["http://203.0.113.9/", { code: "ssrf.blocked_ip" }],
  ["http://192.0.0.8/", { code: "ssrf.blocked_ip" }],
  ["http://224.0.0.1/", { code: "ssrf.blocked_ip" }],
  ["http://239.255.255.250/", { code: "ssrf.blocked_ip" }],
  ["http://240.0.0.1/", { code: "ssrf.blocked_ip" }],
  ["http://255.255.255.255/", { code: "ssrf.blocked_ip" }],
  ["http://4294967295/", { code: "ssrf.blocked_ip" }],
  // Invalid IPv4-ish hosts (the WHATWG parser refuses them)
  ["http://1.2.3.4.5/", { code: "ssrf.invalid_url" }],
  ["http://0x100000000/", { code: "ssrf.invalid_url" }],
  ["http://foo.0x7f/", { code: "ssrf.invalid_url" }],
  // IPv6 literals
  ["http://[::1]/", { code: "ssrf.blocked_ip" }],
  ["http://[0:0:0:0:0:0:0:1]/", { code: "ssrf.blocked_ip" }],
  ["http://[::]/", { code: "ssrf.blocked_ip" }],
  ["http://[fc00::1]/", { code: "ssrf.blocked_ip" }],
  ["http://[fd12:3456::1]/", { code: "ssrf.blocked_ip" }],
  ["http://[fe80::1]/", { code: "ssrf.blocked_ip" }],
  ["http://[fe80::1%25eth0]/", { code: "ssrf.invalid_url" }],
  ["http://[fec0::1]/", { code: "ssrf.blocked_ip" }],
  ["http://[ff02::1]/", { code: "ssrf.blocked_ip" }],
  ["http://[2001:db8::1]/", { code: "ssrf.blocked_ip" }],
  ["http://[::ffff:127.0.0.1]/", { code: "ssrf.blocked_ip" }],
  ["http://[::ffff:7f00:1]/", { code: "ssrf.blocked_ip" }],
  ["http://[0:0:0:0:0:ffff:a9fe:a9fe]/", { code: "ssrf.blocked_ip" }],
  ["http://[::ffff:100.64.0.1]/", { code: "ssrf.blocked_ip" }],
  ["http://[::ffff:0.0.0.0]/", { code: "ssrf.blocked_ip" }],
  ["http://[::127.0.0.1]/", { code: "ssrf.blocked_ip" }],
  [`http://[::${PUBLIC4}]/`, { code: "ssrf.blocked_ip" }],
  ["http://[64:ff9b::7f00:1]/", { code: "ssrf.blocked_ip" }],
  ["http://[64:ff9b::808:808]/", { code: "ssrf.blocked_ip" }],
  ["http://[64:ff9b:1::1]/", { code: "ssrf.blocked_ip" }],
  ["http://[2002:7f00:1::1]/", { code: "ssrf.blocked_ip" }],
  ["http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", { code: "ssrf.blocked_ip" }],
  ["http://[2001:10::1]/", { code: "ssrf.blocked_ip" }],
  ["http://[2001:20::1]/", { code: "ssrf.blocked_ip" }],
  ["http://[100::1]/", { code: "ssrf.blocked_ip" }],
  ["http://[::ffff:0:7f00:1]/", { code: "ssrf.blocked_ip" }],
  ["http://[3fff::1]/", { code: "ssrf.blocked_ip" }],
  // Names refused before DNS
  ["http://localhost/", { code: "ssrf.blocked_name" }],
  ["http://LOCALHOST./", { code: "ssrf.blocked_name" }],
  ["http://api.localhost/", { code: "ssrf.blocked_name" }],
  ["http://printer.local/", { code: "ssrf.blocked_name" }],
  ["http://metadata.google.internal/", { code: "ssrf.blocked_name" }],
  ["http://nas.home.arpa/", { code: "ssrf.blocked_name" }],
  ["http://intranet/", { code: "ssrf.blocked_name" }],
  ["http://intranet./", { code: "ssrf.blocked_name" }],
  // Userinfo and schemes
  ["http://user:pass@example.com/", { code: "ssrf.userinfo" }],
  ["http://user@example.com/", { code: "ssrf.userinfo" }],
  ["http://example.com@127.0.0.1/", { code: "ssrf.userinfo" }],
  ["ftp://example.com/", { code: "ssrf.scheme" }],
  ["file:///etc/passwd", { code: "ssrf.scheme" }],
  ["gopher://example.com:70/_x", { code: "ssrf.scheme" }],
  ["javascript:alert(1)", { code: "ssrf.scheme" }],
  ["data:text/plain,hi", { code: "ssrf.scheme" }],
  ["ws://example.com/", { code: "ssrf.scheme" }],
  ["not a url", { code: "ssrf.invalid_url" }],
  ["http://", { code: "ssrf.invalid_url" }],
  // DNS scenarios
  ["http://mixed.example.com/", { code: "ssrf.dns_blocked" }],
  ["http://mixed6.example.com/", { code: "ssrf.dns_blocked" }],
  ["http://metadata.example.com/", { code: "ssrf.dns_blocked" }],
  ["http://private.example.com/", { code: "ssrf.dns_blocked" }],
  ["http://cgnat.example.com/", { code: "ssrf.dns_blocked" }],
  ["http://mapped-private.example.com/", { code: "ssrf.dns_blocked" }],
  ["http://nat64.example.com/", { code: "ssrf.dns_blocked" }],
  ["http://zone.example.com/", { code: "ssrf.dns_blocked" }],
  ["http://garbage.example.com/", { code: "ssrf.dns_blocked" }],
  ["http://octal.example.com/", { code: "ssrf.dns_blocked" }],
  ["http://empty.example.com/", { code: "ssrf.dns_failed" }],
  ["http://throws.example.com/", { code: "ssrf.dns_failed" }],
  ["http://unknown.example.com/", { code: "ssrf.dns_failed" }],
];

async function outcome(url: string): Promise<Expect> {
  try {
    const t = await checkUrlWithDns(url, { resolver: dns });
    return { ok: t.address };
  } catch (err) {
    if (err instanceof SsrfError) return { code: err.code };
    throw err;
  }
}

describe("checkUrlWithDns table", () => {
  test("has at least 60 cases", () => expect(CASES.length).toBeGreaterThanOrEqual(60));
  test.each(CASES.map(([u, e]) => [u, e]))("%s", async (url, expected) => {
    expect(await outcome(url)).toEqual(expected);
  });
});

describe("error messages", () => {
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err as SsrfError;
    }
    throw new Error("expected a rejection");
  };

  test("say what was blocked and why, never the query, path or credentials", async () => {
    const e = await code(checkUrlWithDns("http://169.254.169.254/latest?token=s3cret", { resolver: dns }));
    expect(e.message).toContain("169.254.169.254");
    expect(e.message).toContain("cloud metadata");
    expect(e.message).not.toContain("s3cret");
    expect(e.message).not.toContain("latest");
    const u = await code(checkUrlWithDns("http://bob:hunter2@example.com/?k=s3cret", { resolver: dns }));
    expect(u.message).not.toContain("hunter2");
    expect(u.message).not.toContain("s3cret");
  });

  test("DNS blocks list every blocked address with its range, and are logged as ssrf.dns_blocked", async () => {
    logLines.length = 0;
    const e = await code(checkUrlWithDns("http://mixed.example.com/", { resolver: dns }));
    expect(e.message).toContain("127.0.0.1 (loopback");
    expect(e.message).not.toContain(PUBLIC4);
    const rec = logLines
      .map((l) => JSON.parse(l) as { msg: string; host?: string })
      .find((r) => r.msg === "ssrf.dns_blocked");
    expect(rec?.host).toBe("mixed.example.com");
  });

  test("scheme message names the scheme and what is permitted", async () => {
    const e = await code(checkUrlWithDns("ftp://example.com/", { resolver: dns }));
    expect(e.message).toBe("Scheme 'ftp' not allowed; permitted: http, https");
  });

  test("IPv4-compatible reason names the embedded address", () => {
    const v = classifyIp("::7f00:1");
    expect(v.allowed).toBe(false);
    expect(v.allowed ? "" : v.reason).toContain("embeds 127.0.0.1, loopback");
  });

  test("resolver failure is dns_failed with the error code", async () => {
    const e = await code(checkUrlWithDns("http://throws.example.com/", { resolver: dns }));
    expect(e.code).toBe("ssrf.dns_failed");
    expect(e.message).toContain("ENOTFOUND");
  });
});

describe("pinning", () => {
  test("the pinned URL keeps path and query, sets Host and SNI from the name", async () => {
    const t = await checkUrlWithDns("https://Example.COM.:8443/a/b?x=1#frag", { resolver: dns });
    expect(t.pinnedUrl).toBe(`https://${PUBLIC4}:8443/a/b?x=1`);
    expect(t.hostHeader).toBe("example.com:8443");
    expect(t.serverName).toBe("example.com");
    expect(t.url.hostname).toBe("example.com");
  });

  test("IPv6 answers are bracketed; http gets no serverName; default ports are explicit", async () => {
    const t = await checkUrlWithDns("http://v6.example.com/x", { resolver: dns });
    expect(t.pinnedUrl).toBe(`http://[${PUBLIC6}]:80/x`);
    expect(t.hostHeader).toBe("v6.example.com");
    expect(t.serverName).toBeUndefined();
  });

  test("IP literals are not resolved and get no serverName", async () => {
    let calls = 0;
    const t = await checkUrlWithDns(`https://[::ffff:${PUBLIC4}]/`, {
      resolver: async () => {
        calls++;
        return [];
      },
    });
    expect(calls).toBe(0);
    expect(t.pinnedUrl).toBe(`https://${PUBLIC4}:443/`);
    expect(t.serverName).toBeUndefined();
  });

  test("blocked names never reach the resolver", async () => {
    let calls = 0;
    const resolver: Resolver = async () => {
      calls++;
      return [PUBLIC4];
    };
    for (const u of ["http://localhost/", "http://x.internal/", "http://single/"]) {
      await expect(checkUrlWithDns(u, { resolver })).rejects.toThrow(SsrfError);
    }
    expect(calls).toBe(0);
  });

  test("all addresses are returned and must all pass", async () => {
    expect(await resolveChecked("dual.example.com", { resolver: dns })).toEqual([
      { address: PUBLIC4, family: 4 },
      { address: PUBLIC6, family: 6 },
    ]);
  });
});

test("the default resolver returns addresses as text (numeric input: no network)", async () => {
  expect(await defaultResolver("127.0.0.1")).toContain("127.0.0.1");
});

describe("allowlist", () => {
  const allow = parseAllowlist(["127.0.0.1", "10.0.0.0/8", "fd00::/8", " ::1 "]);

  test("checked first and wins for literals and DNS answers", async () => {
    expect(checkUrl("http://127.0.0.1:9000/", allow).literal?.address).toBe("127.0.0.1");
    expect(checkUrl("http://2130706433/", allow).literal?.address).toBe("127.0.0.1");
    expect(checkUrl("http://[::1]/", allow).literal?.address).toBe("::1");
    expect(checkUrl("http://[::ffff:10.9.8.7]/", allow).literal?.address).toBe("10.9.8.7");
    expect((await checkUrlWithDns("http://private.example.com/", { resolver: dns, allowlist: allow })).address).toBe(
      "10.1.2.3",
    );
    expect((await checkUrlWithDns("http://mixed.example.com/", { resolver: dns, allowlist: allow })).address).toBe(
      PUBLIC4,
    );
  });

  test("does not widen beyond its entries", () => {
    expect(() => checkUrl("http://127.0.0.2/", allow)).toThrow(SsrfError);
    expect(() => checkUrl("http://192.168.0.1/", allow)).toThrow(SsrfError);
    expect(() => checkUrl("http://[::2]/", allow)).toThrow(SsrfError);
  });

  test("local-only names are resolved only with an allowlist, and every address must be allowlisted", async () => {
    const zone = fakeDns({ whisper: ["10.0.0.5"], localhost: ["127.0.0.1", "::1"], "x.internal": [PUBLIC4] });
    expect((await checkUrlWithDns("http://whisper:9000/", { resolver: zone, allowlist: allow })).address).toBe(
      "10.0.0.5",
    );
    expect((await checkUrlWithDns("http://localhost/", { resolver: zone, allowlist: allow })).address).toBe(
      "127.0.0.1",
    );
    await expect(checkUrlWithDns("http://x.internal/", { resolver: zone, allowlist: allow })).rejects.toMatchObject({
      code: "ssrf.dns_blocked",
    });
    await expect(checkUrlWithDns("http://whisper/", { resolver: zone })).rejects.toMatchObject({
      code: "ssrf.blocked_name",
    });
  });

  test("bad entries are refused with the entry named", () => {
    for (const bad of [
      "",
      "10.0.0.0/33",
      "::/129",
      "10.1",
      "0x7f.0.0.1",
      "example.com",
      "1.2.3.4/8/9",
      "fe80::1%eth0",
      "10.0.0.0/x",
    ]) {
      expect(() => parseAllowlist([bad])).toThrow(`invalid CIDR/IP entry: '${bad}'`);
    }
    expect(parseAllowlist([]).entries).toHaveLength(0);
  });
});

// --- Property tests --------------------------------------------------------------------------
// The blocked ranges are written out again here, from the requirement, independently of the module.

const V4_BLOCKED: ReadonlyArray<readonly [string, number]> = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
];

const V6_BLOCKED: ReadonlyArray<readonly [string, number]> = [
  ["::1", 128],
  ["::", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
  ["2001:db8::", 32],
  ["::", 96],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["2002::", 16],
  ["2001::", 32],
  ["2001:10::", 28],
  ["2001:20::", 28],
  ["100::", 64],
];

const v4In = ([base, bits]: readonly [string, number]) =>
  fc.integer({ min: 0, max: 2 ** (32 - bits) - 1 }).map((off) => {
    const n = ((ipaddr.IPv4.parse(base).octets.reduce((a, o) => a * 256 + o, 0) >>> 0) + off) >>> 0;
    return n;
  });

const blockedV4 = fc.oneof(...V4_BLOCKED.map(v4In));

const octets = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255] as const;

/** Every textual IPv4 form the WHATWG parser accepts. */
const v4Text = (n: number) => {
  const [a, b, c, d] = octets(n);
  const lowHex = (x: number) => `0x${x.toString(16)}`;
  const oct = (x: number) => `0${x.toString(8)}`;
  return fc.constantFrom(
    `${a}.${b}.${c}.${d}`,
    `${n}`,
    lowHex(n),
    `0X${n.toString(16).toUpperCase()}`,
    oct(n),
    [a, b, c, d].map(oct).join("."),
    [a, b, c, d].map(lowHex).join("."),
    `${a}.${(b << 16) + (c << 8) + d}`,
    `${lowHex(a)}.${(b << 16) + (c << 8) + d}`,
    `${a}.${b}.${(c << 8) + d}`,
    `${oct(a)}.${lowHex(b)}.${c}.${oct(d)}`,
    `${a}.${b}.${c}.${d}.`,
  );
};

function neverAllowed(url: string): boolean {
  try {
    checkUrl(url, EMPTY_ALLOWLIST);
    return false;
  } catch (err) {
    return err instanceof SsrfError;
  }
}

const groups = (parts: number[]) => parts.map((p) => p.toString(16));

const v6In = ([base, bits]: readonly [string, number]) =>
  fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((rand) => {
    const b = ipaddr.IPv6.parse(base).parts;
    return b.map((p, i) => {
      const keep = Math.max(0, Math.min(16, bits - i * 16));
      const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
      return (p & mask) | ((rand[i] ?? 0) & ~mask & 0xffff);
    });
  });

const v6Text = (parts: number[]) => {
  const addr = new ipaddr.IPv6(parts);
  const [a = 0, b = 0, c = 0, d = 0] = parts.slice(6).flatMap((p) => [p >> 8, p & 255]);
  return fc.constantFrom(
    addr.toNormalizedString(),
    addr.toRFC5952String(),
    parts.map((p) => p.toString(16).padStart(4, "0")).join(":"),
    addr.toRFC5952String().toUpperCase(),
    `${groups(parts.slice(0, 6)).join(":")}:${a}.${b}.${c}.${d}`,
  );
};

describe("property: blocked addresses are never allowed", () => {
  test("IPv4 in any spelling, as a URL literal and as a DNS answer", async () => {
    fc.assert(
      fc.property(
        blockedV4.chain((n) => fc.tuple(fc.constant(n), v4Text(n))),
        ([, text]) => neverAllowed(`http://${text}/`) && neverAllowed(`https://${text}:8443/x`),
      ),
      { numRuns: 10_000 },
    );
    await fc.assert(
      fc.asyncProperty(blockedV4, async (n) => {
        const ip = octets(n).join(".");
        const p = resolveChecked("x.example.com", { resolver: async () => [PUBLIC4, ip] });
        return p.then(
          () => false,
          (e: unknown) => e instanceof SsrfError && e.code === "ssrf.dns_blocked",
        );
      }),
      { numRuns: 2_000 },
    );
  });

  test("blocked IPv4 wrapped in IPv6 (mapped dotted, mapped hex, compatible, NAT64, 6to4)", () => {
    fc.assert(
      fc.property(blockedV4, fc.integer({ min: 0, max: 5 }), (n, form) => {
        const [a, b, c, d] = octets(n);
        const hi = ((n >>> 16) & 0xffff).toString(16);
        const lo = (n & 0xffff).toString(16);
        const text = [
          `::ffff:${a}.${b}.${c}.${d}`,
          `::ffff:${hi}:${lo}`,
          `0:0:0:0:0:FFFF:${hi}:${lo}`,
          `::${a}.${b}.${c}.${d}`,
          `64:ff9b::${hi}:${lo}`,
          `2002:${hi}:${lo}::1`,
        ][form];
        return neverAllowed(`http://[${text}]/`) && !classifyIp(text ?? "").allowed;
      }),
      { numRuns: 10_000 },
    );
  });

  test("IPv6 in every blocked range, in any spelling, bracketed in a URL and as a DNS answer", () => {
    fc.assert(
      fc.property(
        fc.oneof(...V6_BLOCKED.map(v6In)).chain((p) => v6Text(p)),
        (text) => neverAllowed(`http://[${text}]/`) && !classifyIp(text).allowed,
      ),
      { numRuns: 10_000 },
    );
  });

  test("nothing outside IPv6 global unicast 2000::/3 passes, except mapped public IPv4", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (parts) => {
        const addr = new ipaddr.IPv6(parts);
        const v = classifyIp(addr.toString());
        if (addr.match(ipaddr.IPv6.parse("2000::"), 3) || addr.isIPv4MappedAddress()) return true;
        return !v.allowed;
      }),
      { numRuns: 10_000 },
    );
  });

  test("public IPv4 passes in any spelling and is pinned to its canonical form", () => {
    const isBlocked = (n: number) =>
      V4_BLOCKED.some(([base, bits]) => ipaddr.IPv4.parse(octets(n).join(".")).match(ipaddr.IPv4.parse(base), bits));
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 2 ** 32 - 1 })
          .filter((n) => !isBlocked(n) && !(octets(n)[0] === 192 && octets(n)[1] === 88 && octets(n)[2] === 99))
          .chain((n) => fc.tuple(fc.constant(n), v4Text(n))),
        ([n, text]) => checkUrl(`http://${text}/`).literal?.address === octets(n).join("."),
      ),
      { numRuns: 2_000 },
    );
  });
});
