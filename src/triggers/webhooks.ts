// One webhook request, from raw bytes to a background dispatch. The order of checks is the
// contract (behaviour §3.10, tightened): peer 429 (a peer with too many failures, before anything is
// read) → size 413 → auth 401 → paused 503 (after auth: a stranger learns nothing of the pause, and a
// paused webhook starts nothing) → rate 429 → JSON 400
// (or multipart 400/413) → replay (delivery id or signature) 200 duplicate → event filter 200 filtered → [files written, 400 if
// refused] → 202 accepted. Routing (404/405) is server.ts.

import type { WebhookConfig } from "../config/schema.ts";
import { logger } from "../log/logger.ts";
import type { PeerFailureLimiter } from "../security/peer-limit.ts";
import type { WebhookRateLimiter } from "../security/rate-limit.ts";
import { declaredTooLarge, readCapped, StreamTooLargeError } from "../security/read-capped.ts";
import { type ReplayGuard, verifyWebhook } from "../security/webhook-auth.ts";
import { type ActionContext, dispatchWebhook, errorName } from "./actions.ts";
import { isMultipart, type PreparedUpload, prepareUpload, saveUpload } from "./multipart.ts";

export interface WebhookRuntime {
  maxBodyBytes: number;
  limiter: WebhookRateLimiter;
  /** Failed requests per peer address: checked before the body is read, spent by failures only. */
  peers: PeerFailureLimiter;
  replay: ReplayGuard;
  /** This webhook paused (on its own or with all triggers; triggers/pauses.ts). */
  isPaused(id: string): boolean;
  now(): number;
  actions: ActionContext;
  /** Keeps a background dispatch visible (tests and shutdown wait for it). */
  track(p: Promise<unknown>): void;
}

export const PAUSED_RETRY_AFTER_SECONDS = 60;

// What Bun itself sends for a string body, so a plain answer needs no headers object at all.
const TEXT_PLAIN: Readonly<Record<string, string>> = Object.freeze({ "content-type": "text/plain;charset=utf-8" });

export function textResponse(status: number, text: string, headers?: Record<string, string>): Response {
  // A string body without headers goes out as text/plain;charset=utf-8 (Bun's default for strings).
  if (headers === undefined) return new Response(text, { status });
  return new Response(text, { status, headers: { ...TEXT_PLAIN, ...headers } });
}

export type BodyResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: "too_large" | "broken" };

/**
 * Reads the request body, refusing it as soon as it passes `max` bytes: a declared Content-Length
 * is refused before reading, and a chunked body is counted while it streams, so at most `max` bytes
 * plus one chunk are ever held.
 */
