// The webhook HTTP server (Bun.serve): GET /health and one POST route per webhook path. Bound to
// 127.0.0.1 by default; auth = "none" webhooks are refused on any other bind unless explicitly
// allowed. A bind failure is logged and the bot keeps running without the server.
// One fetch handler and a Map of paths, not a framework: the routes are static, and Elysia's
// per-request context and hooks cost ~15 % of a delivery's CPU (docs/benchmarks.md).
import type { Config, WebhookConfig } from "../config/schema.ts";
import { logger } from "../log/logger.ts";
import { allowedHostHeaders, checkRequestSource, isLoopbackHost } from "../security/host-guard.ts";
import { PeerFailureLimiter, peerKey } from "../security/peer-limit.ts";
import { WebhookRateLimiter } from "../security/rate-limit.ts";
import { ReplayGuard } from "../security/webhook-auth.ts";
import { errorName, sleepMs } from "./actions.ts";
import { TriggerPauses } from "./pauses.ts";
import type { TriggerDeps, TriggerSink } from "./sink.ts";
import { handleWebhook, textResponse } from "./webhooks.ts";

/** Where a request came from: Bun's server, or nothing (a request handled in-process). */
export interface PeerSource {
  requestIP(request: Request): { address: string } | null;
}

export interface TriggerApp {
  /** Answers one request, as the server does: the Host/Origin guard first, then the route. */
  handle(request: Request, peers?: PeerSource): Response | Promise<Response>;
  setPaused(paused: boolean): void;
  isPaused(): boolean;
  /** The webhooks actually served (refused ones are left out). */
  webhooks: readonly WebhookConfig[];
  /** Resolves when every background dispatch started so far has finished. */
  idle(): Promise<void>;
  /** The port actually bound (the Host check names it). */
  setBoundPort(port: number): void;
  /** Peer addresses whose failures are being counted (bounded; see PeerFailureLimiter). */
  trackedPeers(): number;
}

export interface TriggerServer extends TriggerApp {
  port: number;
  stop(): Promise<void>;
}

/** Webhooks that may be served on this bind; auth = "none" ones are dropped (and logged) off loopback. */
export function servableWebhooks(config: Config): WebhookConfig[] {
  const t = config.triggers;
  const open = t.webhooks.filter((w) => w.auth === "none");
  if (open.length > 0 && !isLoopbackHost(t.server.host) && !t.allow_unauthenticated_webhooks) {
    logger().error(
      {
        webhook_ids: open.map((w) => w.id),
        host: t.server.host,
        fix: "set a secret and an auth mode, bind [triggers.server] host to 127.0.0.1, or set [triggers] allow_unauthenticated_webhooks = true",
      },
      "triggers.server.refused_unauthenticated",
    );
    return t.webhooks.filter((w) => w.auth !== "none");
  }
  for (const w of open) logger().warn({ webhook: w.id }, "triggers.webhook.no_auth");
  return [...t.webhooks];
}

/**
 * The bucket all webhooks share: the sum of their own rates, so one hook at its limit never
 * starves another (with the global bucket equal to one hook's rate, it did).
 */
export function globalRatePerMinute(perWebhook: number, webhookCount: number): number {
  return perWebhook * Math.max(1, webhookCount);
}

