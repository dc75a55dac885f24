import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Config } from "../../src/config/schema.ts";
import { WEBHOOK_PAYLOAD_MARKER } from "../../src/security/untrusted.ts";
import { TriggerPauses } from "../../src/triggers/pauses.ts";
import { createTriggerApp, pathOf, startTriggerServer, type TriggerApp } from "../../src/triggers/server.ts";
import { readBodyCapped } from "../../src/triggers/webhooks.ts";
import { captureLogs, type LogRecord } from "../config/helpers.ts";
import { clock, configOf, hmacHex, local, memoryDb, type RecordingSink, recordingSink } from "./helpers.ts";

// GitHub's documented example (docs.github.com, "Validating webhook deliveries").
const GH_SECRET = "It's a Secret to Everybody";
const GH_BODY = "Hello, World!";
const GH_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

const TOML = `
[triggers]
enabled = true
[triggers.server]
rate_limit = 5
max_body_bytes = 1024
[[triggers.webhooks]]
id = "gh"
path = "/hooks/github"
auth = "hmac-sha256"
secret = "${GH_SECRET}"
prompt_template = "Got: {{ _body }}{{ action }}"
[[triggers.webhooks]]
id = "push-only"
path = "/hooks/push"
auth = "bearer"
secret = "bearer-token-123"
event_filter = "push"
prompt_template = "pushed {{ ref }}"
`;

let logs: LogRecord[];
let sink: RecordingSink;
let t: ReturnType<typeof clock>;
let trig: TriggerApp;
let config: Config;

function signed(body: string, init: { headers?: Record<string, string>; path?: string } = {}): Request {
  return new Request(`http://localhost${init.path ?? "/hooks/github"}`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-hub-signature-256": `sha256=${hmacHex("sha256", GH_SECRET, body)}`,
      ...init.headers,
    },
  });
}

async function send(req: Request): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await trig.handle(local(req));
  return { status: res.status, text: await res.text(), headers: res.headers };
}

beforeEach(() => {
  logs = captureLogs();
  sink = recordingSink();
  t = clock(Date.UTC(2026, 0, 1));
  config = configOf(TOML);
  trig = createTriggerApp(config, sink, { db: memoryDb(), now: t.now });
});

