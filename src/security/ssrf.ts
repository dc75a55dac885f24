// SSRF guard for every outbound request (webhook forwarding, cron fetch, voice endpoint).
// Stricter than the original (behaviour §3.11): IP literals are classified after the WHATWG parser
// has normalised every IPv4 spelling, IPv6 is allowed only inside global unicast 2000::/3, NAT64 /
// 6to4 / Teredo / CGNAT are blocked, a name passes only if ALL its addresses pass, and the checked
// address is returned so the caller connects to exactly that address (no DNS rebinding window).
import ipaddr from "ipaddr.js";
import { UntetherError } from "../errors.ts";
import { logger } from "../log/logger.ts";

export type SsrfErrorCode =
  | "ssrf.invalid_url"
  | "ssrf.scheme"
  | "ssrf.userinfo"
  | "ssrf.blocked_ip"
  | "ssrf.blocked_name"
  | "ssrf.dns_failed"
  | "ssrf.dns_blocked"
  | "ssrf.invalid_allowlist"
  | "ssrf.bad_header"
  | "ssrf.too_many_redirects"
  | "ssrf.too_large"
  | "ssrf.timeout"
  | "ssrf.network";

export class SsrfError extends UntetherError {
  declare readonly code: SsrfErrorCode;

  constructor(code: SsrfErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** host → its addresses as text. Injected so tests never touch real DNS. */
export type Resolver = (host: string) => Promise<string[]>;

type Addr = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = readonly [Addr, number];

/** Parsed CIDR allowlist; build it with {@link parseAllowlist}. */
export interface Allowlist {
  readonly entries: readonly Cidr[];
}

export const EMPTY_ALLOWLIST: Allowlist = { entries: [] };

export const defaultResolver: Resolver = async (host) => {
  const records = await Bun.dns.lookup(host, {});
  return records.map((r) => r.address);
};

function cidr(text: string): Cidr {
  return ipaddr.parseCIDR(text);
}

interface Range {
  readonly net: Cidr;
  readonly why: string;
}

// Most specific first, so the reason names the narrowest range (metadata before link-local).
function table(rows: ReadonlyArray<readonly [string, string]>): readonly Range[] {
  return rows.map(([c, why]) => ({ net: cidr(c), why })).sort((a, b) => b.net[1] - a.net[1]);
}

const V4_BLOCKED = table([
  ["0.0.0.0/8", "unspecified / 'this network' (0.0.0.0/8)"],
  ["10.0.0.0/8", "private (10.0.0.0/8)"],
  ["100.64.0.0/10", "carrier-grade NAT (100.64.0.0/10)"],
  ["127.0.0.0/8", "loopback (127.0.0.0/8)"],
  ["169.254.169.254/32", "cloud metadata endpoint (169.254.169.254)"],
  ["169.254.0.0/16", "link-local (169.254.0.0/16)"],
  ["172.16.0.0/12", "private (172.16.0.0/12)"],
  ["192.0.0.0/24", "IETF protocol assignments (192.0.0.0/24)"],
  ["192.0.2.0/24", "documentation (192.0.2.0/24)"],
  ["192.88.99.0/24", "6to4 relay anycast (192.88.99.0/24)"],
  ["192.168.0.0/16", "private (192.168.0.0/16)"],
  ["198.18.0.0/15", "benchmarking (198.18.0.0/15)"],
  ["198.51.100.0/24", "documentation (198.51.100.0/24)"],
  ["203.0.113.0/24", "documentation (203.0.113.0/24)"],
  ["224.0.0.0/4", "multicast (224.0.0.0/4)"],
  ["255.255.255.255/32", "broadcast (255.255.255.255)"],
  ["240.0.0.0/4", "reserved (240.0.0.0/4)"],
]);

const COMPAT_WHY = "IPv4-compatible (::/96, deprecated)";

// Anything outside 2000::/3 is blocked anyway (fail closed); these rows give precise reasons and
// cover the special blocks inside 2000::/3. ::ffff:0:0/96 is handled before this table.
const V6_BLOCKED = table([
  ["::/128", "unspecified (::)"],
  ["::1/128", "loopback (::1)"],
  ["::/96", COMPAT_WHY],
  ["64:ff9b::/96", "NAT64 (64:ff9b::/96): the IPv4 behind it cannot be checked"],
  ["64:ff9b:1::/48", "local-use NAT64 (64:ff9b:1::/48): the IPv4 behind it cannot be checked"],
  ["100::/64", "discard-only (100::/64)"],
  ["2001::/23", "IETF protocol assignments (2001::/23)"],
  ["2001::/32", "Teredo (2001::/32): tunnels to an unchecked IPv4"],
  ["2001:10::/28", "ORCHID (2001:10::/28)"],
  ["2001:20::/28", "ORCHIDv2 (2001:20::/28)"],
  ["2001:db8::/32", "documentation (2001:db8::/32)"],
  ["2002::/16", "6to4 (2002::/16): tunnels to an unchecked IPv4"],
  ["3fff::/20", "documentation (3fff::/20)"],
  ["5f00::/16", "SRv6 SIDs (5f00::/16)"],
  ["fc00::/7", "unique-local (fc00::/7)"],
  ["fe80::/10", "link-local (fe80::/10)"],
  ["fec0::/10", "site-local (fec0::/10)"],
  ["ff00::/8", "multicast (ff00::/8)"],
]);

const GLOBAL_UNICAST = cidr("2000::/3");

/** Names refused before any DNS lookup (they resolve locally or only inside a private network). */
const BLOCKED_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa", ".localdomain"];

export type IpVerdict =
  | { readonly allowed: true; readonly address: string; readonly family: 4 | 6; readonly allowlisted: boolean }
  | { readonly allowed: false; readonly reason: string };

function inCidr(addr: Addr, net: Cidr): boolean {
  return addr.kind() === net[0].kind() && addr.match(net[0], net[1]);
}

function parseStrict(text: string): Addr | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(":") && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}

function allowlisted(addrs: readonly Addr[], allowlist: Allowlist): boolean {
  return allowlist.entries.some((net) => addrs.some((a) => inCidr(a, net)));
}

/**
 * Classifies one address given as canonical text (a DNS answer, or a URL host without brackets).
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as its IPv4 and, when allowed, the IPv4 is what to
 * connect to — a mapped PUBLIC address passes, a mapped private one is blocked. IPv4-compatible
 * (::a.b.c.d) is deprecated and always blocked. The allowlist is consulted first and wins.
 */
export function classifyIp(text: string, allowlist: Allowlist = EMPTY_ALLOWLIST): IpVerdict {
  const parsed = parseStrict(text);
  if (!parsed) return { allowed: false, reason: "not a canonical IP address" };
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).zoneId !== undefined) {
    return { allowed: false, reason: "IPv6 zone ids are not allowed" };
  }
  const v6 = parsed.kind() === "ipv6" ? (parsed as ipaddr.IPv6) : undefined;
  const effective: Addr = v6?.isIPv4MappedAddress() ? v6.toIPv4Address() : parsed;
  const family = effective.kind() === "ipv4" ? 4 : 6;
  const address = effective.toString();
  if (allowlisted([parsed, effective], allowlist)) return { allowed: true, address, family, allowlisted: true };

  const mapped = effective !== parsed ? "IPv4-mapped " : "";
  const rows = family === 4 ? V4_BLOCKED : V6_BLOCKED;
  const hit = rows.find((r) => inCidr(effective, r.net));
  if (hit) {
    // Say what an IPv4-compatible address embeds, so the reason is useful.
    const embedded = v6 && hit.why === COMPAT_WHY ? embeddedV4Reason(v6) : "";
    return { allowed: false, reason: `${mapped}${hit.why}${embedded}` };
  }
  if (family === 6 && !inCidr(effective, GLOBAL_UNICAST)) {
    return { allowed: false, reason: "not IPv6 global unicast (outside 2000::/3)" };
  }
  return { allowed: true, address, family, allowlisted: false };
}