export function createTriggerApp(config: Config, sink: TriggerSink, deps: TriggerDeps): TriggerApp {
  const now = deps.now ?? Date.now;
  const server = config.triggers.server;
  const webhooks = servableWebhooks(config);
  for (const w of webhooks) {
    // Said at start too, so a missing project is found before the first upload is refused.
    if (w.accept_multipart && sink.projectPath(w.project) === undefined) {
      logger().error(
        { webhook: w.id, fix: "set triggers.webhooks[].project to a configured project" },
        "triggers.webhook.multipart_no_project",
      );
    }
  }
  const pauses = deps.pauses ?? new TriggerPauses(deps.db);
  // Background dispatches still running, and who waits for them to end (idle()).
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];
  const settled = () => {
    inFlight--;
    if (inFlight > 0 || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  };
  const runtime = {
    maxBodyBytes: server.max_body_bytes,
    limiter: new WebhookRateLimiter({
      perWebhookPerMinute: server.rate_limit,
      globalPerMinute: globalRatePerMinute(server.rate_limit, webhooks.length),
      now,
    }),
    peers: new PeerFailureLimiter({
      failuresPerMinute: server.peer_failures_per_minute,
      now,
      ...(deps.maxPeers === undefined ? {} : { maxPeers: deps.maxPeers }),
    }),
    replay: new ReplayGuard({ now }),
    isPaused: (id: string) => pauses.isPaused(id),
    now,
    actions: {
      sink,
      db: deps.db,
      now,
      sleep: deps.sleep ?? sleepMs,
      ...(deps.resolver === undefined ? {} : { resolver: deps.resolver }),
      ...(deps.fetchImpl === undefined ? {} : { fetchImpl: deps.fetchImpl }),
    },
    track: (p: Promise<unknown>) => {
      inFlight++;
      p.then(settled, settled);
    },
  };

  let allowedHosts = allowedHostHeaders(server.host, server.port, server.public_host);
  const routes = new Map(webhooks.map((w) => [w.path, w]));

  const refused = (request: Request): Response | undefined => {
    const source = checkRequestSource(request.headers, allowedHosts);
    if (source.ok) return undefined;
    const host = source.reason === "unknown_host" ? { host: (request.headers.get("host") ?? "").slice(0, 100) } : {};
    logger().warn(
      {
        reason: source.reason,
        ...host,
        ...(source.reason === "browser"
          ? {}
          : { fix: "behind a reverse proxy, set [triggers.server] public_host to the Host it forwards" }),
      },
      "triggers.server.request_refused",
    );
    return textResponse(source.status, source.text);
  };

  const health = () =>
    Response.json({ status: pauses.allPaused ? "paused" : "ok", webhooks: webhooks.length, paused: pauses.allPaused });

  const route = (request: Request, peers: PeerSource | undefined): Response | Promise<Response> => {
    const path = pathOf(request.url);
    if (path === "/health")
      return request.method === "GET" ? health() : textResponse(405, "method not allowed", { allow: "GET" });
    const w = routes.get(path);
    if (w === undefined) return textResponse(404, "not found");
    if (request.method !== "POST") return textResponse(405, "method not allowed", { allow: "POST" });
    // Without a socket (in-process) there is no address: all such requests share the "unknown" bucket.
    return handleWebhook(w, request, runtime, () => peerKey(peers?.requestIP(request)?.address));
  };

  const internalError = (e: unknown) => {
    // Never the error's message: it may quote the payload.
    logger().error({ err: errorName(e) }, "triggers.server.internal_error");
    return textResponse(500, "internal error");
  };

  // The Host/Origin guard comes before routing: a web page (form POST, DNS rebinding) learns
  // nothing, not even which paths exist. Not async itself: a refusal or a 404 is answered without a
  // promise, a webhook with its own.
  const handle = (request: Request, peers?: PeerSource): Response | Promise<Response> => {
    try {
      const answer = refused(request) ?? route(request, peers);
      return answer instanceof Response ? answer : answer.catch(internalError);
    } catch (e) {
      return internalError(e);
    }
  };
  return {
    handle,
    webhooks,
    setPaused: (b) => {
      pauses.set(undefined, b);
    },
    isPaused: () => pauses.allPaused,
    trackedPeers: () => runtime.peers.size,
    setBoundPort: (port) => {
      allowedHosts = allowedHostHeaders(server.host, port, server.public_host);
    },
    idle: async () => {
      while (inFlight > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}

/**
 * Starts the server, or logs `triggers.server.bind_failed` and returns undefined (the bot keeps
 * running without webhooks).
 */
export function startTriggerServer(config: Config, sink: TriggerSink, deps: TriggerDeps): TriggerServer | undefined {
  const t = createTriggerApp(config, sink, deps);
  const { host, port } = config.triggers.server;
  let server: Bun.Server<undefined>;
  try {
    server = Bun.serve({
      hostname: host,
      port,
      // Off (Bun's default, stated): a second process must not share the port silently.
      reusePort: false,
      // Never Bun's development error page: it would show a stack trace to whoever sent the request.
      development: false,
      fetch: (request, srv) => t.handle(request, srv),
    });
  } catch (e) {
    logger().error(
      {
        host,
        port,
        err: errorName(e),
        hint: `is another process using the port? check with: ss -tlnp | grep ${port}`,
        fix: "choose another [triggers.server] port in untether.toml, or stop the other process",
      },
      "triggers.server.bind_failed",
    );
    return undefined;
  }
  const bound = server.port ?? port;
  t.setBoundPort(bound);
  logger().info({ host, port: bound, webhooks: t.webhooks.length }, "triggers.server.started");
  return {
    ...t,
    port: bound,
    stop: async () => {
      await server.stop();
      await t.idle();
    },
  };
}

/**
 * The path of a request URL, without query or fragment, and without one trailing slash (so
 * `/hooks/github/` is `/hooks/github`, as it was under Elysia). Not decoded: routes match as sent.
 */
export function pathOf(url: string): string {
  const scheme = url.indexOf("://");
  const start = url.indexOf("/", scheme < 0 ? 0 : scheme + 3);
  if (start < 0) return "/";
  let end = url.length;
  const query = url.indexOf("?", start);
  if (query >= 0) end = query;
  const hash = url.indexOf("#", start);
  if (hash >= 0 && hash < end) end = hash;
  const path = url.slice(start, end);
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}
