// The Bun.build options of a single-binary build, shared by scripts/build.ts and the benchmarks'
// compiled baselines (which must be built exactly like the binary they are compared with).
// Flags measured in ../shared/reference/bun-notes.md §5.3: bytecode + ESM cuts start-up ~3x;
// autoload of .env / bunfig.toml / tsconfig / package.json from the directory the binary is started
// in is switched off (a user's project must not configure us).

import { pinoInBinary } from "./pino-in-binary.ts";

/** JIT tier-up threshold scale the binary starts with (1 = Bun's normal policy). */
export const STARTUP_JIT_POLICY = 50;

/** `target`: another platform's Bun runtime (`bun run release`); default the running one. */
export function compileOptions(
  entry: string,
  outfile: string,
  define: Record<string, string> = {},
  target?: Bun.Build.CompileTarget,
): Bun.BuildConfig {
  return {
    entrypoints: [entry],
    compile: {
      outfile,
      ...(target === undefined ? {} : { target }),
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
      // Start-up code (config parsing, schema compilation, wiring) runs once: raised tier-up thresholds
      // keep it interpreted instead of JIT-compiled, ~4 MiB less idle RSS (docs/benchmarks.md). The
      // bot sets the normal policy back once it is up (cli/service.ts); short commands never need it.
      jitPolicy: STARTUP_JIT_POLICY,
    },
    bytecode: true,
    format: "esm",
    minify: true,
    sourcemap: "linked",
    target: "bun",
    // Code splitting keeps the lazily imported bot, webhook server and demo out of `--version`:
    // measured ~25 ms → ~11 ms and 42 → 34 MB RSS (docs/benchmarks.md).
    splitting: true,
    // pino's file destinations and worker transports, which the binary never uses, are left out.
    plugins: [pinoInBinary],
    define: { "process.env.NODE_ENV": JSON.stringify("production"), ...define },
  };
}
