// The project's test command (`bun run test`): builds the binary the end-to-end tests drive, runs
// `bun test`, and prints the closing line CI reads: "N passed, N failed".
import { mkdirSync, readFileSync } from "node:fs";

const junitPath = ".artifacts/junit.xml";
mkdirSync(".artifacts", { recursive: true });

const build = Bun.spawnSync(["bun", "scripts/build.ts"], { stdout: "inherit", stderr: "inherit", env: process.env });
if (build.exitCode !== 0) {
  process.stdout.write("0 passed, 1 failed\n");
  process.exit(1);
}

const extra = process.argv.slice(2);
const run = Bun.spawnSync(["bun", "test", "--timeout=60000", "--reporter=junit", `--reporter-outfile=${junitPath}`, ...extra], {
  stdout: "inherit",
  stderr: "inherit",
  env: process.env,
});

function attr(xml: string, name: string): number {
  const m = new RegExp(`<testsuites[^>]*\\s${name}="(\\d+)"`).exec(xml);
  return m ? Number(m[1]) : 0;
}

let total = 0;
let failed = 0;
let skipped = 0;
try {
  const xml = readFileSync(junitPath, "utf8");
  total = attr(xml, "tests");
  failed = attr(xml, "failures") + attr(xml, "errors");
  skipped = attr(xml, "skipped");
} catch {
  // No report at all: the runner itself failed.
}
// A non-zero exit with no failed test counted (an error outside any test) is still a failure.
if (run.exitCode !== 0 && failed === 0) failed = 1;
const passed = Math.max(0, total - failed - skipped);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
process.exit(run.exitCode === 0 && failed === 0 ? 0 : 1);