describe("webhook pipeline", () => {
  test("GitHub's documented example verifies and dispatches behind the payload marker", async () => {
    const res = await send(
      new Request("http://localhost/hooks/github", {
        method: "POST",
        body: GH_BODY,
        headers: { "content-type": "text/plain", "x-hub-signature-256": GH_SIGNATURE },
      }),
    );
    expect(res).toMatchObject({ status: 202, text: "accepted" });
    await trig.idle();
    expect(sink.runs).toHaveLength(1);
    const run = sink.runs[0];
    expect(run?.prompt.split("\n")[0]).toBe(WEBHOOK_PAYLOAD_MARKER);
    expect(run?.prompt).toContain("Got: Hello, World!");
    expect(run).toMatchObject({ source: { kind: "webhook", id: "gh" }, chatId: 4242 });
  });

  test("a one-bit change of the body or of the signature is 401 and dispatches nothing", async () => {
    const flippedBody = String.fromCharCode(...[...GH_BODY].map((c, i) => c.charCodeAt(0) ^ (i === 12 ? 1 : 0)));
    const lastHex = GH_SIGNATURE.at(-1) === "7" ? "6" : "7";
    const flippedSig = GH_SIGNATURE.slice(0, -1) + lastHex;
    for (const [body, sig] of [
      [flippedBody, GH_SIGNATURE],
      [GH_BODY, flippedSig],
    ] as const) {
      const res = await send(
        new Request("http://localhost/hooks/github", {
          method: "POST",
          body,
          headers: { "content-type": "text/plain", "x-hub-signature-256": sig },
        }),
      );
      expect(res).toMatchObject({ status: 401, text: "unauthorized" });
    }
    await trig.idle();
    expect(sink.runs).toHaveLength(0);
    expect(logs.filter((l) => l.msg === "triggers.webhook.auth_failed")).toHaveLength(2);
    // The log says why, never the secret or the signature.
    expect(JSON.stringify(logs)).not.toContain("757107ea");
  });

  test("every dispatched delivery leaves one complete audit line, its outcome included", async () => {
    expect((await send(signed('{"action":"one"}'))).status).toBe(202);
    await trig.idle();
    sink.startRun = async () => {
      throw new Error("engine unavailable");
    };
    expect((await send(signed('{"action":"two"}'))).status).toBe(202);
    await trig.idle();
    expect((await send(signed('{"action":"three"}'))).status).toBe(202);
    await trig.idle();
    const audit = logs.filter((l) => l.msg === "triggers.webhook.dispatched");
    expect(audit.map((l) => ({ level: l.level, webhook: l.webhook, action: l.action, ok: l.ok }))).toEqual([
      { level: "info", webhook: "gh", action: "agent_run", ok: true },
      { level: "info", webhook: "gh", action: "agent_run", ok: false },
      { level: "info", webhook: "gh", action: "agent_run", ok: false },
    ]);
    for (const l of audit) expect(String(l.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test("the audit line goes to the logger in place now (a replaced logger gets it)", async () => {
    expect((await send(signed('{"action":"one"}'))).status).toBe(202);
    await trig.idle();
    const later = captureLogs();
    expect((await send(signed('{"action":"two"}'))).status).toBe(202);
    await trig.idle();
    expect(later.filter((l) => l.msg === "triggers.webhook.dispatched")).toHaveLength(1);
    expect(logs.filter((l) => l.msg === "triggers.webhook.dispatched")).toHaveLength(1);
  });

  test("a missing signature header is 401", async () => {
    const res = await send(new Request("http://localhost/hooks/github", { method: "POST", body: "{}" }));
    expect(res.status).toBe(401);
  });

  test("unknown path 404, wrong method 405", async () => {
    expect((await send(new Request("http://localhost/nope", { method: "POST", body: "{}" }))).status).toBe(404);
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      const res = await send(new Request("http://localhost/hooks/github", { method }));
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
    }
  });

  test("a query string or one trailing slash reach the same webhook; other paths are 404", async () => {
    const body = '{"action":"opened"}';
    expect((await send(signed(body, { path: "/hooks/github?source=gh" }))).status).toBe(202);
    expect((await send(signed('{"action":"closed"}', { path: "/hooks/github/" }))).status).toBe(202);
    for (const path of ["/hooks/github/x", "/hooks/githu", "/hooks/github//", "/HOOKS/github"])
      expect((await send(signed('{"action":"x"}', { path }))).status).toBe(404);
    await trig.idle();
    expect(sink.runs).toHaveLength(2);
  });

  test("an oversized body is 413 before auth, counted while streaming", async () => {
    const big = "x".repeat(1025);
    const res = await send(signed(big));
    expect(res).toMatchObject({ status: 413, text: "payload too large" });
    // A declared length over the cap is refused without reading.
    const declared = await send(
      new Request("http://localhost/hooks/github", {
        method: "POST",
        body: "{}",
        headers: { "content-length": "999999" },
      }),
    );
    expect(declared.status).toBe(413);
    // Exactly the cap passes the size check.
    const atCap = `{"a":"${"x".repeat(1024 - 8)}"}`;
    expect(atCap.length).toBe(1024);
    expect((await send(signed(atCap))).status).toBe(202);
    await trig.idle();
    expect(sink.runs).toHaveLength(1);
  });

  test("a body stream that breaks is a 400, not a 500", async () => {
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        c.error(new Error("client went away"));
      },
    });
    const res = await send(new Request("http://localhost/hooks/github", { method: "POST", body }));
    expect(res.status).toBe(400);
  });

  test("signed but invalid JSON or invalid UTF-8 is 400", async () => {
    expect(await send(signed("{not json"))).toMatchObject({ status: 400, text: "invalid json" });
    const bad = new Uint8Array([0x7b, 0xff, 0x7d]);
    const res = await send(
      new Request("http://localhost/hooks/github", {
        method: "POST",
        body: bad,
        headers: { "x-hub-signature-256": `sha256=${hmacHex("sha256", GH_SECRET, bad)}` },
      }),
    );
    expect(res.status).toBe(400);
    expect(sink.runs).toHaveLength(0);
  });

  test("payload shapes: object, wrapped scalar/array, empty body", async () => {
    for (const body of ['{"action":"opened"}', "[1,2]", "42", ""]) expect((await send(signed(body))).status).toBe(202);
    await trig.idle();
    const prompts = sink.runs.map((r) => r.prompt.split("\n").slice(1).join("\n"));
    expect(prompts).toEqual(["Got: opened", "Got: [1,2]", "Got: 42", "Got: "]);
  });

  test("a replayed delivery id is 200 duplicate and dispatches nothing", async () => {
    const headers = { "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958" };
    expect((await send(signed('{"action":"a"}', { headers }))).status).toBe(202);
    expect(await send(signed('{"action":"a"}', { headers }))).toMatchObject({ status: 200, text: "duplicate" });
    // After the 10-minute window it is a new delivery again.
    t.advance(10 * 60 * 1000 + 1);
    expect((await send(signed('{"action":"a"}', { headers }))).status).toBe(202);
    await trig.idle();
    expect(sink.runs).toHaveLength(2);
  });

  test("a captured request replayed without or with another delivery header is 200 duplicate (hmac and bearer)", async () => {
    const body = '{"action":"captured"}';
    expect((await send(signed(body, { headers: { "x-github-delivery": "d-1" } }))).status).toBe(202);
    expect(await send(signed(body))).toMatchObject({ status: 200, text: "duplicate" });
    expect(await send(signed(body, { headers: { "x-github-delivery": "d-2" } }))).toMatchObject({
      status: 200,
      text: "duplicate",
    });
    // The same signature spelled another way (bare upper-case hex in X-Signature) is the same request.
    const bare = new Request("http://localhost/hooks/github", {
      method: "POST",
      body,
      headers: { "x-signature": hmacHex("sha256", GH_SECRET, body).toUpperCase() },
    });
    expect(await send(bare)).toMatchObject({ status: 200, text: "duplicate" });
    const bearer = (delivery?: string) =>
      new Request("http://localhost/hooks/push", {
        method: "POST",
        body: '{"ref":"main"}',
        headers: {
          authorization: "Bearer bearer-token-123",
          "x-github-event": "push",
          ...(delivery === undefined ? {} : { "x-github-delivery": delivery }),
        },
      });
    expect((await send(bearer("b-1"))).status).toBe(202);
    expect(await send(bearer())).toMatchObject({ status: 200, text: "duplicate" });
    expect(await send(bearer("b-2"))).toMatchObject({ status: 200, text: "duplicate" });
    await trig.idle();
    expect(sink.runs.map((r) => r.source.id)).toEqual(["gh", "push-only"]);
    // After the window the same body is accepted again, once.
    t.advance(10 * 60 * 1000 + 1);
    expect((await send(signed(body))).status).toBe(202);
    expect((await send(signed(body))).status).toBe(200);
  });

  test("1 000 unauthenticated requests do not spend the real sender's rate limit", async () => {
    // handle() without a server has no peer address, so the peer guard (tested over HTTP in peer-limit.test.ts)
    // would refuse the real sender too: off here, this is about the per-webhook bucket.
    config = configOf(TOML.replace("max_body_bytes = 1024", "max_body_bytes = 1024\npeer_failures_per_minute = 0"));
    trig = createTriggerApp(config, sink, { db: memoryDb(), now: t.now });
    for (let i = 0; i < 1000; i++) {
      const res = await send(
        new Request("http://localhost/hooks/github", {
          method: "POST",
          body: "{}",
          headers: { "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
        }),
      );
      expect(res.status).toBe(401);
    }
    expect((await send(signed("{}"))).status).toBe(202);
  });

  test("429 with Retry-After once the bucket is empty; a token returns after 60/rate seconds", async () => {
    for (let i = 0; i < 5; i++) expect((await send(signed(`{"n":${i}}`))).status).toBe(202);
    const limited = await send(signed('{"n":5}'));
    expect(limited).toMatchObject({ status: 429, text: "rate limited" });
    expect(limited.headers.get("retry-after")).toBe("12");
    t.advance(11_000);
    expect((await send(signed('{"n":6}'))).status).toBe(429);
    t.advance(1_000);
    expect((await send(signed('{"n":7}'))).status).toBe(202);
    await trig.idle();
    expect(sink.runs).toHaveLength(6);
  });

  test("one webhook at its rate limit does not starve another (the global bucket is their sum)", async () => {
    for (let i = 0; i < 5; i++) expect((await send(signed(`{"n":${i}}`))).status).toBe(202);
    expect((await send(signed('{"n":5}'))).status).toBe(429);
    expect(logs.find((l) => l.msg === "triggers.webhook.rate_limited")?.scope).toBe("webhook");
    const push = (n: number) =>
      new Request("http://localhost/hooks/push", {
        method: "POST",
        body: `{"ref":"r${n}"}`,
        headers: { authorization: "Bearer bearer-token-123", "x-github-event": "push" },
      });
    for (let i = 0; i < 5; i++) expect((await send(push(i))).status).toBe(202);
    // Both hooks at their limit: 10 = 2 × 5 global tokens spent, each hook is refused on its own bucket.
    expect((await send(push(5))).status).toBe(429);
    expect(logs.filter((l) => l.msg === "triggers.webhook.rate_limited").map((l) => l.scope)).toEqual([
      "webhook",
      "webhook",
    ]);
    await trig.idle();
    expect(sink.runs).toHaveLength(10);
  });

  test("the rate limit is checked after the size and auth checks, before JSON", async () => {
    for (let i = 0; i < 5; i++) expect((await send(signed(`{"n":${i}}`))).status).toBe(202);
    expect((await send(signed("x".repeat(2000)))).status).toBe(413);
    expect((await send(new Request("http://localhost/hooks/github", { method: "POST", body: "{}" }))).status).toBe(401);
    expect((await send(signed("{bad"))).status).toBe(429);
  });

  test("paused: 503 with Retry-After after auth (a stranger still gets 401), nothing runs; /health reports it", async () => {
    trig.setPaused(true);
    expect((await send(signed("x".repeat(5000)))).status).toBe(413);
    expect((await send(new Request("http://localhost/hooks/github", { method: "POST", body: "{}" }))).status).toBe(401);
    const res = await send(signed("{}"));
    expect(res).toMatchObject({ status: 503, text: "triggers paused" });
    expect(res.headers.get("retry-after")).toBe("60");
    await trig.idle();
    expect(sink.runs).toHaveLength(0);
    const health = await trig.handle(local(new Request("http://localhost/health")));
    expect(await health.json()).toEqual({ status: "paused", webhooks: 2, paused: true });
    trig.setPaused(false);
    expect(await (await trig.handle(local(new Request("http://localhost/health")))).json()).toEqual({
      status: "ok",
      webhooks: 2,
      paused: false,
    });
    expect((await send(signed("{}"))).status).toBe(202);
  });

  test("one webhook paused: it answers 503 after auth, the other still runs; the pause survives a restart", async () => {
    const db = memoryDb();
    const pauses = new TriggerPauses(db);
    trig = createTriggerApp(config, sink, { db, now: t.now, pauses });
    expect(pauses.set("gh", true, 42)).toBe(true);
    expect((await send(signed("{}"))).status).toBe(503);
    expect(logs.some((l) => l.msg === "trigger.paused" && l.trigger === "gh" && l.user_id === 42)).toBe(true);
    const push = new Request("http://localhost/hooks/push", {
      method: "POST",
      body: "{}",
      headers: { authorization: "Bearer bearer-token-123", "x-github-event": "push" },
    });
    expect((await send(push)).status).toBe(202);
    // A new app over the same database (a restart) reads the pause back.
    trig = createTriggerApp(config, sink, { db, now: t.now });
    expect((await send(signed("{}"))).status).toBe(503);
    new TriggerPauses(db).set("gh", false);
    trig = createTriggerApp(config, sink, { db, now: t.now });
    expect((await send(signed("{}"))).status).toBe(202);
    await trig.idle();
    expect(sink.runs.map((r) => r.source)).toEqual([
      { kind: "webhook", id: "push-only" },
      { kind: "webhook", id: "gh" },
    ]);
  });

  test("event filter: X-GitHub-Event, then X-Event-Type; missing header is filtered", async () => {
    let n = 0;
    const hook = (headers: Record<string, string>) =>
      new Request("http://localhost/hooks/push", {
        method: "POST",
        body: `{"ref":"main","n":${n++}}`,
        headers: { authorization: "Bearer bearer-token-123", ...headers },
      });
    expect(await send(hook({ "x-github-event": "issues" }))).toMatchObject({ status: 200, text: "filtered" });
    expect(await send(hook({}))).toMatchObject({ status: 200, text: "filtered" });
    expect((await send(hook({ "x-github-event": "push" }))).status).toBe(202);
    expect((await send(hook({ "x-event-type": "push" }))).status).toBe(202);
    await trig.idle();
    expect(sink.runs.map((r) => r.source.id)).toEqual(["push-only", "push-only"]);
  });

  test("a non-ASCII signature header is a plain 401; POST /health is 405", async () => {
    const res = await send(
      new Request("http://localhost/hooks/github", {
        method: "POST",
        body: "{}",
        headers: { "x-hub-signature-256": `sha256=${"é".repeat(64)}` },
      }),
    );
    expect(res.status).toBe(401);
    expect((await send(new Request("http://localhost/health", { method: "POST" }))).status).toBe(405);
  });

  test("an unexpected error is 500 'internal error', logged without its message", async () => {
    const w = config.triggers.webhooks[0];
    if (w === undefined) throw new Error("no webhook");
    Object.assign(w, {
      secret: {
        reveal: () => {
          throw new Error("boom with payload text");
        },
      },
    });
    expect(await send(signed("{}"))).toMatchObject({ status: 500, text: "internal error" });
    expect(logs.some((l) => l.msg === "triggers.server.internal_error")).toBe(true);
    expect(JSON.stringify(logs)).not.toContain("boom with payload text");
  });

  test("a failing sink is logged, never a 500", async () => {
    sink.startRun = async () => {
      throw new Error("secret payload words");
    };
    expect((await send(signed('{"action":"x"}'))).status).toBe(202);
    await trig.idle();
    const failed = logs.find((l) => l.msg === "triggers.webhook.dispatch_failed");
    expect(failed).toBeDefined();
    expect(JSON.stringify(logs)).not.toContain("secret payload words");
  });
});

describe("requests a web page could make", () => {
  const OPEN = `
[triggers]
enabled = true
[triggers.server]
public_host = "hooks.example.com"
[[triggers.webhooks]]
id = "open"
path = "/open"
auth = "none"
prompt_template = "x"
`;
  const post = (headers: Record<string, string>, path = "/open") =>
    new Request(`http://localhost${path}`, {
      method: "POST",
      body: '{"a":1}',
      headers: { "content-type": "text/plain", ...headers },
    });

  test("a form POST from a web page (Origin, Sec-Fetch-Site) is 403 on every hook and runs nothing", async () => {
    const open = createTriggerApp(configOf(OPEN), sink, { db: memoryDb(), now: t.now });
    const browsers: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
    ];
    for (const h of browsers) {
      const res = await open.handle(local(post(h)));
      expect(res.status).toBe(403);
    }
    // A signed hook refuses browsers too.
    expect((await send(signed("{}", { headers: { origin: "https://evil.example" } }))).status).toBe(403);
    await open.idle();
    await trig.idle();
    expect(sink.runs).toHaveLength(0);
    expect(logs.filter((l) => l.msg === "triggers.server.request_refused" && l.reason === "browser")).toHaveLength(4);
  });

  test("DNS rebinding (a foreign Host) and a missing Host are 421, on every path", async () => {
    const open = createTriggerApp(configOf(OPEN), sink, { db: memoryDb(), now: t.now });
    for (const host of ["evil.example:9876", "evil.example", "127.0.0.1:1234"]) {
      expect((await open.handle(post({ host }))).status).toBe(421);
    }
    expect((await open.handle(post({}))).status).toBe(421);
    expect(
      (await open.handle(new Request("http://localhost/health", { headers: { host: "evil.example" } }))).status,
    ).toBe(421);
    await open.idle();
    expect(sink.runs).toHaveLength(0);
    const refused = logs.find((l) => l.msg === "triggers.server.request_refused" && l.reason === "unknown_host");
    expect(refused?.host).toBe("evil.example:9876");
    expect(String(refused?.fix)).toContain("public_host");
  });

  test("the bound address, localhost and the configured public_host are served", async () => {
    const open = createTriggerApp(configOf(OPEN), sink, { db: memoryDb(), now: t.now });
    for (const host of ["127.0.0.1:9876", "localhost:9876", "hooks.example.com"]) {
      expect((await open.handle(post({ host }))).status).toBe(202);
    }
    await open.idle();
    expect(sink.runs).toHaveLength(3);
  });
});

