// The project's test command (`bun run test`): builds the binary the end-to-end tests drive,
// installs the pinned agent CLIs of the conformance suite into their cache (so no test timeout
// includes the install), runs `bun test`, and prints the closing line CI reads: "N passed, N failed".
// UNTETHER_SKIP_CONFORMANCE=1 leaves out test/conformance/ for a quick local loop; in CI it is an error.
import { mkdirSync, readFileSync } from "node:fs";
import { ensureConformanceClis } from "./conformance-install.ts";

const junitPath = ".artifacts/junit.xml";
mkdirSync(".artifacts", { recursive: true });

const build = Bun.spawnSync(["bun", "scripts/build.ts"], { stdout: "inherit", stderr: "inherit", env: process.env });
if (build.exitCode !== 0) {
  process.stdout.write("0 passed, 1 failed\n");
  process.exit(1);
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.stdout.write("0 passed, 1 failed\n");
  process.exit(1);
}

const skipConformance = process.env.UNTETHER_SKIP_CONFORMANCE === "1";
const inCi = ["true", "1"].includes((process.env.CI ?? "").toLowerCase());
if (skipConformance && inCi)
  fail("UNTETHER_SKIP_CONFORMANCE=1 is for a quick local loop: CI always runs the conformance suite.");
if (skipConformance)
  process.stderr.write("UNTETHER_SKIP_CONFORMANCE=1: skipping test/conformance/ (the real-engine suite)\n");
else {
  try {
    ensureConformanceClis();
  } catch (e) {
    fail((e as Error).message);
  }
}

const extra = [...(skipConformance ? ["--path-ignore-patterns=test/conformance/**"] : []), ...process.argv.slice(2)];
const run = Bun.spawnSync(
  ["bun", "test", "--timeout=60000", "--reporter=junit", `--reporter-outfile=${junitPath}`, ...extra],
  {
    stdout: "inherit",
    stderr: "inherit",
    env: process.env,
  },
);

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
