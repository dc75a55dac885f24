// Start-up never changes the mode of a folder it did not create: with the config in an existing 0755
// folder (think `--config /etc/untether.toml`), the bot starts, leaves the folder as it was, and logs
// `config.dir_insecure_permissions` with the fix; `config set` into a new folder creates it 0700.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Harness, startHarness, untetherCommand } from "../support/harness.ts";

let h: Harness | undefined;
const homes: string[] = [];

afterAll(async () => {
  await h?.stop();
  await h?.emu.stop();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

test("an existing 0755 config folder keeps its mode at start-up; the loose mode is logged with the fix", async () => {
  const home = mkdtempSync(join(tmpdir(), "untether-confdir-"));
  homes.push(home);
  const dir = join(home, ".untether");
  mkdirSync(dir, { mode: 0o755 });
  expect(statSync(dir).mode & 0o777).toBe(0o755);
  h = await startHarness({ home });
  expect(statSync(dir).mode & 0o777).toBe(0o755);
  // The state database was created inside it, the folder untouched.
  expect(statSync(join(dir, "untether.db")).isFile()).toBe(true);
  await h.waitForOutput(/config\.dir_insecure_permissions/);
  const line =
    h
      .output()
      .split("\n")
      .find((l) => l.includes("config.dir_insecure_permissions")) ?? "";
  expect(JSON.parse(line)).toMatchObject({ level: "warn", path: dir, mode: "755" });
  expect(JSON.parse(line).fix).toContain(`chmod 700 ${dir}`);
}, 30_000);

test("config set creates a missing folder 0700", () => {
  const home = mkdtempSync(join(tmpdir(), "untether-confdir-"));
  homes.push(home);
  const p = Bun.spawnSync([...untetherCommand(), "config", "set", "transports.telegram.chat_id", "5"], {
    cwd: home,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(p.exitCode).toBe(0);
  expect(statSync(join(home, ".untether")).mode & 0o777).toBe(0o700);
});
