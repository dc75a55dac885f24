// Builds the single binary dist/untether. Flags measured in ../shared/reference/bun-notes.md §5.3:
// bytecode + ESM cuts start-up ~3x; autoload of .env / bunfig.toml / tsconfig / package.json from the
// directory the binary is started in is switched off (a user's project must not configure us).
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import pkg from "../package.json" with { type: "json" };

const outfile = process.argv[2] ?? "dist/untether";

const result = await Bun.build({
  entrypoints: ["src/main.ts"],
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
  // measured ~25 ms → ~14 ms and 42 → 34 MB RSS (docs/benchmarks.md).
  splitting: true,
  define: {
    UNTETHER_VERSION: JSON.stringify(pkg.version),
    "process.env.NODE_ENV": JSON.stringify("production"),
  },
});

if (!result.success) {
  for (const log of result.logs) process.stderr.write(`${log}\n`);
  process.exit(1);
}
// The compiled binary embeds its source maps; the copies written beside it are not shipped.
for (const map of new Bun.Glob("*.map").scanSync({ cwd: dirname(outfile), absolute: true })) rmSync(map);
process.stdout.write(`built ${outfile} (untether ${pkg.version})\n`);
