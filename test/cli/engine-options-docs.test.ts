// docs/engines.md against the config schema: the options section is the one generated from the
// schema, every option it documents is a schema option and every schema option is documented, and
// `untether config set engines.<id>.<key>` (the compiled binary, a temp HOME) accepts each documented
// option and refuses a managed flag in any engine's extra_args.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENGINE_DOCS_PATH, withEngineOptions } from "../../scripts/gen-engine-docs.ts";
import { CONFIGURABLE_ENGINE_IDS, ENGINE_MANAGED_FLAGS, EngineTableSchemas } from "../../src/config/schema.ts";
import { BINARY, ROOT } from "../support/harness.ts";

const page = readFileSync(ENGINE_DOCS_PATH, "utf8");

/** `| engine | \`key\` | …` rows of the options table in docs/engines.md. */
function documentedOptions(): string[] {
  const ids = CONFIGURABLE_ENGINE_IDS as readonly string[];
  const out: string[] = [];
  for (const m of page.matchAll(/^\| ([a-z]+) \| `([a-z_]+)` \|/gm)) {
    if (ids.includes(m[1] as string)) out.push(`${m[1]}.${m[2]}`);
  }
  return out;
}

function schemaOptions(): string[] {
  return CONFIGURABLE_ENGINE_IDS.flatMap((id) =>
    Object.keys(EngineTableSchemas[id].properties).map((k) => `${id}.${k}`),
  );
}

interface Node {
  type?: string;
  default?: unknown;
  anyOf?: { const?: unknown }[];
}

/** A value `config set` should accept for this option, different from its default. */
function sampleValue(id: string, key: string, node: Node): string {
  if (node.anyOf) return String(node.anyOf[node.anyOf.length - 1]?.const);
  if (node.type === "boolean") return String(node.default !== true);
  if (node.type === "array") return key === "extra_args" ? '["--untether-docs-test"]' : '["Read"]';
  return `${id}-docs-test`;
}

function run(home: string, args: string[]) {
  const p = Bun.spawnSync([BINARY, ...args], {
    cwd: home,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

beforeAll(() => {
  if (!existsSync(BINARY)) {
    const b = Bun.spawnSync(["bun", "scripts/build.ts"], { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
    if (b.exitCode !== 0) throw new Error(`build failed: ${b.stderr.toString()}`);
  }
});

describe("docs/engines.md options", () => {
  test("are the ones generated from the schema (regenerate: bun scripts/gen-engine-docs.ts)", () => {
    expect(page).toBe(withEngineOptions(page));
  });

  test("document every schema option, and only schema options", () => {
    expect(documentedOptions().sort()).toEqual(schemaOptions().sort());
  });

  test("every documented option is accepted by `untether config set` and read back by `config get`", () => {
    const home = mkdtempSync(join(tmpdir(), "untether-engine-docs-"));
    try {
      for (const option of documentedOptions()) {
        const [id, key] = option.split(".") as [(typeof CONFIGURABLE_ENGINE_IDS)[number], string];
        const node = (EngineTableSchemas[id].properties as Record<string, Node>)[key] as Node;
        const value = sampleValue(id, key, node);
        const set = run(home, ["config", "set", `engines.${option}`, value]);
        expect({ option, code: set.code, err: set.err }).toEqual({ option, code: 0, err: "" });
        const get = run(home, ["config", "get", `engines.${option}`]);
        // `config get` prints the TOML literal: strings quoted.
        const literal = node.anyOf || node.type === "string" ? JSON.stringify(value) : value;
        expect({ option, out: get.out.replace(/\s+/g, "") }).toEqual({ option, out: literal.replace(/\s+/g, "") });
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("a managed flag in any engine's extra_args is refused, naming the key", () => {
    const home = mkdtempSync(join(tmpdir(), "untether-engine-docs-"));
    try {
      for (const id of CONFIGURABLE_ENGINE_IDS) {
        const flag = ENGINE_MANAGED_FLAGS[id][0];
        const r = run(home, ["config", "set", `engines.${id}.extra_args`, JSON.stringify(["--ok", flag])]);
        expect({ id, code: r.code }).toEqual({ id, code: 2 });
        expect(r.err).toContain(`engines.${id}.extra_args`);
        expect(r.err).toContain("managed by Untether");
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
