// `bun run bench [-- --write] [-- --only=startup,pipeline]`: every benchmark in turn, one table at
// the end; with --write, docs/benchmarks.md is rewritten. A benchmark that throws is reported and
// the others still run (the exit code is then 1).

import { run as idleMemory } from "./idle-memory.ts";
import { run as latency } from "./latency.ts";
import { type BenchResult, ensureBinary, printResults, writeDocs } from "./lib.ts";
import { run as pipeline } from "./pipeline.ts";
import { run as startup } from "./startup.ts";
import { run as telegramBudget } from "./telegram-budget.ts";
import { run as webhooks } from "./webhooks.ts";

const BENCHES: Array<[string, () => Promise<BenchResult[]>]> = [
  ["startup", startup],
  ["idle-memory", idleMemory],
  ["pipeline", pipeline],
  ["telegram-budget", telegramBudget],
  ["latency", latency],
  ["webhooks", webhooks],
];

const only = process.argv
  .find((a) => a.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");
const results: BenchResult[] = [];
const failed: string[] = [];
await ensureBinary();
const t0 = performance.now();
for (const [name, run] of BENCHES) {
  if (only && !only.includes(name)) continue;
  const started = performance.now();
  process.stdout.write(`→ ${name} … `);
  try {
    const r = await run();
    results.push(...r);
    process.stdout.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (e) {
    failed.push(name);
    process.stdout.write(`FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}
process.stdout.write(`\nall benchmarks: ${((performance.now() - t0) / 1000).toFixed(0)} s\n\n`);
printResults(results);
if (process.argv.includes("--write") && results.length > 0) writeDocs(results);
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(", ")}\n`);
  process.exit(1);
}
