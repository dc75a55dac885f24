// How doctor finds engine CLIs: engines/availability.ts (PATH lookup, `--version` with the
// allowlisted env and a time limit), loaded only when the engine checks run.
import type { DetectEngine } from "./types.ts";

export async function defaultDetectEngine(): Promise<DetectEngine> {
  const { detectEngine } = await import("../engines/availability.ts");
  return (cli, env) => detectEngine(cli, env);
}
