// Webhook request authentication on the raw body bytes. Every comparison is constant-time on decoded
// bytes; malformed, oversized or non-ASCII header values are a plain failure, never an exception.
/** The one list of webhook auth modes (the config schema's `auth` enum is built from it). */
export const WEBHOOK_AUTH_MODES = ["bearer", "hmac-sha256", "hmac-sha1", "standard-webhooks", "none"] as const;

export type WebhookAuthMode = (typeof WEBHOOK_AUTH_MODES)[number];

/**
 * `deliveryId`: the sender's delivery header (unsigned unless standard-webhooks). `replayKey`: derived
 * from what the secret covers (the HMAC, or the body digest for bearer), so a captured request is the
 * same replay whatever its unsigned headers say; absent for `none`.
 */
export type WebhookAuthResult = { ok: true; deliveryId?: string; replayKey?: string } | { ok: false; reason: string };

/** Standard Webhooks: a signature older or newer than this (against our clock) is refused. */
export const STANDARD_WEBHOOKS_TOLERANCE_MS = 5 * 60 * 1000;

// Header values longer than this are refused before any decoding work.
const MAX_HEADER_CHARS = 8192;
const MAX_DELIVERY_ID_CHARS = 200;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const encoder = new TextEncoder();

function fail(reason: string): WebhookAuthResult {
  return { ok: false, reason };
}

/** Constant-time byte comparison; unequal lengths are simply unequal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return crypto.timingSafeEqual(a, b);
}

/** A header value we are willing to look at: present, short, printable ASCII. */
function asciiHeader(headers: Headers, name: string): string | undefined {
  const value = headers.get(name);
  if (value === null || value === "" || value.length > MAX_HEADER_CHARS) return undefined;
  return PRINTABLE_ASCII.test(value) ? value : undefined;
}

function hmac(algorithm: "sha256" | "sha1", key: string | Uint8Array, data: Uint8Array): Buffer {
  return new Bun.CryptoHasher(algorithm, key).update(data).digest();
}

// The digest is a Buffer already: no copy.
const toHex = (digest: Buffer) => digest.toString("hex");

function decodeHex(text: string, expectedBytes: number): Uint8Array | undefined {
  if (text.length !== expectedBytes * 2) return undefined;
  // Hex decoding stops at the first pair that is not hex, so a full-length result means every
  // character was a hex digit.
  const bytes = Buffer.from(text, "hex");
  return bytes.byteLength === expectedBytes ? bytes : undefined;
}

export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  return Uint8Array.from(Buffer.from(text, "base64"));
}

/** Where each HMAC mode looks for its signature, in order. */
const HMAC_HEADERS = {
  sha256: ["x-hub-signature-256", "x-signature"],
  sha1: ["x-hub-signature", "x-signature"],
} as const;

function verifyHmacHex(
  algorithm: "sha256" | "sha1",
  secret: string,
  rawBody: Uint8Array,
  headers: Headers,
): WebhookAuthResult {
  const names = HMAC_HEADERS[algorithm];
  const expected = hmac(algorithm, secret, rawBody);
  let sawHeader = false;
  for (const name of names) {
    const value = asciiHeader(headers, name);
    if (value === undefined) continue;
    sawHeader = true;
    // `sha256=<hex>` (GitHub) or bare hex; a prefix naming another algorithm is not accepted.
    const eq = value.indexOf("=");
    if (eq !== -1 && value.slice(0, eq).toLowerCase() !== algorithm) continue;
    const candidate = decodeHex(eq === -1 ? value : value.slice(eq + 1), expected.byteLength);
    if (candidate !== undefined && bytesEqual(candidate, expected)) {
      return { ok: true, replayKey: `${algorithm}:${toHex(expected)}` };
    }
  }
  return fail(sawHeader ? "signature mismatch" : "missing signature header");
}

function verifyBearer(secret: string, rawBody: Uint8Array, headers: Headers): WebhookAuthResult {
  const value = asciiHeader(headers, "authorization");
  if (value === undefined) return fail("missing authorization header");
  // Scheme case-insensitive, exactly one space, token compared as sent (no trimming).
  if (value.length < 7 || value.slice(0, 7).toLowerCase() !== "bearer ") return fail("not a bearer token");
  if (!bytesEqual(encoder.encode(value.slice(7)), encoder.encode(secret))) return fail("token mismatch");
  // The token signs nothing: the body itself is what a replay repeats.
  return { ok: true, replayKey: `body:${new Bun.CryptoHasher("sha256").update(rawBody).digest("hex")}` };
}

/** `whsec_<base64>` or bare base64 → key bytes (as the Standard Webhooks libraries do). */
function standardWebhooksKey(secret: string): Uint8Array | undefined {
  const b64 = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  const key = decodeBase64Strict(b64);
  return key !== undefined && key.byteLength > 0 ? key : undefined;
}

