// How doctor finds engine CLIs. engines/availability.ts (detectEngine: PATH lookup, version,
// runnable) is the real implementation; until it lands this falls back to a PATH lookup only.
import type { DetectEngine } from "./types.ts";

/** PATH lookup without running anything: installed or not, no version. */
export const whichOnly: DetectEngine = async (cli, env) => {
  const path = Bun.which(cli, { PATH: env.PATH ?? "" });
  return path === null ? { installed: false } : { installed: true, path };
};

export async function defaultDetectEngine(): Promise<DetectEngine> {
  // A variable specifier keeps the type-check independent of a module that may not exist yet.
  const spec = "../engines/availability.ts";
  try {
    const mod = (await import(spec)) as { detectEngine?: DetectEngine };
    if (typeof mod.detectEngine === "function") return mod.detectEngine;
  } catch {
    // not there yet: fall back
  }
  return whichOnly;
}
