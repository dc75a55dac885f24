// Start-up pages paged out (cli/page-out.ts): which mappings are chosen, and the advice on this process.
import { describe, expect, test } from "bun:test";
import { mappingsOf, pageOutExecutable, residentFileKib } from "../../src/cli/page-out.ts";

const MAPS = [
  "55d0c0000000-55d0c0400000 r--p 00000000 08:01 123 /opt/untether/untether",
  "55d0c0400000-55d0c2000000 r-xp 00400000 08:01 123 /opt/untether/untether",
  "55d0c2000000-55d0c2100000 rw-p 02000000 08:01 123 /opt/untether/untether",
  "55d0c2100000-55d0c2200000 rw-p 00000000 00:00 0 ",
  "7f0000000000-7f0000200000 r-xp 00000000 08:01 456 /usr/lib/x86_64-linux-gnu/libc.so.6",
  "7f0000200000-7f0000300000 r-xp 00000000 08:01 789 /opt/untether/untether-old",
  "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]",
].join("\n");

describe("mappingsOf", () => {
  test("picks exactly the executable's mappings, with their permissions", () => {
    expect(mappingsOf(MAPS, "/opt/untether/untether")).toEqual([
      { start: 0x55d0c0000000, end: 0x55d0c0400000, perms: "r--p" },
      { start: 0x55d0c0400000, end: 0x55d0c2000000, perms: "r-xp" },
      { start: 0x55d0c2000000, end: 0x55d0c2100000, perms: "rw-p" },
    ]);
  });

  test("a path that maps nothing gives nothing", () => {
    expect(mappingsOf(MAPS, "/opt/untether")).toEqual([]);
  });
});

test("residentFileKib reads RssFile from a status text", () => {
  expect(residentFileKib("Name:\tuntether\nRssAnon:\t    8192 kB\nRssFile:\t   42012 kB\nRssShmem:\t0 kB\n")).toBe(
    42012,
  );
  expect(residentFileKib("Name:\tuntether\n")).toBeUndefined();
});

describe("on this process", () => {
  test("advises every read-only mapping of the executable on Linux (nothing elsewhere), and carries on", async () => {
    const result = await pageOutExecutable();
    if (process.platform !== "linux") {
      expect(result).toBeUndefined();
      return;
    }
    expect(result?.ranges).toBeGreaterThan(0);
    expect(result?.refused).toBe(0);
    // Code paged out comes back on use.
    expect(new Bun.CryptoHasher("sha256").update("still here").digest("hex")).toHaveLength(64);
  });

  test("an executable this process does not map is left alone", async () => {
    expect(await pageOutExecutable("/nonexistent/untether")).toBeUndefined();
  });
});
