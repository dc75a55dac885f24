// `untether demo --open` as a user runs it (the compiled binary when built): the browser opener gets a
// single-use URL, never the access key (another local user can read the opener's and the browser's
// command lines). The nonce is exchanged once for an HttpOnly, SameSite=Strict cookie whose name
// carries the port; a second use, or a cookie of another name, gets nothing.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { untetherCommand } from "../support/harness.ts";

const URL_LINE = /Untether demo is running: (http:\/\/127\.0\.0\.1:(\d+)\/\?key=([A-Za-z0-9_-]+))/;
const home = mkdtempSync(join(tmpdir(), "untether-demo-open-"));
const argvFile = join(home, "opener-argv");
let proc: Bun.Subprocess<"ignore", "ignore", "pipe"> | undefined;

afterAll(() => {
  if (proc && proc.exitCode === null) proc.kill("SIGKILL");
  rmSync(home, { recursive: true, force: true });
});

test("--open hands the opener a single-use URL; the key stays off every command line", async () => {
  // A stand-in for xdg-open (and macOS's open) that records its argv.
  for (const name of ["xdg-open", "open"]) {
    writeFileSync(join(home, name), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\n`);
    chmodSync(join(home, name), 0o755);
  }
  proc = Bun.spawn([...untetherCommand(), "demo", "--port", "0", "--open"], {
    cwd: home,
    env: { PATH: `${home}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: home },
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
  while (!(URL_LINE.test(text) && existsSync(argvFile) && readFileSync(argvFile, "utf8").includes("\n"))) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`the demo did not start and open:\n${text}`);
    await Bun.sleep(50);
  }
  const [, printed, port, key] = URL_LINE.exec(text) as RegExpExecArray;
  const opened = readFileSync(argvFile, "utf8").trim();
  expect(opened).not.toContain(key as string);
  expect(opened).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?once=[A-Za-z0-9_-]{20,}$`));
  const origin = `http://127.0.0.1:${port}`;

  // The nonce is exchanged once: a cookie for this port, HttpOnly and SameSite=Strict, then a redirect to "/".
  const first = await fetch(opened, { redirect: "manual" });
  expect(first.status).toBe(303);
  expect(first.headers.get("location")).toBe("/");
  const setCookie = first.headers.get("set-cookie") ?? "";
  expect(setCookie).toStartWith(`untether_demo_${port}=`);
  expect(setCookie).toContain("HttpOnly");
  expect(setCookie).toContain("SameSite=Strict");
  const cookie = setCookie.split(";")[0] as string;
  expect(cookie).not.toContain(key as string);
  expect(cookie).not.toContain(opened.split("once=")[1] as string);

  // Used once, the nonce is dead — also for another local user who read it from the opener's argv.
  expect((await fetch(opened, { redirect: "manual" })).status).toBe(403);
  expect((await fetch(`${origin}/`, { headers: { cookie } })).status).toBe(200);
  expect((await fetch(`${origin}/demo.json`, { headers: { cookie } })).status).toBe(200);
  expect((await fetch(`${origin}/demo.json`)).status).toBe(403);
  const otherName = `untether_demo_1${port}=${cookie.split("=")[1]}`;
  expect((await fetch(`${origin}/demo.json`, { headers: { cookie: otherName } })).status).toBe(403);
  // The printed URL (the user's own terminal) still works, and also ends at "/" with a cookie.
  const viaKey = await fetch(printed as string, { redirect: "manual" });
  expect(viaKey.status).toBe(303);
  expect(viaKey.headers.get("set-cookie") ?? "").toStartWith(`untether_demo_${port}=`);

  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
}, 60_000);