function embeddedV4Reason(v6: ipaddr.IPv6): string {
  const b = v6.toByteArray().slice(12);
  const v4 = new ipaddr.IPv4(b);
  const hit = V4_BLOCKED.find((r) => inCidr(v4, r.net));
  return hit ? `; embeds ${v4.toString()}, ${hit.why}` : `; embeds ${v4.toString()}`;
}

/**
 * Parses allowlist entries: CIDRs, or bare IPs meaning /32 or /128. IPv4 must be four-part decimal
 * (no octal/hex ambiguity in config). Throws `ssrf.invalid_allowlist` naming the bad entry.
 */
export function parseAllowlist(entries: readonly string[]): Allowlist {
  const out: Cidr[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    const [ip = "", bits, ...rest] = entry.split("/");
    const addr = parseStrict(ip);
    const invalid = new SsrfError("ssrf.invalid_allowlist", `invalid CIDR/IP entry: '${entry}'`);
    if (!addr || rest.length > 0 || (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).zoneId !== undefined)) {
      throw invalid;
    }
    const max = addr.kind() === "ipv4" ? 32 : 128;
    if (bits === undefined) {
      out.push([addr, max]);
      continue;
    }
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) throw invalid;
    out.push([addr, Number(bits)]);
  }
  return { entries: out };
}

