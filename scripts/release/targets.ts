// The release matrix of `bun run release` and the small pure pieces of it that a test can check:
// file names, the SHA256SUMS file, and what an ELF header says about a binary (arch and libc).

/**
 * How a built binary's `--version` is checked on an x64 glibc build machine: natively; under
 * qemu-x86_64-static emulating a Nehalem CPU (no AVX/AVX2: what "baseline" promises); under
 * qemu-aarch64-static; or, for musl, by its ELF header only.
 */
export type RunCheck = "native" | "qemu-x86_64-nehalem" | "qemu-aarch64" | "elf-only";

export interface ReleaseTarget {
  /** Bun's compile target (`bun build --compile --target=…`). */
  bun: Bun.Build.CompileTarget;
  /** The part of the file name after `untether-<version>-`. */
  suffix: string;
  arch: "x64" | "arm64";
  libc: "glibc" | "musl";
  run: RunCheck;
}

// Every Linux target Bun publishes a runtime for (Bun.Build.CompileTarget: x64 in baseline and
// modern SIMD levels, arm64, each for glibc and musl). musl binaries need musl's libstdc++/libgcc
// (Alpine), which a Debian build machine does not have: their ELF header is checked instead.
export const RELEASE_TARGETS: readonly ReleaseTarget[] = [
  { bun: "bun-linux-x64", suffix: "linux-x64", arch: "x64", libc: "glibc", run: "native" },
  {
    bun: "bun-linux-x64-baseline",
    suffix: "linux-x64-baseline",
    arch: "x64",
    libc: "glibc",
    run: "qemu-x86_64-nehalem",
  },
  { bun: "bun-linux-arm64", suffix: "linux-arm64", arch: "arm64", libc: "glibc", run: "qemu-aarch64" },
  { bun: "bun-linux-x64-musl", suffix: "linux-x64-musl", arch: "x64", libc: "musl", run: "elf-only" },
  {
    bun: "bun-linux-x64-baseline-musl",
    suffix: "linux-x64-baseline-musl",
    arch: "x64",
    libc: "musl",
    run: "elf-only",
  },
  { bun: "bun-linux-arm64-musl", suffix: "linux-arm64-musl", arch: "arm64", libc: "musl", run: "elf-only" },
];

export function releaseFileName(version: string, t: ReleaseTarget): string {
  return `untether-${version}-${t.suffix}`;
}

/** `sha256sum` format: "<64 hex>  <name>" per line (two spaces: binary mode is not marked), sorted by name. */
export function sha256sumsText(entries: readonly { name: string; sha256: string }[]): string {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of sorted) {
    if (!/^[0-9a-f]{64}$/.test(e.sha256)) throw new Error(`not a sha256 hex digest for ${e.name}: ${e.sha256}`);
    if (/[\s\\/]/.test(e.name) || e.name === "") throw new Error(`not a plain file name: ${JSON.stringify(e.name)}`);
  }
  return sorted.map((e) => `${e.sha256}  ${e.name}\n`).join("");
}

export interface ElfFacts {
  arch: "x64" | "arm64" | "other";
  /** The program interpreter (PT_INTERP), e.g. /lib64/ld-linux-x86-64.so.2; undefined when static. */
  interpreter?: string;
}

const EM_X86_64 = 62;
const EM_AARCH64 = 183;
const PT_INTERP = 3;

/** Reads a 64-bit little-endian ELF header; throws on anything else. */
export function elfFacts(bytes: Uint8Array): ElfFacts {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46)
    throw new Error("not an ELF file");
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new Error("not a 64-bit little-endian ELF file");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = v.getUint16(18, true);
  const phoff = Number(v.getBigUint64(32, true));
  const phentsize = v.getUint16(54, true);
  const phnum = v.getUint16(56, true);
  let interpreter: string | undefined;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 56 > bytes.length) throw new Error("truncated ELF program headers");
    if (v.getUint32(at, true) !== PT_INTERP) continue;
    const off = Number(v.getBigUint64(at + 8, true));
    const size = Number(v.getBigUint64(at + 32, true));
    interpreter = new TextDecoder().decode(bytes.subarray(off, off + size)).replace(/\0+$/, "");
  }
  const arch = machine === EM_X86_64 ? "x64" : machine === EM_AARCH64 ? "arm64" : "other";
  return interpreter === undefined ? { arch } : { arch, interpreter };
}

/** What is wrong with a built binary's header for its target, or undefined when it matches. */
export function elfMismatch(facts: ElfFacts, t: ReleaseTarget): string | undefined {
  if (facts.arch !== t.arch) return `is ${facts.arch}, expected ${t.arch}`;
  const interp = facts.interpreter ?? "";
  const isMusl = /ld-musl-/.test(interp);
  if (t.libc === "musl" && !isMusl) return `loader is ${interp || "none"}, expected musl's ld-musl-*.so.1`;
  if (t.libc === "glibc" && !/ld-linux-/.test(interp)) return `loader is ${interp || "none"}, expected glibc's`;
  return undefined;
}
