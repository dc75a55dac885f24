// The demo opened through an SSH tunnel (`ssh -L 9000:127.0.0.1:<port> server`, here a local port
// forward): the browser sends Host: localhost:<other port>. The access key, not the Host, is the
// guard: with the key the page works end to end through the tunnel; without it (or with a wrong one)
// nothing answers. When the demo stops, the page says it cannot reach its server.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { untetherCommand } from "../support/harness.ts";
import { type Forward, forwardPort } from "../support/tcp-forward.ts";

const CHROMIUM = "/usr/bin/chromium";
const URL_LINE = /Untether demo is running: http:\/\/127\.0\.0\.1:(\d+)\/\?key=([A-Za-z0-9_-]+)/;

const home = mkdtempSync(join(tmpdir(), "untether-demo-tunnel-"));
let proc: Bun.Subprocess<"ignore", "ignore", "pipe"> | undefined;
let browser: Browser | undefined;
let tunnel: Forward | undefined;

afterAll(async () => {
  await browser?.close().catch(() => {});
  tunnel?.stop();
  if (proc && proc.exitCode === null) proc.kill("SIGKILL");
  rmSync(home, { recursive: true, force: true });
});

test("through a tunnel on another port: the key lets the page in, no key gets nothing, a stopped demo is said", async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is needed for this test and was not found at ${CHROMIUM}; apt-get install -y chromium`);
  }
  proc = Bun.spawn([...untetherCommand(), "demo", "--port", "0"], {
    cwd: home,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  let text = "";
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc!.stderr) text += dec.decode(chunk, { stream: true });
  })();
  const deadline = Date.now() + 20_000;
  while (!URL_LINE.test(text)) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`the demo did not start:\n${text}`);
    await Bun.sleep(50);
  }
  const [, port, key] = URL_LINE.exec(text) as RegExpExecArray;
  tunnel = forwardPort(Number(port));
  expect(tunnel.port).not.toBe(Number(port));
  const origin = `http://localhost:${tunnel.port}`;

  // The key is still required through the tunnel: nothing without it, nothing with a wrong one.
  for (const path of ["/", "/demo.json", "/__emulator/state", "/?key=wrong", `/?key=${key}x`]) {
    expect((await fetch(origin + path, { redirect: "manual" })).status).toBe(403);
  }

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu"],
  });
  const page = await browser.newPage();
  await page.goto(`${origin}/?key=${key}`);
  await page.locator("body.ready").waitFor({ timeout: 15_000 });
  expect(page.url()).toBe(`${origin}/`);
  const input = page.getByLabel("Message", { exact: true });
  await input.fill("hello through the tunnel");
  await input.press("Enter");
  await page.locator(".msg.bot", { hasText: "You said: hello through the tunnel" }).waitFor({ timeout: 20_000 });

  // The demo stops: the page says it cannot reach its server instead of spinning.
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
  await page.locator("#status.error", { hasText: "cannot reach the demo server" }).waitFor({ timeout: 20_000 });
}, 90_000);
