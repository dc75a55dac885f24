// The Bun.build options of a single-binary build, shared by scripts/build.ts and the benchmarks'
// compiled baselines (which must be built exactly like the binary they are compared with).
// Flags measured in ../shared/reference/bun-notes.md §5.3: bytecode + ESM cuts start-up ~3x;
// autoload of .env / bunfig.toml / tsconfig / package.json from the directory the binary is started
// in is switched off (a user's project must not configure us).

export function compileOptions(entry: string, outfile: string, define: Record<string, string> = {}): Bun.BuildConfig {
  return {
    entrypoints: [entry],
    compile: {
      outfile,
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
    },
    bytecode: true,
    format: "esm",
    minify: true,
    sourcemap: "linked",
    target: "bun",
    // Code splitting keeps the lazily imported bot, webhook server and demo out of `--version`:
    // measured ~25 ms → ~11 ms and 42 → 34 MB RSS (docs/benchmarks.md).
    splitting: true,
    define: { "process.env.NODE_ENV": JSON.stringify("production"), ...define },
  };
}
