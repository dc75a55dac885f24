// `bun run release`: one binary per Linux target Bun supports (scripts/release/targets.ts), built
// exactly like `bun run build` (scripts/compile-options.ts), into dist/release/ with SHA256SUMS.
// Cross-compiling makes Bun download that target's runtime from the npm registry (cached in Bun's
// install cache). Then each binary is checked: its ELF header names the right arch and libc, and
// `--version` answers — x64 natively, x64-baseline under qemu-x86_64-static on a Nehalem CPU (no
// AVX2), arm64 under qemu-aarch64-static (Debian qemu-user-static + libc6-arm64-cross), musl ones
// by their header only (they need Alpine's libstdc++/libgcc).
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { compileOptions } from "./compile-options.ts";
import {
  elfFacts,
  elfMismatch,
  RELEASE_TARGETS,
  type ReleaseTarget,
  releaseFileName,
  sha256sumsText,
} from "./release/targets.ts";

const OUT_DIR = resolve(process.argv[2] ?? "dist/release");
const AARCH64_SYSROOT = "/usr/aarch64-linux-gnu";

function fail(message: string): never {
  process.stderr.write(`release: ${message}\n`);
  process.exit(1);
}

/** The messages of a failed Bun.build (an AggregateError of build messages). */
function buildErrors(e: unknown): string[] {
  const inner = e instanceof AggregateError ? e.errors : [e];
  return inner.map((x) => (x instanceof Error ? x.message : String(x)));
}

async function buildTarget(t: ReleaseTarget, outfile: string): Promise<void> {
  // Built in a folder of its own beside the result (Bun writes chunk maps next to the binary; a
  // rename within one file system).
  const work = mkdtempSync(join(OUT_DIR, `.build-${t.suffix}-`));
  const tmpOut = join(work, "untether");
  const options = compileOptions("src/main.ts", tmpOut, { UNTETHER_VERSION: JSON.stringify(pkg.version) }, t.bun);
  const problems = await Bun.build(options).then(
    (r) => (r.success ? [] : r.logs.map(String)),
    (e: unknown) => buildErrors(e),
  );
  if (problems.length === 0) renameSync(tmpOut, outfile);
  rmSync(work, { recursive: true, force: true });
  if (problems.length > 0)
    fail(
      `${t.bun}: could not build; is Bun ${Bun.version}'s runtime for ${t.bun} downloadable from the npm registry? ${problems.join("; ")}`,
    );
}

function qemu(t: ReleaseTarget, name: string): string {
  const path = Bun.which(name);
  if (!path) fail(`${t.bun}: ${name} is not installed (Debian: apt-get install qemu-user-static libc6-arm64-cross)`);
  return path;
}

function versionCommand(t: ReleaseTarget, file: string): string[] | undefined {
  if (t.run === "native") return [file, "--version"];
  if (t.run === "qemu-aarch64") return [qemu(t, "qemu-aarch64-static"), "-L", AARCH64_SYSROOT, file, "--version"];
  if (t.run === "qemu-x86_64-nehalem") return [qemu(t, "qemu-x86_64-static"), "-cpu", "Nehalem", file, "--version"];
  return undefined;
}

function check(t: ReleaseTarget, file: string): string {
  const head = readFileSync(file).subarray(0, 64 * 1024);
  const mismatch = elfMismatch(elfFacts(head), t);
  if (mismatch) fail(`${t.bun}: ${file} ${mismatch}`);
  const cmd = versionCommand(t, file);
  if (!cmd) return "ELF header checked (musl: not run here)";
  const empty = mkdtempSync(join(tmpdir(), "untether-release-run-"));
  try {
    const r = Bun.spawnSync(cmd, {
      cwd: empty,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = r.stdout.toString().trim();
    if (r.exitCode !== 0 || out !== `untether ${pkg.version}`)
      fail(`${t.bun}: \`${cmd.join(" ")}\` exited ${r.exitCode}: ${out} ${r.stderr.toString().trim()}`);
    return `--version: ${out}${t.run === "native" ? "" : ` (${t.run})`}`;
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
}

rmSync(OUT_DIR, { recursive: true, force: true });
mkdirSync(OUT_DIR, { recursive: true });
const sums: { name: string; sha256: string }[] = [];
for (const t of RELEASE_TARGETS) {
  const name = releaseFileName(pkg.version, t);
  const file = join(OUT_DIR, name);
  const started = performance.now();
  await buildTarget(t, file);
  const checked = check(t, file);
  const bytes = readFileSync(file);
  sums.push({ name, sha256: createHash("sha256").update(bytes).digest("hex") });
  const mb = (bytes.length / 1e6).toFixed(1);
  process.stdout.write(`${name}  ${mb} MB  ${((performance.now() - started) / 1000).toFixed(1)} s  ${checked}\n`);
}
writeFileSync(join(OUT_DIR, "SHA256SUMS"), sha256sumsText(sums));
process.stdout.write(`wrote ${OUT_DIR}/SHA256SUMS (${sums.length} binaries)\n`);
