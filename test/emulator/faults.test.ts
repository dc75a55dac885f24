import { afterEach, beforeEach, expect, test } from "bun:test";
import type { TgUpdate } from "../../src/emulator/index.ts";
import { type World, world } from "./helpers.ts";

let w: World;
beforeEach(async () => {
  w = await world({ seed: 7 });
});
afterEach(() => w.emu.stop());

const send = (text = "x") => w.api("sendMessage", { chat_id: w.dm.id, text });

test("rate_limit answers 429 with retry_after for the next N matching calls only", async () => {
  w.emu.injectFault({ kind: "rate_limit", method: "sendMessage", times: 2, retryAfter: 3 });
  expect((await w.api("getMe")).ok).toBe(true);
  for (let i = 0; i < 2; i++) {
    const r = await send();
    expect(r).toMatchObject({
      status: 429,
      ok: false,
      error_code: 429,
      description: "Too Many Requests: retry after 3",
      parameters: { retry_after: 3 },
    });
  }
  expect((await send("through")).ok).toBe(true);
  expect(w.emu.botMessages(w.dm.id).map((m) => m.text)).toEqual(["through"]);
  expect(w.emu.calls({ method: "sendMessage" }).map((c) => c.fault ?? "none")).toEqual([
    "rate_limit",
    "rate_limit",
    "none",
  ]);
  expect(w.emu.faults()).toEqual([]);
});

async function pattern(seed: number): Promise<boolean[]> {
  const other = await world({ seed });
  try {
    other.emu.injectFault({ kind: "server_error", method: "sendMessage", probability: 0.5 });
    const out: boolean[] = [];
    for (let i = 0; i < 24; i++) out.push((await other.api("sendMessage", { chat_id: other.dm.id, text: `m${i}` })).ok);
    return out;
  } finally {
    await other.emu.stop();
  }
}

test("a fraction of calls fails, and the same seed fails the same calls", async () => {
  const a = await pattern(42);
  const b = await pattern(42);
  const c = await pattern(43);
  expect(a).toEqual(b);
  expect(a).not.toEqual(c);
  expect(a.filter((ok) => !ok).length).toBeGreaterThan(3);
  expect(a.filter((ok) => ok).length).toBeGreaterThan(3);
});

test("500 keeps the envelope; 502 is the HTML page Telegram's front end sends", async () => {
  w.emu.injectFault({ kind: "server_error" });
  expect(await send()).toMatchObject({ status: 500, ok: false, error_code: 500, description: "Internal Server Error" });
  w.emu.injectFault({ kind: "bad_gateway" });
  const res = await fetch(`${w.emu.apiBaseUrl}/bot${w.emu.token}/getMe`);
  expect(res.status).toBe(502);
  expect(res.headers.get("content-type")).toStartWith("text/html");
  expect(await res.text()).toContain("502 Bad Gateway");
  expect(w.emu.botMessages(w.dm.id)).toEqual([]);
});

test("drop closes the socket without an answer: fetch rejects with ECONNRESET", async () => {
  w.emu.injectFault({ kind: "drop", method: "sendMessage" });
  const err = await send().then(
    () => null,
    (e: unknown) => e as { code?: string },
  );
  expect(err?.code).toBe("ECONNRESET");
  expect(w.emu.calls({ method: "sendMessage" })[0]).toMatchObject({ status: 0, ok: false, fault: "drop" });
  expect(w.emu.botMessages(w.dm.id)).toEqual([]);
});

test("afterEffect runs the method and then loses the answer (the duplicate-send case)", async () => {
  w.emu.injectFault({ kind: "drop", method: "sendMessage", afterEffect: true });
  await send("delivered anyway").catch(() => undefined);
  expect(w.emu.botMessages(w.dm.id).map((m) => m.text)).toEqual(["delivered anyway"]);
});

test("delay answers normally after a pause; conflict and unauthorized look like Telegram's", async () => {
  w.emu.injectFault({ kind: "delay", method: "getMe", delayMs: 50 });
  const r = await w.api("getMe");
  expect(r.ok).toBe(true);
  expect(w.emu.calls({ method: "getMe" })[0]?.durationMs).toBeGreaterThanOrEqual(40);
  w.emu.injectFault({ kind: "conflict", method: "getUpdates" });
  const conflict = await w.api<TgUpdate[]>("getUpdates");
  expect(conflict).toMatchObject({ status: 409, error_code: 409 });
  expect(conflict.description).toStartWith("Conflict: terminated by other getUpdates request");
  const id = w.emu.injectFault({ kind: "unauthorized", times: 100 });
  expect(await w.api("getMe")).toMatchObject({ status: 401, description: "Unauthorized" });
  expect(await send()).toMatchObject({ status: 401 });
  w.emu.removeFault(id);
  expect((await w.api("getMe")).ok).toBe(true);
});

test("clearFaults removes every rule; unknown kinds are refused", async () => {
  w.emu.injectFault({ kind: "server_error", times: 5 });
  w.emu.clearFaults();
  expect((await send()).ok).toBe(true);
  expect(() => w.emu.injectFault({ kind: "meteor" as "drop" })).toThrow(/unknown fault kind/);
});
