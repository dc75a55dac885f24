import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { DOCS_PATH, renderConfigDocs } from "../../scripts/gen-config-docs.ts";
import { configJsonSchema } from "../../src/config/schema.ts";

interface Node {
  type?: string;
  description?: string;
  additionalProperties?: unknown;
  properties?: Record<string, Node>;
  patternProperties?: Record<string, Node>;
  items?: Node;
}

/** Every object with named properties, with its dotted path. */
function tables(node: Node, path: string, out: [string, Node][] = []): [string, Node][] {
  if (node.type === "object" && node.properties) {
    out.push([path, node]);
    for (const [k, v] of Object.entries(node.properties)) tables(v, path ? `${path}.${k}` : k, out);
  }
  for (const v of Object.values(node.patternProperties ?? {})) tables(v, `${path}.<name>`, out);
  if (node.items) tables(node.items, `${path}[]`, out);
  return out;
}

describe("JSON Schema for editors", () => {
  const schema = configJsonSchema() as Node;

  test("is plain JSON and every table forbids unknown keys", () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    const all = tables(schema, "");
    expect(all.map(([p]) => p)).toContain("transports.telegram.files");
    expect(all.map(([p]) => p)).toContain("triggers.crons[].fetch");
    for (const [path, node] of all)
      expect({ path, additionalProperties: node.additionalProperties }).toEqual({ path, additionalProperties: false });
  });

  test("every key has a one-line description", () => {
    for (const [path, node] of tables(schema, "")) {
      for (const [k, v] of Object.entries(node.properties ?? {})) {
        expect({ key: `${path}.${k}`, ok: typeof v.description === "string" && v.description.length > 3 }).toEqual({
          key: `${path}.${k}`,
          ok: true,
        });
      }
    }
  });

  test("has the new api_base_url key with its default", () => {
    const tg = schema.properties?.transports?.properties?.telegram?.properties?.api_base_url as { default?: string };
    expect(tg.default).toBe("https://api.telegram.org");
  });
});

describe("docs/config.md", () => {
  test("is up to date with the schema (regenerate: bun scripts/gen-config-docs.ts)", () => {
    expect(readFileSync(DOCS_PATH, "utf8")).toBe(renderConfigDocs());
  });
});
