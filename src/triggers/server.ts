// The webhook HTTP server (Elysia): GET /health and one POST route per webhook path. Bound to
// 127.0.0.1 by default; auth = "none" webhooks are refused on any other bind unless explicitly
// allowed. A bind failure is logged and the bot keeps running without the server.
import { type AnyElysia, Elysia } from "elysia";
import ipaddr from "ipaddr.js";
import type { Config, WebhookConfig } from "../config/schema.ts";
import { logger } from "../log/logger.ts";
import { allowedHostHeaders, checkRequestSource } from "../security/host-guard.ts";
import { PeerFailureLimiter, peerKey } from "../security/peer-limit.ts";
import { WebhookRateLimiter } from "../security/rate-limit.ts";
import { ReplayGuard } from "../security/webhook-auth.ts";
import { errorName, sleepMs } from "./actions.ts";
import { TriggerPauses } from "./pauses.ts";
import type { TriggerDeps, TriggerSink } from "./sink.ts";
import { handleWebhook, textResponse } from "./webhooks.ts";

export interface TriggerApp {
  app: AnyElysia;
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

/** Loopback: `localhost` (any case) or an IP literal in 127.0.0.0/8 or ::1. Wildcards are not. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().replace(/^\[(.*)\]$/, "$1");
  if (h.toLowerCase() === "localhost") return true;
  if (!ipaddr.isValid(h)) return false;
  return ipaddr.process(h).range() === "loopback";
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
  const inFlight = new Set<Promise<unknown>>();
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
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    },
  };

  const notAllowed = () => textResponse(405, "method not allowed", { allow: "POST" });
  let allowedHosts = allowedHostHeaders(server.host, server.port, server.public_host);
  const app: AnyElysia = new Elysia()
    // Before routing: a web page (form POST, DNS rebinding) learns nothing, not even which paths exist.
    .onRequest(({ request }) => {
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
    })
    .onError(({ code, error }) => {
      if (code === "NOT_FOUND") return textResponse(404, "not found");
      // Never the payload or the error text: only what kind of failure it was.
      logger().error({ code: String(code), err: errorName(error) }, "triggers.server.internal_error");
      return textResponse(500, "internal error");
    })
    .get("/health", () =>
      Response.json({
        status: pauses.allPaused ? "paused" : "ok",
        webhooks: webhooks.length,
        paused: pauses.allPaused,
      }),
    )
    .all("/health", () => textResponse(405, "method not allowed", { allow: "GET" }));
  for (const w of webhooks) {
    // Elysia's builder methods register on the instance itself.
    app
      .post(
        w.path,
        ({ request, server: bun }) =>
          // app.handle() (no socket) has no address: all such requests share the "unknown" bucket.
          handleWebhook(w, request, runtime, () => peerKey(bun?.requestIP(request)?.address)).catch((e: unknown) => {
            logger().error({ webhook: w.id, err: errorName(e) }, "triggers.server.internal_error");
            return textResponse(500, "internal error");
          }),
        { parse: "none" },
      )
      .all(w.path, notAllowed);
  }
  return {
    app,
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
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
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
  try {
    // reusePort off: Elysia turns it on, which would let a second process share the port silently.
    t.app.listen({ hostname: host, port, reusePort: false });
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
  const bound = t.app.server?.port ?? port;
  t.setBoundPort(bound);
  logger().info({ host, port: bound, webhooks: t.webhooks.length }, "triggers.server.started");
  return {
    ...t,
    port: bound,
    stop: async () => {
      await t.app.stop();
      await t.idle();
    },
  };
}
