// /proc/meminfo parsing for the pre-spawn memory guard.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMemAvailableMb, procMemAvailableMb } from "../../src/core/admission.ts";

describe("meminfo", () => {
  test("MemAvailable in kB becomes MiB", () => {
    const text = "MemTotal:       24683772 kB\nMemFree:         1000000 kB\nMemAvailable:    2048000 kB\n";
    expect(parseMemAvailableMb(text)).toBe(2000);
  });

  test("a file without MemAvailable (old kernels) or no file at all: unknown", () => {
    expect(parseMemAvailableMb("MemTotal: 1 kB\nMemFree: 1 kB\n")).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), "meminfo-"));
    expect(procMemAvailableMb(join(dir, "absent"))).toBeUndefined();
    writeFileSync(join(dir, "meminfo"), "MemAvailable:     512000 kB\n");
    expect(procMemAvailableMb(join(dir, "meminfo"))).toBe(500);
  });
});
