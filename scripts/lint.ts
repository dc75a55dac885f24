// `bun run lint`: Biome (format, imports, lint rules in biome.jsonc) and the house rules Biome has no
// rule for. `bun run lint --write` applies Biome's safe fixes and formatting first.
import { existsSync, readFileSync } from "node:fs";

const write = process.argv.includes("--write");
// The pinned devDependency, never `bunx biome`: that name on the registry is another package.
const BIOME = "node_modules/.bin/biome";
if (!existsSync(BIOME)) {
  process.stderr.write(`${BIOME} is missing: run \`bun install\` (it is a devDependency).\n`);
  process.exit(1);
}
const biome = Bun.spawnSync([BIOME, "check", ...(write ? ["--write"] : []), "."], {
  stdout: "inherit",
  stderr: "inherit",
  env: process.env,
});

// Class members are private by ECMAScript `#name`, never TypeScript's `private` keyword: one way in
// the whole tree, and `#` is enforced at run time too. A `private constructor` (factory classes) has
// no `#` form and stays.
const tsPrivate = /^\s*(?:private|protected)\s+(?:readonly\s+|static\s+|async\s+)*(?!constructor\b)[A-Za-z_$]/;
const problems: string[] = [];
const files = Bun.spawnSync(["git", "ls-files", "-co", "--exclude-standard", "*.ts"]).stdout.toString().split("\n");
for (const file of files.filter(Boolean)) {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    continue; // listed but deleted in the work tree
  }
  text.split("\n").forEach((line, i) => {
    if (tsPrivate.test(line))
      problems.push(`${file}:${i + 1}: use a #private member instead of \`${line.trim().split(/\s/)[0]}\``);
  });
}
for (const p of problems) process.stderr.write(`${p}\n`);

const ok = biome.exitCode === 0 && problems.length === 0;
process.stdout.write(
  ok ? "lint: clean\n" : `lint: FAILED (biome exit ${biome.exitCode}, ${problems.length} house-rule problem(s))\n`,
);
process.exit(ok ? 0 : 1);