/** scheme://host[:port] only — never path, query or userinfo (webhook paths often carry tokens). */
export function safeOrigin(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

export interface CheckedUrl {
  /** Normalised URL (hostname lower-case, IDNA, trailing dots removed). */
  readonly url: URL;
  /** For an IP-literal URL: the address to connect to. Undefined for names (resolve them). */
  readonly literal?: { readonly address: string; readonly family: 4 | 6 };
  /** A name from the local-only list, let through only because an allowlist is configured. */
  readonly specialName: boolean;
}

function isSpecialName(host: string): boolean {
  if (host === "localhost" || host === "localhost.localdomain") return true;
  if (!host.includes(".")) return true; // bare single label: resolved via search domains / hosts file
  return BLOCKED_SUFFIXES.some((s) => host.endsWith(s) || host === s.slice(1));
}

function parseUrl(input: string | URL): URL {
  try {
    return new URL(String(input));
  } catch (cause) {
    const text = String(input);
    const zone = /\[[^\]]*%/.test(text) ? " (IPv6 zone ids are not allowed)" : "";
    throw new SsrfError("ssrf.invalid_url", `not a valid URL${zone}`, { cause });
  }
}

/**
 * Synchronous checks: scheme, userinfo, IP literals (every spelling, after WHATWG normalisation) and
 * local-only names. Names that pass still need {@link resolveChecked}.
 */
export function checkUrl(input: string | URL, allowlist: Allowlist = EMPTY_ALLOWLIST): CheckedUrl {
  const url = parseUrl(input);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    const scheme = url.protocol.slice(0, -1);
    throw new SsrfError("ssrf.scheme", `Scheme '${scheme}' not allowed; permitted: http, https`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new SsrfError("ssrf.userinfo", `credentials in the URL (user:pass@) are not allowed: ${safeOrigin(url)}`);
  }
  const host = url.hostname;
  if (host.startsWith("[")) return checkLiteral(url, host.slice(1, -1), allowlist);
  if (ipaddr.IPv4.isValidFourPartDecimal(host)) return checkLiteral(url, host, allowlist);

  const name = host.replace(/\.+$/, "");
  if (name === "") throw new SsrfError("ssrf.invalid_url", "URL has no hostname");
  if (name !== host) url.hostname = name;
  if (isSpecialName(name)) {
    if (allowlist.entries.length > 0) return { url, specialName: true };
    throw new SsrfError(
      "ssrf.blocked_name",
      `Blocked: '${name}' is a local-only name (localhost, *.local, *.internal, *.home.arpa or a single label)`,
    );
  }
  return { url, specialName: false };
}

function checkLiteral(url: URL, ip: string, allowlist: Allowlist): CheckedUrl {
  const verdict = classifyIp(ip, allowlist);
  if (!verdict.allowed) {
    logger().warn({ host: url.host, reason: verdict.reason }, "ssrf.blocked_ip");
    throw new SsrfError("ssrf.blocked_ip", `Blocked: ${url.host} is in a private/reserved range: ${verdict.reason}`);
  }
  return { url, literal: { address: verdict.address, family: verdict.family }, specialName: false };
}

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export interface ResolveOptions {
  readonly resolver?: Resolver;
  readonly allowlist?: Allowlist;
  /** Every address must be allowlisted (local-only names let through by the allowlist). */
  readonly requireAllowlisted?: boolean;
}

/** An error's `code` (ENOTFOUND, ERR_TLS_…) or name — never its message, which may quote a URL. */
export function errorCode(err: unknown): string {
  if (err && typeof err === "object" && "code" in err && typeof err.code === "string") return err.code;
  return err instanceof Error ? err.name : "unknown error";
}

/** Resolves `host`; passes only if EVERY answer passes. Returns the checked addresses. */
export async function resolveChecked(host: string, opts: ResolveOptions = {}): Promise<ResolvedAddress[]> {
  const resolver = opts.resolver ?? defaultResolver;
  const allowlist = opts.allowlist ?? EMPTY_ALLOWLIST;
  let answers: string[];
  try {
    answers = await resolver(host);
  } catch (cause) {
    throw new SsrfError("ssrf.dns_failed", `DNS resolution failed for '${host}': ${errorCode(cause)}`, { cause });
  }
  if (answers.length === 0) throw new SsrfError("ssrf.dns_failed", `No DNS results for '${host}'`);

  const ok: ResolvedAddress[] = [];
  const blocked: string[] = [];
  for (const answer of answers) {
    const v = classifyIp(answer, allowlist);
    if (v.allowed && (v.allowlisted || !opts.requireAllowlisted)) ok.push({ address: v.address, family: v.family });
    else blocked.push(`${answer} (${v.allowed ? "local-only name needs an allowlisted address" : v.reason})`);
  }
  if (blocked.length > 0) {
    logger().warn({ host, blocked }, "ssrf.dns_blocked");
    throw new SsrfError(
      "ssrf.dns_blocked",
      `Blocked: '${host}' resolves to ${blocked.length} of ${answers.length} address(es) in private/reserved ranges: ${blocked.join(", ")}`,
    );
  }
  return ok;
}

export interface PinnedTarget {
  /** The logical URL (what redirects resolve against, what callers report). */
  readonly url: URL;
  /** The checked address the connection must go to. */
  readonly address: string;
  readonly family: 4 | 6;
  /** Same path and query as `url`, host replaced by the checked address. */
  readonly pinnedUrl: string;
  /** Value for the Host header (name plus non-default port). */
  readonly hostHeader: string;
  /** SNI and certificate name for https to a hostname; undefined for IP literals. */
  readonly serverName?: string;
}

/** checkUrl + DNS check; the result says which address to connect to. */
export async function checkUrlWithDns(input: string | URL, opts: ResolveOptions = {}): Promise<PinnedTarget> {
  const allowlist = opts.allowlist ?? EMPTY_ALLOWLIST;
  const checked = checkUrl(input, allowlist);
  const { url } = checked;
  const target =
    checked.literal ??
    (await resolveChecked(url.hostname, { ...opts, allowlist, requireAllowlisted: checked.specialName }))[0];
  if (!target) throw new SsrfError("ssrf.dns_failed", `No DNS results for '${url.hostname}'`);
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const ipHost = target.family === 6 ? `[${target.address}]` : target.address;
  return {
    url,
    address: target.address,
    family: target.family,
    pinnedUrl: `${url.protocol}//${ipHost}:${port}${url.pathname}${url.search}`,
    hostHeader: url.host,
    serverName: checked.literal || url.protocol !== "https:" ? undefined : url.hostname,
  };
}
