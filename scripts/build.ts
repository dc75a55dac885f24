// Builds the single binary dist/untether (options in scripts/compile-options.ts).
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { compileOptions } from "./compile-options.ts";

const outfile = process.argv[2] ?? "dist/untether";

const result = await Bun.build(
  compileOptions("src/main.ts", outfile, { UNTETHER_VERSION: JSON.stringify(pkg.version) }),
);

if (!result.success) {
  for (const log of result.logs) process.stderr.write(`${log}\n`);
  process.exit(1);
}
// The compiled binary embeds its source maps; the copies written beside it are not shipped.
for (const map of new Bun.Glob("*.map").scanSync({ cwd: dirname(outfile), absolute: true })) rmSync(map);
process.stdout.write(`built ${outfile} (untether ${pkg.version})\n`);
