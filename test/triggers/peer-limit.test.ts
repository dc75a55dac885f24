// The pre-auth peer guard over real HTTP on 127.0.0.1: peers are told apart by their source address
// (127.0.0.2, 127.0.0.3, … all route to lo), as the server sees them with requestIP().
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { startTriggerServer, type TriggerServer } from "../../src/triggers/server.ts";
import { captureLogs, type LogRecord } from "../config/helpers.ts";
import { peerPost } from "../support/peer-http.ts";
import { clock, configOf, hmacHex, memoryDb, type RecordingSink, recordingSink } from "./helpers.ts";

const SECRET = "peer-guard-secret-0123456789";
const TOML = `
[triggers]
enabled = true
[triggers.server]
rate_limit = 1000
max_body_bytes = 2048
peer_failures_per_minute = 3
[[triggers.webhooks]]
id = "gh"
path = "/hooks/github"
auth = "hmac-sha256"
secret = "${SECRET}"
action = "notify_only"
message_template = "n={{ n }}"
`;

let logs: LogRecord[];
let sink: RecordingSink;
let t: ReturnType<typeof clock>;
let server: TriggerServer | undefined;

beforeEach(() => {
  logs = captureLogs();
  sink = recordingSink();
  t = clock(Date.UTC(2026, 0, 1));
});

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function start(maxPeers?: number): number {
  const config = configOf(TOML);
  config.triggers.server.port = 0;
  server = startTriggerServer(config, sink, {
    db: memoryDb(),
    now: t.now,
    ...(maxPeers === undefined ? {} : { maxPeers }),
  });
  if (server === undefined) throw new Error("server did not start");
  return server.port;
}

const sig = (body: string) => `sha256=${hmacHex("sha256", SECRET, body)}`;
const BAD = `sha256=${"0".repeat(64)}`;

function send(
  port: number,
  from: string,
  body: string,
  signature: string,
  extra: Partial<Parameters<typeof peerPost>[0]> = {},
) {
  return peerPost({
    port,
    from,
    path: "/hooks/github",
    headers: { "content-type": "application/json", "x-hub-signature-256": signature },
    body,
    ...extra,
  });
}

describe("pre-auth peer guard over loopback HTTP", () => {
  test("a flood of badly signed requests from one peer gets 429 with Retry-After after its budget", async () => {
    const port = start();
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < 20; i++) {
      const res = await send(port, "127.0.0.2", `{"n":${i}}`, BAD);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(new Set(statuses.slice(3))).toEqual(new Set([429]));
    // 3 per minute: one failure's worth comes back after 20 s.
    expect(limited?.headers["retry-after"]).toBe("20");
    // Logged once, when the peer ran out, not once per refused request.
    expect(logs.filter((l) => l.msg === "triggers.webhook.peer_limited")).toHaveLength(1);
    expect(logs.filter((l) => l.msg === "triggers.webhook.auth_failed")).toHaveLength(3);
    // After Retry-After, one more attempt is heard.
    t.advance(20_000);
    expect((await send(port, "127.0.0.2", '{"n":99}', BAD)).status).toBe(401);
    expect((await send(port, "127.0.0.2", '{"n":100}', BAD)).status).toBe(429);
  });

  test("the 429 comes before the body is read: a declared body that never arrives is answered at once", async () => {
    const port = start();
    for (let i = 0; i < 3; i++) expect((await send(port, "127.0.0.2", "{}", BAD)).status).toBe(401);
    // 1 000 bytes declared, 2 sent, the connection left open: reading the body would wait forever.
    const res = await send(port, "127.0.0.2", "{}", BAD, { declaredLength: 1000 });
    expect(res.status).toBe(429);
    expect(res.text).toBe("too many failed requests");
  });

  test("the 429 comes before the HMAC: a correctly signed delivery from the throttled peer is refused unread", async () => {
    const port = start();
    for (let i = 0; i < 3; i++) expect((await send(port, "127.0.0.2", "{}", BAD)).status).toBe(401);
    const body = '{"n":"signed"}';
    expect((await send(port, "127.0.0.2", body, sig(body))).status).toBe(429);
    // Too large and never read: the peer check answers before the size check would.
    expect((await send(port, "127.0.0.2", "x".repeat(4096), BAD)).status).toBe(429);
    await server?.idle();
    expect(sink.notices).toHaveLength(0);
  });

  test("oversized bodies count as failures too", async () => {
    const port = start();
    for (let i = 0; i < 3; i++) expect((await send(port, "127.0.0.2", "x".repeat(4096), BAD)).status).toBe(413);
    expect((await send(port, "127.0.0.2", "{}", BAD)).status).toBe(429);
  });

  test("a good sender keeps working: its own deliveries never count, and another peer's flood does not touch it", async () => {
    const port = start();
    const flood = [];
    for (let i = 0; i < 10; i++) flood.push((await send(port, "127.0.0.2", `{"n":${i}}`, BAD)).status);
    expect(flood.at(-1)).toBe(429);
    // Far more deliveries than the failure budget, from one address, all accepted.
    for (let i = 0; i < 12; i++) {
      const body = `{"n":${i}}`;
      expect((await send(port, "127.0.0.1", body, sig(body))).status).toBe(202);
      expect((await send(port, "127.0.0.2", body, sig(body))).status).toBe(429);
    }
    await server?.idle();
    expect(sink.notices).toHaveLength(12);
  });

  test("the peer map is bounded: past maxPeers the oldest peers are forgotten", async () => {
    const port = start(4);
    for (let p = 2; p < 12; p++) {
      expect((await send(port, `127.0.0.${p}`, "{}", BAD)).status).toBe(401);
      expect(server?.trackedPeers()).toBeLessThanOrEqual(4);
    }
    expect(server?.trackedPeers()).toBeGreaterThan(0);
    // A throttled peer among the most recent ones is still throttled.
    for (let i = 0; i < 2; i++) await send(port, "127.0.0.11", "{}", BAD);
    expect((await send(port, "127.0.0.11", "{}", BAD)).status).toBe(429);
  });
});