function verifyStandardWebhooks(
  secret: string,
  rawBody: Uint8Array,
  headers: Headers,
  now: () => number,
): WebhookAuthResult {
  const key = standardWebhooksKey(secret);
  if (key === undefined) return fail("secret is not valid base64");
  const id = asciiHeader(headers, "webhook-id");
  const timestamp = asciiHeader(headers, "webhook-timestamp");
  const signatures = asciiHeader(headers, "webhook-signature");
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    return fail("missing webhook-id, webhook-timestamp or webhook-signature header");
  }
  if (!/^\d{1,15}$/.test(timestamp)) return fail("malformed webhook-timestamp");
  if (Math.abs(now() - Number(timestamp) * 1000) > STANDARD_WEBHOOKS_TOLERANCE_MS) {
    return fail("webhook-timestamp outside tolerance");
  }
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.byteLength + rawBody.byteLength);
  signed.set(prefix, 0);
  signed.set(rawBody, prefix.byteLength);
  const expected = hmac("sha256", key, signed);
  for (const entry of signatures.split(" ")) {
    const comma = entry.indexOf(",");
    if (comma === -1 || entry.slice(0, comma) !== "v1") continue;
    const candidate = decodeBase64Strict(entry.slice(comma + 1));
    if (candidate !== undefined && bytesEqual(candidate, expected)) {
      return { ...deliveryIdOk(id), replayKey: `standard-webhooks:${toHex(expected)}` };
    }
  }
  return fail("signature mismatch");
}

function deliveryIdOk(id: string | undefined): { ok: true; deliveryId?: string } {
  return id !== undefined && id.length <= MAX_DELIVERY_ID_CHARS ? { ok: true, deliveryId: id } : { ok: true };
}

/** The sender's delivery id (GitHub's `X-GitHub-Delivery`, else Standard Webhooks' `webhook-id`). */
export function deliveryIdOf(headers: Headers): string | undefined {
  const id = asciiHeader(headers, "x-github-delivery") ?? asciiHeader(headers, "webhook-id");
  return id !== undefined && id.length <= MAX_DELIVERY_ID_CHARS ? id : undefined;
}

/**
 * Authenticates one webhook request. `now` is epoch milliseconds (only standard-webhooks uses it).
 * Reasons are short, fixed texts for the log; they never contain the secret or header values.
 */
export function verifyWebhook(
  mode: WebhookAuthMode,
  secret: string | undefined,
  rawBody: Uint8Array,
  headers: Headers,
  now: () => number,
): WebhookAuthResult {
  if (!(WEBHOOK_AUTH_MODES as readonly string[]).includes(mode)) return fail("unknown auth mode");
  if (mode !== "none" && (secret === undefined || secret === "")) return fail("no secret configured");
  const key = secret ?? "";
  let result: WebhookAuthResult;
  switch (mode) {
    case "none":
      result = { ok: true };
      break;
    case "bearer":
      result = verifyBearer(key, rawBody, headers);
      break;
    case "hmac-sha256":
      result = verifyHmacHex("sha256", key, rawBody, headers);
      break;
    case "hmac-sha1":
      result = verifyHmacHex("sha1", key, rawBody, headers);
      break;
    case "standard-webhooks":
      return verifyStandardWebhooks(key, rawBody, headers, now);
  }
  if (!result.ok) return result;
  const deliveryId = deliveryIdOf(headers);
  return deliveryId === undefined ? result : { ...result, deliveryId };
}

export interface ReplayGuardOptions {
  now: () => number;
  /** How long a delivery id is remembered (ms); default 10 minutes. */
  windowMs?: number;
  /** Most ids remembered at once; the oldest are forgotten first. Default 10 000. */
  maxEntries?: number;
}

/**
 * Remembers delivery ids and replay keys for a window so a captured, correctly signed request cannot
 * be replayed.
 * Memory is bounded: past `maxEntries` the oldest ids are dropped (a replay of such an id would then
 * pass, which needs more than `maxEntries` authenticated deliveries inside one window).
 * Forgetting walks a queue in arrival order, never the map itself: dropping a Map's first entry
 * leaves a hole that every later walk from the front steps over again, which made each delivery
 * cost a pass over thousands of holes once the guard was full.
 */
export class ReplayGuard {
  readonly #seen = new Map<string, number>();
  // Arrival order: ids and when they were recorded, read from #head. An entry whose id was recorded
  // again since (or forgotten) is stale and is skipped.
  #order: string[] = [];
  #times: number[] = [];
  #head = 0;
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #maxEntries: number;

  constructor(opts: ReplayGuardOptions) {
    this.#now = opts.now;
    this.#windowMs = opts.windowMs ?? 10 * 60 * 1000;
    this.#maxEntries = Math.max(1, opts.maxEntries ?? 10_000);
  }

  /** Records `id`; true when it was already seen within the window (a duplicate delivery). */
  isDuplicate(id: string): boolean {
    const now = this.#now();
    this.#forget(now, false);
    const seenAt = this.#seen.get(id);
    if (seenAt !== undefined && Math.abs(now - seenAt) < this.#windowMs) return true;
    this.#seen.set(id, now);
    this.#order.push(id);
    this.#times.push(now);
    this.#forget(now, true);
    return false;
  }

  get size(): number {
    return this.#seen.size;
  }

  // Drops entries from the front of the arrival queue: those out of the window, or (`bySize`) as many
  // as it takes to hold no more than the guard may. No closure per call: this runs per delivery.
  #forget(now: number, bySize: boolean): void {
    while (this.#head < this.#order.length) {
      const at = this.#times[this.#head] ?? 0;
      const more = bySize
        ? this.#seen.size > this.#maxEntries || this.#order.length - this.#head > 2 * this.#maxEntries
        : now - at >= this.#windowMs;
      if (!more) break;
      const id = this.#order[this.#head] ?? "";
      if (this.#seen.get(id) === at) this.#seen.delete(id);
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
  }
}
