import { describe, expect, test } from "bun:test";
import { allowedHostHeaders, checkRequestSource, isLoopbackHost } from "../../src/security/host-guard.ts";

const sorted = (s: Set<string>) => [...s].sort();

describe("allowedHostHeaders", () => {
  test("a 127.0.0.1 bind: the literal and localhost, with the port", () => {
    expect(sorted(allowedHostHeaders("127.0.0.1", 9876))).toEqual(["127.0.0.1:9876", "localhost:9876"]);
  });

  test("::1, localhost, another loopback address, a LAN address", () => {
    expect(sorted(allowedHostHeaders("::1", 9876))).toEqual(["[::1]:9876", "localhost:9876"]);
    expect(sorted(allowedHostHeaders("[::1]", 9876))).toEqual(["[::1]:9876", "localhost:9876"]);
    expect(sorted(allowedHostHeaders("LocalHost", 9876))).toEqual(["127.0.0.1:9876", "[::1]:9876", "localhost:9876"]);
    // localhost does not resolve to 127.0.0.2, so only the literal reaches that bind.
    expect(sorted(allowedHostHeaders("127.0.0.2", 9876))).toEqual(["127.0.0.2:9876"]);
    expect(sorted(allowedHostHeaders("192.168.1.5", 9876))).toEqual(["192.168.1.5:9876"]);
  });

  test("wildcard binds accept the loopback names only (anything else needs public_host)", () => {
    expect(sorted(allowedHostHeaders("0.0.0.0", 9876))).toEqual(["127.0.0.1:9876", "localhost:9876"]);
    expect(sorted(allowedHostHeaders("::", 9876))).toEqual(["127.0.0.1:9876", "[::1]:9876", "localhost:9876"]);
  });

  test("public_host is added exactly as configured (lower-cased); port 80 also without the port", () => {
    expect(allowedHostHeaders("127.0.0.1", 9876, "Hooks.Example.com").has("hooks.example.com")).toBe(true);
    expect(allowedHostHeaders("127.0.0.1", 9876, "hooks.example.com").has("hooks.example.com:443")).toBe(false);
    expect(sorted(allowedHostHeaders("127.0.0.1", 80))).toEqual([
      "127.0.0.1",
      "127.0.0.1:80",
      "localhost",
      "localhost:80",
    ]);
  });
});

describe("checkRequestSource", () => {
  const allowed = allowedHostHeaders("127.0.0.1", 9876, "hooks.example.com");
  const check = (h: Record<string, string>) => checkRequestSource(new Headers(h), allowed);

  test("a webhook sender naming the bound address or the public host passes", () => {
    expect(check({ host: "127.0.0.1:9876" })).toEqual({ ok: true });
    expect(check({ host: "LOCALHOST:9876" })).toEqual({ ok: true });
    expect(check({ host: "hooks.example.com" })).toEqual({ ok: true });
    expect(check({ host: "127.0.0.1:9876", "sec-fetch-site": "none" })).toEqual({ ok: true });
  });

  test("a missing or foreign Host is 421 (DNS rebinding sends the attacker's name)", () => {
    expect(check({})).toMatchObject({ ok: false, status: 421, reason: "missing_host" });
    expect(check({ host: " " })).toMatchObject({ ok: false, status: 421, reason: "missing_host" });
    for (const host of [
      "evil.example:9876",
      "127.0.0.1:9877",
      "127.0.0.1",
      "localhost",
      "hooks.example.com:8443",
      "127.0.0.1:9876.evil.example",
    ]) {
      expect(check({ host })).toMatchObject({ ok: false, status: 421, reason: "unknown_host" });
    }
  });

  test("a browser-made request is 403: any Origin (even null), any Sec-Fetch-Site but none", () => {
    const browsers: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { origin: "http://127.0.0.1:9876" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { "sec-fetch-site": "same-origin" },
    ];
    for (const extra of browsers) {
      expect(check({ host: "127.0.0.1:9876", ...extra })).toMatchObject({ ok: false, status: 403, reason: "browser" });
    }
  });
});

describe("isLoopbackHost (config rules, doctor and the webhook server share it)", () => {
  test("localhost in any case, 127/8 and ::1, bracketed or padded; never a wildcard or another address", () => {
    for (const h of [
      "127.0.0.1",
      "127.8.9.10",
      "::1",
      "[::1]",
      "localhost",
      "LocalHost",
      " 127.0.0.1 ",
      "::ffff:127.0.0.1",
    ])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ["0.0.0.0", "::", "[::]", "192.168.1.2", "example.com", "", "10.0.0.1", "localhost.evil.example"])
      expect(isLoopbackHost(h)).toBe(false);
  });
});
