// Start-up code leaves memory once the bot is up. Starting touches much of Bun's own native code
// (config parsing, schema compilation, the engines' PATH lookups, SQLite, the first fetch): ~13 MiB of
// the executable's pages that then stay resident for the life of the process, though an idle bot
// never runs most of them again. Once up, the bot asks the kernel to page the executable's read-only
// mappings out (madvise MADV_PAGEOUT, Linux ≥ 5.4): their clean pages are dropped, pages other
// processes map too are left alone, and whatever code is needed later is read back on first use.
// A hint: it never changes what any page holds. Measured in docs/benchmarks.md (idle-rss).
import { readFileSync } from "node:fs";

const MADV_PAGEOUT = 21;

export interface Mapping {
  start: number;
  end: number;
  perms: string;
}

/** The mappings of `path` in a /proc/<pid>/maps text. */
export function mappingsOf(mapsText: string, path: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of mapsText.split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s+(.*)$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined || m[4] !== path) continue;
    out.push({ start: Number.parseInt(m[1], 16), end: Number.parseInt(m[2], 16), perms: m[3] });
  }
  return out;
}

/** RssFile of this process in KiB (file-backed resident pages), or undefined off Linux. */
export function residentFileKib(statusText?: string): number | undefined {
  try {
    const text = statusText ?? readFileSync("/proc/self/status", "utf8");
    const m = /^RssFile:\s+(\d+) kB$/m.exec(text);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

export interface PageOutResult {
  /** Mappings of the executable advised (and how many of them the kernel refused). */
  ranges: number;
  refused: number;
  /** RssFile before and after, KiB. */
  beforeKib: number | undefined;
  afterKib: number | undefined;
}

/**
 * Advises the kernel to page out the read-only mappings of the running executable. Undefined where there is
 * nothing to do: not Linux, no /proc, no glibc to call madvise through.
 */
export async function pageOutExecutable(exe: string = process.execPath): Promise<PageOutResult | undefined> {
  if (process.platform !== "linux") return undefined;
  let maps: string;
  try {
    maps = readFileSync("/proc/self/maps", "utf8");
  } catch {
    return undefined;
  }
  // Read-only mappings only (code, constants, the embedded bytecode): with swap on, paging out the
  // data pages the process writes would only send them to swap and back.
  const mappings = mappingsOf(maps, exe).filter((m) => !m.perms.includes("w"));
  if (mappings.length === 0) return undefined;
  let madvise: (addr: number, length: number, advice: number) => number;
  try {
    const { dlopen, FFIType } = await import("bun:ffi");
    const libc = dlopen("libc.so.6", {
      madvise: { args: [FFIType.u64, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
    });
    madvise = (addr, length, advice) => libc.symbols.madvise(addr, length, advice);
  } catch {
    return undefined;
  }
  const beforeKib = residentFileKib();
  let refused = 0;
  // A kernel without MADV_PAGEOUT answers EINVAL: nothing happens, the bot runs as before.
  for (const m of mappings) if (madvise(m.start, m.end - m.start, MADV_PAGEOUT) !== 0) refused++;
  return { ranges: mappings.length, refused, beforeKib, afterKib: residentFileKib() };
}
