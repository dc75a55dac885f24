// Who may talk to the webhook server: requests must name the server (Host = the bound address or the
// configured public host) and must not come from a web browser. Against a web page that POSTs to
// http://127.0.0.1:9876/... (a form with a text/plain JSON body) and against DNS rebinding, where a
// page on evil.example re-resolves its own name to 127.0.0.1 and the browser sends Host: evil.example.
import ipaddr from "ipaddr.js";

export type RequestGuardResult =
  | { ok: true }
  | { ok: false; status: 421 | 403; text: string; reason: "missing_host" | "unknown_host" | "browser" };

const WILDCARDS = new Set(["0.0.0.0", "::"]);

/**
 * Loopback: `localhost` (any case) or an IP literal in 127.0.0.0/8 or ::1, brackets allowed.
 * Wildcards (`0.0.0.0`, `::`) are not. The one test the config rules, the doctor and the webhook
 * server share.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().replace(/^\[(.*)\]$/, "$1");
  if (h.toLowerCase() === "localhost") return true;
  if (!ipaddr.isValid(h)) return false;
  return ipaddr.process(h).range() === "loopback";
}

/** `127.0.0.1` → `127.0.0.1`, `::1` or `[::1]` → `[::1]`, names lower-cased. */
function hostLiteral(host: string): string {
  const h = host
    .trim()
    .replace(/^\[(.*)\]$/, "$1")
    .toLowerCase();
  if (ipaddr.IPv6.isValid(h)) return `[${ipaddr.IPv6.parse(h).toString()}]`;
  return h;
}

/**
 * The Host header values a request may carry, lower-cased: the bind address with its port, the
 * loopback names that reach that bind (`localhost`, `127.0.0.1`, `[::1]`), and `publicHost` exactly
 * as configured (what a reverse proxy forwards). On port 80 the names without a port are accepted too.
 */
export function allowedHostHeaders(bindHost: string, port: number, publicHost?: string): Set<string> {
  const bind = hostLiteral(bindHost);
  const names = new Set<string>();
  if (WILDCARDS.has(bind.replace(/^\[(.*)\]$/, "$1"))) {
    // 0.0.0.0 is reachable over IPv4 loopback; :: over both (dual stack).
    names.add("127.0.0.1").add("localhost");
    if (bind === "[::]") names.add("[::1]");
  } else {
    names.add(bind);
    if (bind === "localhost") names.add("127.0.0.1").add("[::1]");
    else if (bind === "127.0.0.1" || bind === "[::1]") names.add("localhost");
  }
  const out = new Set<string>();
  for (const n of names) {
    out.add(`${n}:${port}`);
    if (port === 80) out.add(n);
  }
  if (publicHost !== undefined) out.add(publicHost.trim().toLowerCase());
  return out;
}

// One shared answer for the common case: this runs on every request.
const SOURCE_OK: RequestGuardResult = Object.freeze({ ok: true });

/**
 * Refuses a request without a Host header or with one not in `allowed` (421), and any request a
 * browser made on a web page's behalf (403): an `Origin` header, or `Sec-Fetch-Site` other than
 * `none` (`none` = the user typed the address). Webhook senders (GitHub, CI, curl) send neither.
 */
export function checkRequestSource(headers: Headers, allowed: ReadonlySet<string>): RequestGuardResult {
  const host = headers.get("host");
  if (host === null || host.trim() === "") {
    return { ok: false, status: 421, text: "misdirected request", reason: "missing_host" };
  }
  if (!allowed.has(host.trim().toLowerCase())) {
    return { ok: false, status: 421, text: "misdirected request", reason: "unknown_host" };
  }
  const site = headers.get("sec-fetch-site");
  if (headers.has("origin") || (site !== null && site.trim().toLowerCase() !== "none")) {
    return { ok: false, status: 403, text: "browser requests are refused", reason: "browser" };
  }
  return SOURCE_OK;
}
