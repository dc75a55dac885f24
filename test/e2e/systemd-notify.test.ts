// Type=notify: the compiled bot tells systemd READY=1 once it polls, pings the watchdog every
// WATCHDOG_USEC/2, and says STOPPING=1 on SIGTERM — datagrams to $NOTIFY_SOCKET, received here by a
// stand-in socket.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { notifySocketAddress, watchdogIntervalMs } from "../../src/cli/sd-notify.ts";
import { type Harness, startHarness } from "../support/harness.ts";
import { listenNotify, type NotifyListener } from "../support/notify-listener.ts";

let h: Harness | undefined;
let listener: NotifyListener | undefined;
let dir: string | undefined;
afterEach(async () => {
  await h?.stop();
  await h?.emu.stop();
  listener?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  h = undefined;
  listener = undefined;
  dir = undefined;
});

describe("sd_notify through the compiled binary", () => {
  test("READY=1 after the bot is up, WATCHDOG=1 pings, STOPPING=1 on SIGTERM", async () => {
    dir = mkdtempSync(join(tmpdir(), "untether-notify-"));
    const socket = join(dir, "notify.sock");
    listener = listenNotify(socket);
    h = await startHarness({ env: { NOTIFY_SOCKET: socket, WATCHDOG_USEC: "200000" } });
    const readyAt = await listener.waitFor((m) => m.startsWith("READY=1"));
    expect(listener.messages()[readyAt]).toBe("READY=1\nSTATUS=polling as @untether_test_bot");
    // The pings go on after READY (every 100 ms here).
    await listener.waitFor((m) => m === "WATCHDOG=1", readyAt);
    expect(listener.messages()).not.toContain("STOPPING=1");
    expect(await h.stop()).toBe(0);
    expect(listener.messages()).toContain("STOPPING=1");
    expect(listener.messages().indexOf("STOPPING=1")).toBeGreaterThan(readyAt);
    h = undefined;
  }, 30_000);
});

describe("sd_notify and /restart", () => {
  test("a /restart says RELOADING=1, never STOPPING=1, and the re-executed bot says READY=1 again", async () => {
    dir = mkdtempSync(join(tmpdir(), "untether-notify-"));
    const socket = join(dir, "notify.sock");
    listener = listenNotify(socket);
    h = await startHarness({ env: { NOTIFY_SOCKET: socket } });
    const firstReady = await listener.waitFor((m) => m.startsWith("READY=1"));
    h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/restart" });
    const reloading = await listener.waitFor((m) => m === "RELOADING=1", firstReady);
    await listener.waitFor((m) => m.startsWith("READY=1"), reloading);
    expect(listener.messages()).not.toContain("STOPPING=1");
  }, 60_000);
});

describe("sd_notify pieces", () => {
  test("a path address is NUL-terminated; an abstract one starts with NUL; others are refused", () => {
    const path = notifySocketAddress("/run/systemd/notify");
    expect(path?.length).toBe(2 + 19 + 1);
    expect(path?.bytes[2]).toBe("/".charCodeAt(0));
    const abstract = notifySocketAddress("@/org/freedesktop/systemd1/notify/123");
    expect(abstract?.length).toBe(2 + 37);
    expect(abstract?.bytes[2]).toBe(0);
    expect(notifySocketAddress("vsock:2:1234")).toBeUndefined();
    expect(notifySocketAddress(`/${"x".repeat(107)}`)).toBeUndefined();
    expect(notifySocketAddress(`/${"x".repeat(106)}`)?.length).toBe(110);
  });

  test("the watchdog interval is half of WATCHDOG_USEC, only for the process it names", () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000" }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "42" }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "41" }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({}, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "soon" }, 42)).toBeUndefined();
  });
});