export async function readBodyCapped(request: Request, max: number): Promise<BodyResult> {
  if (declaredTooLarge(request.headers, max)) {
    await request.body?.cancel().catch(() => undefined);
    return { ok: false, reason: "too_large" };
  }
  try {
    // A declared length within the cap (and no chunked framing beside it) is the whole body: HTTP
    // framing ends it there, so the native reader is used; anything else is counted while it streams.
    if (request.headers.has("content-length") && !request.headers.has("transfer-encoding")) {
      const bytes = new Uint8Array(await request.arrayBuffer());
      return bytes.byteLength > max ? { ok: false, reason: "too_large" } : { ok: true, bytes };
    }
    return { ok: true, bytes: await readCapped(request.body, max) };
  } catch (e) {
    // A client that went away or sent a malformed body: its problem, not a server error.
    return { ok: false, reason: e instanceof StreamTooLargeError ? "too_large" : "broken" };
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The template context from JSON: an object as-is, any other value as `{_body: v}`, an empty body as
 * `{}`. A body that is not JSON is refused, unless it was sent as `text/*`: then the text itself is
 * `_body` (e.g. GitHub's documented signing example, "Hello, World!").
 */
export function parsePayload(
  raw: Uint8Array,
  contentType: string | null = null,
): { ok: true; payload: Record<string, unknown> } | { ok: false } {
  try {
    const text = utf8.decode(raw);
    if (text.trim() === "") return { ok: true, payload: {} };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      if (contentType !== null && /^\s*text\//i.test(contentType)) return { ok: true, payload: { _body: text } };
      throw e;
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      return { ok: true, payload: value as Record<string, unknown> };
    }
    return { ok: true, payload: { _body: value } };
  } catch {
    // Invalid UTF-8, invalid JSON, or nesting deep enough to exhaust the stack.
    return { ok: false };
  }
}

/** `event_filter` against X-GitHub-Event, else X-Event-Type; a missing header never matches. */
export function eventMatches(w: WebhookConfig, headers: Headers): boolean {
  if (w.event_filter === undefined) return true;
  const event = headers.get("x-github-event") ?? headers.get("x-event-type");
  return event === w.event_filter;
}

/**
 * A delivery already accepted within the replay window: by its delivery id (as senders retry), or by
 * what its secret covers (a captured request with the unsigned delivery header dropped or changed).
 * Both keys are recorded.
 */
function isReplay(w: WebhookConfig, auth: { deliveryId?: string; replayKey?: string }, replay: ReplayGuard): boolean {
  const byId = auth.deliveryId !== undefined && replay.isDuplicate(`${w.id}\nid\n${auth.deliveryId}`);
  const bySignature = auth.replayKey !== undefined && replay.isDuplicate(`${w.id}\nsigned\n${auth.replayKey}`);
  return byId || bySignature;
}

/** Counts a failed request against its peer; says so once, when the peer's failures run out. */
function peerFailed(w: WebhookConfig, peer: () => string, rt: WebhookRuntime): void {
  if (rt.peers.fail(peer())) logger().warn({ webhook: w.id, peer: peer() }, "triggers.webhook.peer_limited");
}

/**
 * `peerOf`: the key of the sender's address (peerKey), "unknown" when there is none; asked only when
 * some peer has failed or this request fails.
 */
export async function handleWebhook(
  w: WebhookConfig,
  request: Request,
  rt: WebhookRuntime,
  peerOf: () => string = () => "unknown",
): Promise<Response> {
  let key: string | undefined;
  const peer = () => (key ??= peerOf());
  // Before the body is read or any HMAC computed: refusing costs a map lookup, and is not logged per
  // request (peerFailed logged the moment the peer ran out).
  const gate = rt.peers.check(peer);
  if (!gate.ok) {
    await request.body?.cancel().catch(() => undefined);
    return textResponse(429, "too many failed requests", { "retry-after": String(gate.retryAfterSeconds) });
  }
  const body = await readBodyCapped(request, rt.maxBodyBytes);
  if (!body.ok && body.reason === "broken") {
    peerFailed(w, peer, rt);
    return textResponse(400, "bad request");
  }
  if (!body.ok) {
    peerFailed(w, peer, rt);
    logger().warn({ webhook: w.id, max: rt.maxBodyBytes }, "triggers.webhook.too_large");
    return textResponse(413, "payload too large");
  }
  const auth = verifyWebhook(w.auth, w.secret?.reveal(), body.bytes, request.headers, rt.now);
  if (!auth.ok) {
    peerFailed(w, peer, rt);
    logger().warn({ webhook: w.id, reason: auth.reason }, "triggers.webhook.auth_failed");
    return textResponse(401, "unauthorized");
  }
  if (rt.isPaused(w.id)) {
    logger().info({ webhook: w.id }, "triggers.webhook.skipped_paused");
    return textResponse(503, "triggers paused", { "retry-after": String(PAUSED_RETRY_AFTER_SECONDS) });
  }
  // After auth, so requests from strangers cannot spend the real sender's tokens.
  const rate = rt.limiter.take(w.id);
  if (!rate.ok) {
    logger().warn({ webhook: w.id, scope: rate.scope }, "triggers.webhook.rate_limited");
    return textResponse(429, "rate limited", { "retry-after": String(rate.retryAfterSeconds) });
  }
  const contentType = request.headers.get("content-type");
  let payload: Record<string, unknown>;
  let upload: PreparedUpload | undefined;
  if (isMultipart(w, contentType)) {
    const prepared = await prepareUpload(w, body.bytes, contentType, rt.actions);
    if (!prepared.ok) return textResponse(prepared.status, prepared.text);
    upload = prepared.upload;
    payload = upload.fields;
  } else {
    const parsed = parsePayload(body.bytes, contentType);
    if (!parsed.ok) return textResponse(400, "invalid json");
    payload = parsed.payload;
  }
  if (isReplay(w, auth, rt.replay)) {
    logger().info({ webhook: w.id }, "triggers.webhook.duplicate");
    return textResponse(200, "duplicate");
  }
  if (!eventMatches(w, request.headers)) return textResponse(200, "filtered");
  // Written only now, so a duplicate or filtered delivery leaves no files behind.
  if (upload !== undefined) {
    const withFiles = await saveUpload(w, upload, rt.actions);
    if (withFiles === undefined) return textResponse(400, "file destination refused");
    payload = withFiles;
  }
  const job = dispatchWebhook(w, payload, body.bytes, rt.actions).catch((e: unknown) => {
    logger().error({ webhook: w.id, err: errorName(e) }, "triggers.webhook.dispatch_failed");
  });
  rt.track(job);
  return textResponse(202, "accepted");
}
