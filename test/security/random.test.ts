import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Glob } from "bun";
import { randomBelow, randomBytes } from "../../src/security/random.ts";

const ROOT = join(import.meta.dir, "../..");

describe("random", () => {
  test("randomBytes: the asked length, and not the same twice", () => {
    expect(randomBytes(16).byteLength).toBe(16);
    expect(randomBytes(0).byteLength).toBe(0);
    expect(randomBytes(16).equals(randomBytes(16))).toBe(false);
  });

  test("randomBelow: always in range, every value reached, roughly uniform", () => {
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) {
      const v = randomBelow(6);
      expect(Number.isInteger(v) && v >= 0 && v < 6).toBe(true);
      counts[v] = (counts[v] ?? 0) + 1;
    }
    // 10 000 expected each; 9 000–11 000 is > 20 standard deviations wide.
    for (const c of counts) expect(c).toBeGreaterThan(9_000);
    for (const c of counts) expect(c).toBeLessThan(11_000);
    expect(randomBelow(1)).toBe(0);
    const big = randomBelow(2 ** 32);
    expect(big >= 0 && big < 2 ** 32).toBe(true);
  });

  test("randomBelow refuses what it cannot draw", () => {
    for (const bad of [0, -1, 1.5, 2 ** 32 + 1, Number.NaN]) expect(() => randomBelow(bad)).toThrow(RangeError);
  });

  test("the bot's code never loads node:crypto (the emulator, test-only, may)", () => {
    const offenders: string[] = [];
    for (const file of new Glob("src/**/*.ts").scanSync({ cwd: ROOT })) {
      if (file.startsWith("src/emulator/")) continue;
      const text = readFileSync(join(ROOT, file), "utf8");
      if (/from "(node:)?crypto"|require\("(node:)?crypto"\)/.test(text)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});
