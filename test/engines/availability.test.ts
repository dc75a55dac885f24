import { expect, test } from "bun:test";
import { dirname } from "node:path";
import { detectEngine, findCli } from "../../src/engines/availability.ts";
import { fakePath } from "../support/engines/fake-def.ts";

const env = { PATH: `${dirname(fakePath("x"))}:/usr/bin:/bin`, AWS_SECRET_ACCESS_KEY: "leaky" };

test("a CLI on PATH is found and its version read, with the allowlisted env only", async () => {
  const r = await detectEngine("version-ok.sh", env);
  expect(r).toEqual({ installed: true, path: fakePath("version-ok.sh"), version: "fake-cli 1.2.3 clean" });
});

test("a missing CLI is reported as not installed", async () => {
  const r = await detectEngine("no-such-engine-cli", env);
  expect(r.installed).toBe(false);
  expect(r.error).toContain("not found on PATH");
});

test("a --version that hangs is stopped and reported", async () => {
  const r = await detectEngine("version-hang.sh", env, { timeoutMs: 200 });
  expect(r).toMatchObject({ installed: true, error: expect.stringContaining("did not answer") });
});

test("a --version that fails still counts as installed", async () => {
  const r = await detectEngine(fakePath("crash.sh"), env);
  expect(r.installed).toBe(true);
  expect(r.error).toContain("exited with code 3");
});

test("findCli: absolute paths must be executable; relative paths are refused", () => {
  expect(findCli(fakePath("crash.sh"), env)).toBe(fakePath("crash.sh"));
  expect(findCli(fakePath("fake-def.ts"), env)).toBeUndefined();
  expect(findCli("./crash.sh", env)).toBeUndefined();
});
