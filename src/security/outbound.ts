// The one guarded fetch for outbound requests (webhook forwarding, cron fetch, voice endpoint).
// Bun's fetch has no DNS hook, so each hop is checked and resolved here and the request is sent to
// the CHECKED IP with `Host` and `tls.serverName` set to the original name: DNS cannot change
// between check and connect. Redirects are followed by hand so every hop is checked again.
import { logger } from "../log/logger.ts";
import { readCapped, StreamTooLargeError } from "./read-capped.ts";
import { type Allowlist, checkUrlWithDns, errorCode, type Resolver, SsrfError, safeOrigin } from "./ssrf.ts";

export type FetchImpl = (url: string, init: BunFetchRequestInit) => Promise<Response>;

export interface GuardedInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;
  /** Bytes or text only, so 307/308 can resend it. */
  readonly body?: string | Uint8Array | null;
}

export interface GuardedFetchOptions {
  readonly resolver?: Resolver;
  readonly allowlist?: Allowlist;
  /** Redirects followed (default 3); one more is `ssrf.too_many_redirects`. */
  readonly maxRedirects?: number;
  /** Response body cap, enforced while streaming. */
  readonly maxBytes: number;
  /** Total time for every hop, DNS and body included. */
  readonly timeoutMs: number;
  readonly fetchImpl?: FetchImpl;
  /** Caller cancellation, combined with the timeout. */
  readonly signal?: AbortSignal;
}

export interface GuardedResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
  /** The logical URL of the last hop (a hostname, not the pinned IP). */
  readonly finalUrl: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Sent on to another origin after a redirect; everything else (Authorization, API keys, signatures)
// was meant for the first origin only.
const CROSS_ORIGIN_SAFE = new Set(["accept", "accept-language", "content-language", "content-type", "user-agent"]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\r\n\0]/;

/** Validates caller headers before anything is sent: CR, LF and NUL would split the request. */
function buildHeaders(input: GuardedInit["headers"]): Array<[string, string]> {
  const pairs = input === undefined ? [] : Array.isArray(input) ? input : Object.entries(input);
  const out: Array<[string, string]> = [];
  for (const [name, value] of pairs as ReadonlyArray<readonly [string, string]>) {
    if (!TOKEN.test(name))
      throw new SsrfError("ssrf.bad_header", `invalid header name '${name.replace(/[^\x20-\x7e]/g, "?")}'`);
    if (BAD_VALUE.test(value)) {
      throw new SsrfError("ssrf.bad_header", `header '${name}' contains CR, LF or NUL`);
    }
    if (name.toLowerCase() === "host") throw new SsrfError("ssrf.bad_header", "header 'Host' is set from the URL");
    out.push([name, value]);
  }
  return out;
}

// No `cause` on these: Bun's fetch errors quote the full pinned URL, query string included.
function abortError(signal: AbortSignal, origin: string): SsrfError {
  const reason: unknown = signal.reason;
  if (reason instanceof DOMException && reason.name === "TimeoutError") {
    return new SsrfError("ssrf.timeout", `request to ${origin} timed out`);
  }
  return new SsrfError("ssrf.network", `request to ${origin} was aborted`);
}

/** Races a promise that takes no signal (the resolver) against the abort signal. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function readResponseCapped(res: Response, maxBytes: number, origin: string): Promise<Uint8Array> {
  const tooLarge = () => new SsrfError("ssrf.too_large", `response from ${origin} exceeds ${maxBytes} bytes`);
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  try {
    return await readCapped(res.body, maxBytes);
  } catch (e) {
    if (e instanceof StreamTooLargeError) throw tooLarge();
    throw e;
  }
}

/**
 * fetch with the SSRF guard: every hop checked, resolved and pinned; redirects by hand (301/302
 * POST → GET, 303 → GET, 307/308 keep method and body); headers other than a safe few dropped on a
 * cross-origin hop; body capped while streaming; one deadline for the whole call.
 * Environment proxies are ignored (`proxy: false`): the connection must go to the checked address.
 */
export async function guardedFetch(
  input: string | URL,
  init: GuardedInit,
  opts: GuardedFetchOptions,
): Promise<GuardedResponse> {
  const fetchImpl: FetchImpl = opts.fetchImpl ?? ((url, i) => fetch(url, i));
  const maxRedirects = opts.maxRedirects ?? 3;
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;

  let headers = buildHeaders(init.headers);
  let method = (init.method ?? "GET").toUpperCase();
  let body = init.body ?? null;
  let next: string | URL = input;
  let origin = "the target";

  for (let hop = 0; ; hop++) {
    try {
      const target = await raceAbort(
        checkUrlWithDns(next, { resolver: opts.resolver, allowlist: opts.allowlist }),
        signal,
      );
      origin = safeOrigin(target.url);
      const sent = new Headers(headers);
      sent.set("host", target.hostHeader);
      const res = await fetchImpl(target.pinnedUrl, {
        method,
        headers: sent,
        body,
        redirect: "manual",
        signal,
        keepalive: false,
        proxy: false,
        ...(target.serverName ? { tls: { serverName: target.serverName } } : {}),
      });

      const location = res.headers.get("location");
      if (!REDIRECTS.has(res.status) || location === null) {
        const bytes = await readResponseCapped(res, opts.maxBytes, origin);
        return { status: res.status, headers: res.headers, body: bytes, finalUrl: target.url.href };
      }
      await res.body?.cancel().catch(() => undefined);
      if (hop >= maxRedirects) {
        throw new SsrfError("ssrf.too_many_redirects", `more than ${maxRedirects} redirects, last from ${origin}`);
      }
      let to: URL;
      try {
        to = new URL(location, target.url);
      } catch (cause) {
        throw new SsrfError("ssrf.invalid_url", `redirect from ${origin} has an invalid Location`, { cause });
      }
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        if (method !== "HEAD") method = "GET";
        body = null;
        headers = headers.filter(([n]) => !/^content-/i.test(n));
      }
      if (to.origin !== target.url.origin) headers = headers.filter(([n]) => CROSS_ORIGIN_SAFE.has(n.toLowerCase()));
      logger().debug({ from: origin, to: safeOrigin(to), status: res.status }, "ssrf.redirect");
      next = to;
    } catch (err) {
      if (signal.aborted && !(err instanceof SsrfError && err.code !== "ssrf.network")) {
        throw abortError(signal, origin);
      }
      if (err instanceof SsrfError) throw err;
      throw new SsrfError("ssrf.network", `request to ${origin} failed: ${errorCode(err)}`);
    }
  }
}
