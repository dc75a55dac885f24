// Token buckets for the webhook server: capacity = rate per minute, full at first sight of a key,
// refilled continuously at rate/60 tokens per second, one token per request. The clock is injected
// (epoch ms) so tests are deterministic.
import { UntetherError } from "../errors.ts";

export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface TokenBucketOptions {
  /** Requests per minute; also the burst capacity. */
  ratePerMinute: number;
  now: () => number;
  /** Most keys tracked at once (default 10 000). */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
  capacity: number;
}

export class RateLimitError extends UntetherError {}

function checkRate(rate: number): number {
  if (!Number.isFinite(rate) || rate < 1) {
    throw new RateLimitError("rate_limit.invalid", `rate limit must be a number ≥ 1 per minute (got ${rate})`);
  }
  return rate;
}

const PASS: { readonly ok: true } = Object.freeze({ ok: true });

function answer(bucket: Bucket): TakeResult {
  // The epsilon absorbs float rounding, so waiting exactly retryAfterSeconds always suffices.
  if (bucket.tokens >= 1 - 1e-9) return PASS;
  const perSecond = bucket.capacity / 60;
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
}

export class TokenBucketLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #rate: number;
  readonly #now: () => number;
  readonly #maxKeys: number;

  constructor(opts: TokenBucketOptions) {
    this.#rate = checkRate(opts.ratePerMinute);
    this.#now = opts.now;
    this.#maxKeys = Math.max(1, opts.maxKeys ?? 10_000);
  }

  /** Spends one token for `key`, or says how long until one is available. */
  take(key: string, ratePerMinute?: number): TakeResult {
    const bucket = this.#bucket(key, ratePerMinute);
    const result = answer(bucket);
    if (result.ok) bucket.tokens -= 1;
    return result;
  }

  /** Like take() without spending: would a request for `key` pass now? */
  peek(key: string, ratePerMinute?: number): TakeResult {
    return answer(this.#bucket(key, ratePerMinute));
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** The refilled bucket for `key`, created full; most recently used keys live at the end. */
  #bucket(key: string, ratePerMinute?: number): Bucket {
    const capacity = ratePerMinute === undefined ? this.#rate : checkRate(ratePerMinute);
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: capacity, at: now, capacity };
      this.#evictFor(now);
    } else {
      this.#buckets.delete(key);
      // A clock that steps backwards refills nothing (and never drains).
      const elapsedSeconds = Math.max(0, now - bucket.at) / 1000;
      bucket.capacity = capacity;
      bucket.tokens = Math.min(capacity, bucket.tokens + (elapsedSeconds * capacity) / 60);
      bucket.at = Math.max(bucket.at, now);
    }
    this.#buckets.set(key, bucket);
    return bucket;
  }

  // Room for one more key: first forget buckets that have refilled (they equal a fresh one), then
  // the least recently used.
  #evictFor(now: number): void {
    if (this.#buckets.size < this.#maxKeys) return;
    for (const [key, b] of this.#buckets) {
      if (b.tokens + (Math.max(0, now - b.at) / 1000) * (b.capacity / 60) >= b.capacity) this.#buckets.delete(key);
    }
    while (this.#buckets.size >= this.#maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (oldest.done === true) return;
      this.#buckets.delete(oldest.value);
    }
  }
}

export const GLOBAL_RATE_KEY = "__global__";

export interface WebhookRateLimiterOptions {
  /** Default per-webhook rate (per minute). */
  perWebhookPerMinute: number;
  /** Rate shared by all webhooks together (per minute). */
  globalPerMinute: number;
  now: () => number;
  maxKeys?: number;
}

export type WebhookTakeResult = { ok: true } | { ok: false; retryAfterSeconds: number; scope: "webhook" | "global" };

/**
 * Per-webhook bucket first, then the global one. A request spends a token from both or from neither:
 * a per-webhook denial does not drain the global bucket, and a global denial does not drain the
 * webhook's own bucket. The global rate must exceed the per-webhook one (the server uses their sum),
 * or one hook at its limit empties the global bucket and starves every other hook.
 */
export class WebhookRateLimiter {
  readonly #perWebhook: TokenBucketLimiter;
  readonly #global: TokenBucketLimiter;
  readonly #defaultRate: number;

  constructor(opts: WebhookRateLimiterOptions) {
    this.#defaultRate = checkRate(opts.perWebhookPerMinute);
    this.#perWebhook = new TokenBucketLimiter({
      ratePerMinute: this.#defaultRate,
      now: opts.now,
      ...(opts.maxKeys === undefined ? {} : { maxKeys: opts.maxKeys }),
    });
    this.#global = new TokenBucketLimiter({ ratePerMinute: opts.globalPerMinute, now: opts.now, maxKeys: 1 });
  }

  take(webhookId: string, ratePerMinute?: number): WebhookTakeResult {
    const rate = ratePerMinute ?? this.#defaultRate;
    const own = this.#perWebhook.peek(webhookId, rate);
    if (!own.ok) return { ...own, scope: "webhook" };
    const global = this.#global.take(GLOBAL_RATE_KEY);
    if (!global.ok) return { ...global, scope: "global" };
    this.#perWebhook.take(webhookId, rate);
    return PASS;
  }
}