describe("auth = none", () => {
  const OPEN = `
[triggers]
enabled = true
allow_unauthenticated_webhooks = true
[triggers.server]
host = "0.0.0.0"
[[triggers.webhooks]]
id = "open"
path = "/open"
auth = "none"
prompt_template = "x"
[[triggers.webhooks]]
id = "closed"
path = "/closed"
secret = "tok-1234567890abcdef"
prompt_template = "y"
`;

  test("refused on a non-loopback bind unless explicitly allowed", async () => {
    const c = configOf(OPEN);
    c.triggers.allow_unauthenticated_webhooks = false;
    const app = createTriggerApp(c, sink, { db: memoryDb(), now: t.now });
    expect(app.webhooks.map((w) => w.id)).toEqual(["closed"]);
    expect(
      (await app.handle(local(new Request("http://localhost/open", { method: "POST", body: "{}" }), "localhost:9876")))
        .status,
    ).toBe(404);
    const refused = logs.find((l) => l.msg === "triggers.server.refused_unauthenticated");
    expect(refused?.level).toBe("error");
    expect(refused?.webhook_ids).toEqual(["open"]);
  });

  test("served when allowed, or on loopback", async () => {
    const allowed = createTriggerApp(configOf(OPEN), sink, { db: memoryDb(), now: t.now });
    expect(
      (await allowed.handle(local(new Request("http://localhost/open", { method: "POST", body: "{}" })))).status,
    ).toBe(202);
    const c = configOf(OPEN);
    c.triggers.allow_unauthenticated_webhooks = false;
    c.triggers.server.host = "127.0.0.2";
    expect(createTriggerApp(c, sink, { db: memoryDb() }).webhooks).toHaveLength(2);
  });
});

