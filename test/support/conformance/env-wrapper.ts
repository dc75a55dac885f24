// A wrapper put first on PATH under the CLI's name: it records the environment and working
// directory the engine was started with, then execs the real CLI. Tests read the records to prove
// that only allowlisted variables reach an engine and that a run happened in the right directory.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface EngineStart {
  cli: string;
  /** The engine's working directory (symlinks resolved). */
  cwd: string;
  env: Record<string, string>;
}

const sh = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** Writes `<wrapDir>/<cli>` that records into `dumpDir` and execs `realBin`. */
export function writeEnvWrapper(wrapDir: string, cli: string, realBin: string, dumpDir: string): void {
  mkdirSync(wrapDir, { recursive: true });
  mkdirSync(dumpDir, { recursive: true });
  const script = [
    "#!/bin/sh",
    `f=${sh(dumpDir)}/${cli}-$(/bin/date +%s%N)-$$`,
    'pwd -P > "$f.cwd"',
    // The shell's own start environment: exactly what the engine process was given.
    '/bin/cat /proc/$$/environ > "$f.environ"',
    // sh exports PWD; the engine must get exactly what Untether gave the wrapper.
    "/bin/grep -qz '^PWD=' /proc/$$/environ || unset PWD",
    `exec ${sh(realBin)} "$@"`,
    "",
  ].join("\n");
  writeFileSync(join(wrapDir, cli), script);
  chmodSync(join(wrapDir, cli), 0o755);
}

/** Every recorded start, oldest first. */
export function engineStarts(dumpDir: string): EngineStart[] {
  if (!existsSync(dumpDir)) return [];
  return readdirSync(dumpDir)
    .filter((f) => f.endsWith(".environ"))
    .sort((a, b) => {
      const ka = a.split("-");
      const kb = b.split("-");
      return BigInt(ka[1] ?? "0") < BigInt(kb[1] ?? "0") ? -1 : 1;
    })
    .map((f) => {
      const base = f.slice(0, -".environ".length);
      const env: Record<string, string> = {};
      for (const entry of readFileSync(join(dumpDir, f), "utf8").split("\0")) {
        const i = entry.indexOf("=");
        if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1);
      }
      const cwdFile = join(dumpDir, `${base}.cwd`);
      const cwd = existsSync(cwdFile) ? readFileSync(cwdFile, "utf8").trim() : "";
      return { cli: base.split("-")[0] ?? "", cwd, env };
    });
}
