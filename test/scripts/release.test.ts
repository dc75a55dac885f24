// `bun run release`: the target list, the SHA256SUMS writer (checked by the real `sha256sum -c`) and
// the ELF header check that tells a binary's arch and libc.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  elfFacts,
  elfMismatch,
  RELEASE_TARGETS,
  type ReleaseTarget,
  releaseFileName,
  sha256sumsText,
} from "../../scripts/release/targets.ts";

const target = (suffix: string): ReleaseTarget => {
  const t = RELEASE_TARGETS.find((x) => x.suffix === suffix);
  if (!t) throw new Error(`no target ${suffix}`);
  return t;
};

describe("release targets", () => {
  test("the glibc builds the issue lists and every musl variant Bun publishes", () => {
    expect(RELEASE_TARGETS.map((t) => t.bun)).toEqual([
      "bun-linux-x64",
      "bun-linux-x64-baseline",
      "bun-linux-arm64",
      "bun-linux-x64-musl",
      "bun-linux-x64-baseline-musl",
      "bun-linux-arm64-musl",
    ]);
    expect(RELEASE_TARGETS.map((t) => releaseFileName("1.2.3", t))).toEqual([
      "untether-1.2.3-linux-x64",
      "untether-1.2.3-linux-x64-baseline",
      "untether-1.2.3-linux-arm64",
      "untether-1.2.3-linux-x64-musl",
      "untether-1.2.3-linux-x64-baseline-musl",
      "untether-1.2.3-linux-arm64-musl",
    ]);
  });

  test("each target's arch and libc agree with its Bun target name; x64 and arm64 glibc are run", () => {
    for (const t of RELEASE_TARGETS) {
      expect(String(t.bun)).toBe(`bun-${t.suffix}`);
      expect(t.bun.includes("arm64")).toBe(t.arch === "arm64");
      expect(t.bun.endsWith("-musl")).toBe(t.libc === "musl");
    }
    expect(target("linux-x64").run).toBe("native");
    expect(target("linux-x64-baseline").run).toBe("qemu-x86_64-nehalem");
    expect(target("linux-arm64").run).toBe("qemu-aarch64");
  });
});

describe("SHA256SUMS", () => {
  test("sha256sum -c accepts the file the release writes", () => {
    const dir = mkdtempSync(join(tmpdir(), "untether-sums-"));
    try {
      const files = { "untether-0.1.0-linux-x64": "x64 bytes\n", "untether-0.1.0-linux-arm64": "arm64\0bytes" };
      const entries = Object.entries(files).map(([name, body]) => {
        writeFileSync(join(dir, name), body);
        return { name, sha256: new Bun.CryptoHasher("sha256").update(body).digest("hex") };
      });
      const text = sha256sumsText(entries);
      expect(text.split("\n")[0]).toMatch(/^[0-9a-f]{64} {2}untether-0\.1\.0-linux-arm64$/);
      writeFileSync(join(dir, "SHA256SUMS"), text);
      const ok = Bun.spawnSync(["sha256sum", "-c", "SHA256SUMS"], { cwd: dir, env: { PATH: process.env.PATH ?? "" } });
      expect(ok.stdout.toString()).toBe("untether-0.1.0-linux-arm64: OK\nuntether-0.1.0-linux-x64: OK\n");
      expect(ok.exitCode).toBe(0);
      writeFileSync(join(dir, "untether-0.1.0-linux-x64"), "tampered");
      expect(
        Bun.spawnSync(["sha256sum", "-c", "SHA256SUMS"], { cwd: dir, env: { PATH: process.env.PATH ?? "" } }).exitCode,
      ).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("refuses a digest that is not sha256 hex and a name with a path or a space", () => {
    const sha256 = "a".repeat(64);
    expect(() => sha256sumsText([{ name: "x", sha256: "abc" }])).toThrow("not a sha256");
    expect(() => sha256sumsText([{ name: "../x", sha256 }])).toThrow("not a plain file name");
    expect(() => sha256sumsText([{ name: "a b", sha256 }])).toThrow("not a plain file name");
  });
});

describe("ELF check", () => {
  // The Bun running this test is an x64 glibc executable (the machine the release is built on).
  const head = () => new Uint8Array(readFileSync(process.execPath).subarray(0, 64 * 1024));

  test("reads arch and loader of a real executable", () => {
    const facts = elfFacts(head());
    expect(facts).toEqual({ arch: "x64", interpreter: "/lib64/ld-linux-x86-64.so.2" });
    expect(elfMismatch(facts, target("linux-x64"))).toBeUndefined();
    expect(elfMismatch(facts, target("linux-arm64"))).toBe("is x64, expected arm64");
    expect(elfMismatch(facts, target("linux-x64-musl"))).toContain("expected musl's");
  });

  test("an aarch64 header with musl's loader matches only linux-arm64-musl", () => {
    const bytes = head();
    new DataView(bytes.buffer).setUint16(18, 183, true);
    expect(elfFacts(bytes).arch).toBe("arm64");
    const musl = { arch: "arm64", interpreter: "/lib/ld-musl-aarch64.so.1" } as const;
    expect(elfMismatch(musl, target("linux-arm64-musl"))).toBeUndefined();
    expect(elfMismatch(musl, target("linux-arm64"))).toContain("expected glibc's");
  });

  test("a file that is not ELF is refused", () => {
    expect(() => elfFacts(new TextEncoder().encode("#!/bin/sh\necho untether 0.1.0\n".padEnd(80)))).toThrow(
      "not an ELF file",
    );
  });
});