describe("over real loopback HTTP", () => {
  let server: ReturnType<typeof startTriggerServer>;
  afterEach(async () => {
    await server?.stop();
  });

  function start(): string {
    config.triggers.server.port = 0;
    server = startTriggerServer(config, sink, { db: memoryDb(), now: t.now });
    if (server === undefined) throw new Error("server did not start");
    return `http://127.0.0.1:${server.port}`;
  }

  test("signed request 202, health, 405", async () => {
    const base = start();
    const body = '{"action":"opened"}';
    const res = await fetch(`${base}/hooks/github`, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-hub-signature-256": `sha256=${hmacHex("sha256", GH_SECRET, body)}`,
      },
    });
    expect(res.status).toBe(202);
    // Plain answers say what they are, with or without headers of their own.
    expect(res.headers.get("content-type")).toBe("text/plain;charset=utf-8");
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const notAllowed = await fetch(`${base}/hooks/github`);
    expect(notAllowed.status).toBe(405);
    expect(notAllowed.headers.get("content-type")).toBe("text/plain;charset=utf-8");
    expect(notAllowed.headers.get("allow")).toBe("POST");
    await server?.idle();
    expect(sink.runs).toHaveLength(1);
  });

  test("oversized with Content-Length is 413 and dispatches nothing", async () => {
    const base = start();
    const body = "x".repeat(4096);
    const res = await fetch(`${base}/hooks/github`, {
      method: "POST",
      body,
      headers: { "x-hub-signature-256": `sha256=${hmacHex("sha256", GH_SECRET, body)}` },
    });
    expect(res.status).toBe(413);
    expect(sink.runs).toHaveLength(0);
  });

  test("a chunked body (no Content-Length) over the cap is 413 and dispatches nothing", async () => {
    const base = start();
    let pulled = 0;
    const chunk = new TextEncoder().encode("y".repeat(512));
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        // Would go on for 1 MiB; the server must stop it long before.
        if (pulled++ >= 2048) c.close();
        else c.enqueue(chunk);
      },
    });
    const res = await fetch(`${base}/hooks/github`, {
      method: "POST",
      body,
      headers: { "x-hub-signature-256": `sha256=${"a".repeat(64)}` },
    });
    expect(res.status).toBe(413);
    expect(await res.text()).toBe("payload too large");
    // The client stopped being read long before its 1 MiB were sent.
    expect(pulled).toBeLessThan(2048);
    await server?.idle();
    expect(sink.runs).toHaveLength(0);
  });

  test("a port already in use logs bind_failed and returns undefined", async () => {
    const base = start();
    const port = Number(new URL(base).port);
    const c = configOf(TOML);
    c.triggers.server.port = port;
    expect(startTriggerServer(c, sink, { db: memoryDb() })).toBeUndefined();
    const failed = logs.find((l) => l.msg === "triggers.server.bind_failed");
    expect(failed?.level).toBe("error");
    expect(String(failed?.hint)).toContain(`ss -tlnp | grep ${port}`);
  });
});

