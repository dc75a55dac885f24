// The demo as a user meets it: `untether demo --port 0` (the compiled binary when built), its chat
// page opened in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// a task typed and sent, a permission request approved with the inline button, a screenshot kept
// in .artifacts/demo.png, and a clean exit on SIGTERM.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { ROOT, untetherCommand } from "../support/harness.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, ".artifacts");
const URL_LINE = /Untether demo is running: (http:\/\/127\.0\.0\.1:\d+\/\?key=[A-Za-z0-9_-]+)/;

interface Demo {
  proc: Bun.Subprocess<"ignore", "ignore", "pipe">;
  url: string;
  stderr: () => string;
}

const home = mkdtempSync(join(tmpdir(), "untether-demo-browser-"));
let demo: Demo | undefined;
let browser: Browser | undefined;

/** Starts the demo and reads its URL from stderr; stderr keeps being drained so the pipe never fills. */
async function startDemo(): Promise<Demo> {
  const proc = Bun.spawn([...untetherCommand(), "demo", "--port", "0"], {
    cwd: home,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  let text = "";
  let found: (url: string) => void = () => {};
  const urlSeen = new Promise<string>((resolve) => {
    found = resolve;
  });
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr) {
      text += dec.decode(chunk, { stream: true });
      const m = URL_LINE.exec(text);
      if (m?.[1]) found(m[1]);
    }
  })();
  const url = await Promise.race([
    urlSeen,
    proc.exited.then((code) => Promise.reject(new Error(`the demo exited with ${code} before it was ready:\n${text}`))),
    Bun.sleep(20_000).then(() => Promise.reject(new Error(`no "Untether demo is running" line within 20 s:\n${text}`))),
  ]);
  return { proc, url, stderr: () => text };
}

afterAll(async () => {
  await browser?.close().catch(() => {});
  if (demo && demo.proc.exitCode === null) demo.proc.kill("SIGKILL");
  rmSync(home, { recursive: true, force: true });
});

test("the demo page: send a task, watch progress and the answer, approve a command, exit 0 on SIGTERM", async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is needed for the demo page test and was not found at ${CHROMIUM}; install it with: apt-get install -y chromium`,
    );
  }
  demo = await startDemo();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(m.text());
  });
  page.on("response", (r) => {
    if (r.status() >= 400) pageErrors.push(`${r.status()} ${r.url()}`);
  });

  // Without the key from the printed URL, another local user gets nothing: not the page, not the API.
  const origin = new URL(demo.url).origin;
  for (const path of ["/", "/demo.json", "/__emulator/state", "/?key=wrong"]) {
    expect((await fetch(origin + path)).status).toBe(403);
  }
  await page.goto(demo.url);
  await page.locator("body.ready").waitFor({ timeout: 10_000 });
  // The key leaves the address bar (a redirect to "/"); the browser holds an HttpOnly, SameSite=Strict
  // cookie named after the port instead.
  expect(page.url()).toBe(`${origin}/`);
  const port = new URL(demo.url).port;
  const cookies = await page.context().cookies(origin);
  expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([[`untether_demo_${port}`, true, "Strict"]]);
  expect(await page.locator("#bot-name").textContent()).toBe("Untether");
  expect(await page.locator("#engine").textContent()).toContain("mock");

  // Progress messages can come and go between two screenshots; record every one the page shows.
  // (Browser-side code is passed as text: this project's TypeScript has no DOM types.)
  await page.evaluate(`(() => {
    window.progressSeen = [];
    const list = document.getElementById("messages");
    new MutationObserver(() => {
      for (const m of list.querySelectorAll(".msg.bot")) {
        const buttons = [...m.querySelectorAll(".kb-btn")].map((b) => b.textContent);
        if (buttons.some((b) => b.includes("Cancel"))) window.progressSeen.push(m.textContent);
      }
    }).observe(list, { childList: true, subtree: true, characterData: true });
  })()`);

  const input = page.getByLabel("Message", { exact: true });
  await input.fill("hello from the browser");
  await input.press("Enter");
  await page.locator(".msg.user", { hasText: "hello from the browser" }).waitFor({ timeout: 10_000 });
  const answer = page.locator(".msg.bot", { hasText: "You said: hello from the browser" });
  await answer.waitFor({ timeout: 20_000 });
  const seen = (await page.evaluate("window.progressSeen")) as string[];
  expect(seen.length).toBeGreaterThan(0);
  // The answer quotes the message it replies to, and renders the bot's HTML (a code block).
  expect(await answer.locator(".quote").textContent()).toContain("hello from the browser");
  expect(await answer.locator("pre").count()).toBeGreaterThan(0);
  expect(await input.inputValue()).toBe("");

  await input.fill("mock:ask rm -rf build");
  await input.press("Enter");
  const approve = page.locator(".msg.bot .kb-btn", { hasText: "Approve" });
  await approve.waitFor({ timeout: 20_000 });
  await approve.click();
  await page.locator("#toast", { hasText: "Approved" }).waitFor({ state: "visible", timeout: 10_000 });
  await page.locator(".msg.bot", { hasText: "Permission granted" }).waitFor({ timeout: 20_000 });

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "demo.png") });
  expect(pageErrors).toEqual([]);

  // The bot's HTML is rebuilt from Telegram's tags only: no scripts, handlers or javascript: links.
  const hostileHtml =
    '<b>bold</b><img src=x onerror="window.pwned=1"><a href="javascript:window.pwned=1">js</a><a href="https://example.com/" onclick="x()">ok</a>' +
    '<span class="tg-spoiler">hidden</span><div style="color:red">div text</div><script>window.pwned=1</script><pre><code class="language-ts">x</code></pre>';
  const hostile = await page.evaluate(`(() => {
    const box = document.createElement("div");
    box.append(renderHtml(${JSON.stringify(hostileHtml)}));
    return box.innerHTML;
  })()`);
  expect(hostile).toBe(
    '<b>bold</b>js<a href="https://example.com/" rel="noopener noreferrer" target="_blank">ok</a>' +
      '<span class="tg-spoiler" tabindex="0" role="button" aria-label="spoiler, press to reveal">hidden</span>div textwindow.pwned=1<pre><code class="language-ts">x</code></pre>',
  );
  // (Chromium's CSP also reports the handlers it saw in the parsed copy; nothing ran.)
  expect(await page.evaluate("window.pwned")).toBeUndefined();
  await browser.close();
  browser = undefined;

  demo.proc.kill("SIGTERM");
  const code = await Promise.race([demo.proc.exited, Bun.sleep(15_000).then(() => "still running 15 s after SIGTERM")]);
  expect(code, demo.stderr()).toBe(0);
}, 90_000);
