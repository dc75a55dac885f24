import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pinoInBinary } from "../../scripts/pino-in-binary.ts";

const ROOT = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "untether-pino-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// What the binary's logger does with pino (a stream of its own), and what it must never need.
const ENTRY = `import pino from ${JSON.stringify(Bun.resolveSync("pino", ROOT))};
const lines = [];
const log = pino({ base: undefined, messageKey: "msg" }, { write: (s) => lines.push(s) });
log.child({ webhook: "gh" }).info({ n: 1 }, "triggers.webhook.dispatched");
const refusals = [];
for (const f of [() => pino.transport({ target: "pino/file" }), () => pino.destination(1), () => pino({ transport: { target: "pino/file" } })])
  try { f(); refusals.push("no error"); } catch (e) { refusals.push(e.message); }
console.log(JSON.stringify({ lines, refusals }));
`;

async function bundle(plugins: Bun.BunPlugin[], name: string): Promise<string> {
  const entry = join(dir, `${name}.mjs`);
  writeFileSync(entry, ENTRY);
  const out = join(dir, name);
  const result = await Bun.build({ entrypoints: [entry], outdir: out, target: "bun", plugins });
  expect(result.logs.map(String)).toEqual([]);
  expect(result.success).toBe(true);
  return out;
}

const text = (out: string) =>
  readdirSync(out)
    .map((f) => readFileSync(join(out, f), "utf8"))
    .join("\n");

describe("pino in the binary (scripts/pino-in-binary.ts)", () => {
  test("logs as before; transports and destinations refuse with an error that says why", async () => {
    const out = await bundle([pinoInBinary], "with");
    const run = Bun.spawnSync(["bun", join(out, "with.js")], { stdout: "pipe", stderr: "pipe" });
    expect(run.stderr.toString()).toBe("");
    const { lines, refusals } = JSON.parse(run.stdout.toString()) as { lines: string[]; refusals: string[] };
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({
      level: 30,
      webhook: "gh",
      n: 1,
      msg: "triggers.webhook.dispatched",
    });
    expect(refusals).toHaveLength(3);
    for (const r of refusals) expect(r).toContain("left out of the untether binary");
  });

  test("the bundle requires none of the Node modules those parts load; without the plugin it does", async () => {
    const unused = /require\("(worker_threads|util|url|module|assert)"\)|thread-stream|sonic-boom\/index/;
    expect(text(await bundle([pinoInBinary], "with2"))).not.toMatch(unused);
    expect(text(await bundle([], "without"))).toMatch(unused);
  });
});