describe("pathOf", () => {
  test("the path as sent: no query, no fragment, one trailing slash dropped, not decoded", () => {
    expect(pathOf("http://127.0.0.1:9876/hooks/github")).toBe("/hooks/github");
    expect(pathOf("http://127.0.0.1:9876/hooks/github/?a=1#x")).toBe("/hooks/github");
    expect(pathOf("http://h/a%2Fb?x=/y")).toBe("/a%2Fb");
    expect(pathOf("http://h")).toBe("/");
    expect(pathOf("http://h/")).toBe("/");
    expect(pathOf("http://h//")).toBe("/");
  });
});

describe("readBodyCapped", () => {
  test("a declared length within the cap is read whole; a body longer than it declared is still refused", async () => {
    const ok = await readBodyCapped(
      new Request("http://x/", { method: "POST", body: "abc", headers: { "content-length": "3" } }),
      10,
    );
    expect(ok.ok && new TextDecoder().decode(ok.bytes)).toBe("abc");
    // The header under the cap does not let a longer body through (a Request built in process can lie).
    const lying = new Request("http://x/", {
      method: "POST",
      body: "x".repeat(5000),
      headers: { "content-length": "10" },
    });
    expect(await readBodyCapped(lying, 1024)).toEqual({ ok: false, reason: "too_large" });
    // With Transfer-Encoding beside it, the length is not trusted: the body is counted as it streams.
    const framed = new Request("http://x/", {
      method: "POST",
      body: "y".repeat(5000),
      headers: { "content-length": "10", "transfer-encoding": "chunked" },
    });
    expect(await readBodyCapped(framed, 1024)).toEqual({ ok: false, reason: "too_large" });
  });
});
