// Is an engine CLI installed, where, and which version? Used by `doctor` and at startup. The version
// probe runs with the allowlisted environment (never our own secrets) and a short time limit.
import { accessSync, constants } from "node:fs";
import { isAbsolute } from "node:path";
import { sanitizeForUser } from "../log/redact.ts";
import { filterEnv } from "../security/env-policy.ts";

export interface EngineAvailability {
  installed: boolean;
  /** Absolute path of the executable found. */
  path?: string;
  /** First line of `<cli> --version`. */
  version?: string;
  /** Why the version could not be read (the CLI may still work). */
  error?: string;
}

export interface DetectOptions {
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute paths are taken as they are (if executable); bare names are looked up on env.PATH. */
export function findCli(cli: string, env: Record<string, string | undefined>): string | undefined {
  if (isAbsolute(cli)) return executable(cli) ? cli : undefined;
  if (cli.includes("/")) return undefined; // relative paths would depend on our cwd
  return Bun.which(cli, { PATH: env.PATH ?? "" }) ?? undefined;
}

function firstLine(text: string): string | undefined {
  const line = text.split("\n").find((l) => l.trim() !== "");
  return line === undefined ? undefined : sanitizeForUser(line.trim(), 120);
}

export async function detectEngine(
  cli: string,
  env: Record<string, string | undefined>,
  opts: DetectOptions = {},
): Promise<EngineAvailability> {
  const path = findCli(cli, env);
  if (!path) return { installed: false, error: `\`${cli}\` was not found on PATH` };
  let proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  try {
    proc = Bun.spawn([path, "--version"], {
      env: filterEnv(env), // explicit: Bun would otherwise pass its start-up environment
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      detached: true, // its own group, so a CLI that forks a helper is stopped whole on timeout
    });
  } catch (e) {
    return {
      installed: true,
      path,
      error: `could not run \`${cli} --version\` (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    };
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  if (timedOut) return { installed: true, path, error: `\`${cli} --version\` did not answer in time` };
  const version = firstLine(out) ?? firstLine(err);
  if (code !== 0) {
    return {
      installed: true,
      path,
      ...(version ? { version } : {}),
      error: `\`${cli} --version\` exited with code ${code}`,
    };
  }
  return version ? { installed: true, path, version } : { installed: true, path };
}
