// The pre-auth guard of the webhook server: a token bucket per peer address that only failed
// requests spend (bad signature or token, oversized or broken body). A peer whose bucket is empty is
// answered 429 before its body is read and before any HMAC is computed, so a flood of badly signed
// requests from one address costs a map lookup each. Senders whose requests authenticate never spend
// a token, never get a bucket, and are never slowed by it. The clock is injected (epoch ms).
import ipaddr from "ipaddr.js";
import { RateLimitError } from "./rate-limit.ts";

export type PeerCheck = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface PeerFailureLimiterOptions {
  /** Failures one peer may cause per minute, also the burst; 0 turns the guard off. */
  failuresPerMinute: number;
  now: () => number;
  /** Most peers tracked at once (default 10 000); past it the oldest are forgotten in batches. */
  maxPeers?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export const DEFAULT_MAX_PEERS = 10_000;

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const DOTTED_QUAD = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/**
 * The key a peer's failures are counted under: an IPv4 address as is (also when it arrives
 * IPv4-mapped), an IPv6 address by its /64 (one host usually holds a whole /64, so per-address keys
 * would let it rotate without limit), anything unparseable or missing as "unknown".
 */
export function peerKey(address: string | undefined | null): string {
  if (address === undefined || address === null) return "unknown";
  // The common case, as the server reports it, without a parse.
  if (DOTTED_QUAD.test(address)) return address;
  // Four-part decimal only: ipaddr would also read "1.2.3" as an address.
  if (!ipaddr.IPv4.isValidFourPartDecimal(address) && !ipaddr.IPv6.isValid(address)) return "unknown";
  const ip = ipaddr.process(address);
  if (ip.kind() === "ipv4") return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(":")}::/64`;
}

export class PeerFailureLimiter {
  // Insertion order = first failure seen; eviction walks it from the front, once per batch.
  readonly #buckets = new Map<string, Bucket>();
  readonly #rate: number;
  readonly #now: () => number;
  readonly #maxPeers: number;

  constructor(opts: PeerFailureLimiterOptions) {
    if (!Number.isFinite(opts.failuresPerMinute) || opts.failuresPerMinute < 0) {
      throw new RateLimitError(
        "rate_limit.invalid",
        `[triggers.server] peer_failures_per_minute must be a number ≥ 0 (got ${opts.failuresPerMinute})`,
      );
    }
    this.#rate = opts.failuresPerMinute;
    this.#now = opts.now;
    this.#maxPeers = Math.max(1, opts.maxPeers ?? DEFAULT_MAX_PEERS);
  }

  get enabled(): boolean {
    return this.#rate > 0;
  }

  /** Peers currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Before reading anything: may this peer be heard? Spends nothing and stores nothing. `key` is
   * called only when some peer has failed (so a quiet server never even looks at addresses).
   */
  check(key: string | (() => string)): PeerCheck {
    if (this.#rate === 0 || this.#buckets.size === 0) return { ok: true };
    const bucket = this.#buckets.get(typeof key === "string" ? key : key());
    if (bucket === undefined) return { ok: true };
    const tokens = this.#refilled(bucket, this.#now());
    if (tokens >= 1 - 1e-9) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / (this.#rate / 60))) };
  }

  /**
   * Counts one failed request against the peer. True when this failure emptied the bucket (the
   * moment worth one log line; the 429s that follow are not logged one by one).
   */
  fail(key: string): boolean {
    if (this.#rate === 0) return false;
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      this.#makeRoom(now);
      bucket = { tokens: this.#rate, at: now };
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = this.#refilled(bucket, now);
      bucket.at = Math.max(bucket.at, now);
    }
    const before = bucket.tokens;
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    return before >= 1 - 1e-9 && bucket.tokens < 1 - 1e-9;
  }

  // A clock that steps backwards refills nothing.
  #refilled(b: Bucket, now: number): number {
    return Math.min(this.#rate, b.tokens + (Math.max(0, now - b.at) / 60_000) * this.#rate);
  }

  // Full: forget every bucket that has refilled (it equals no bucket), then the oldest, until an
  // eighth of the room is free, so the walk over the map happens once per batch, not per new peer.
  #makeRoom(now: number): void {
    if (this.#buckets.size < this.#maxPeers) return;
    const target = this.#maxPeers - Math.max(1, Math.floor(this.#maxPeers / 8));
    for (const [key, b] of this.#buckets) {
      if (this.#refilled(b, now) >= this.#rate) this.#buckets.delete(key);
    }
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= target) break;
      this.#buckets.delete(key);
    }
  }
}
