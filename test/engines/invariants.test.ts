// Contract: for every fixture of every engine, exactly one `started` first and exactly one
// `completed` last (the runner's missing-completion path included), actions only in between.
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { createEngineRegistry } from "../../src/engines/registry.ts";
import { FIXTURES, job, loadMessages, replay } from "./replay.ts";

const registry = createEngineRegistry();

describe("event invariant over every fixture", () => {
  for (const engine of readdirSync(FIXTURES)) {
    const def = registry.get(engine);
    if (!def) continue;
    const files = readdirSync(join(FIXTURES, engine)).filter(
      (f) => f.endsWith(".stdout.jsonl") || f.endsWith(".exchange.jsonl"),
    );
    test.each(files)(`${engine}: %s`, (file) => {
      const r = replay(def, job(), loadMessages(engine, file));
      const types = r.events.map((e) => e.type);
      expect(types[0]).toBe("started");
      expect(types.at(-1)).toBe("completed");
      expect(types.filter((t) => t === "started")).toHaveLength(1);
      expect(types.filter((t) => t === "completed")).toHaveLength(1);
      expect(r.events.every((e) => e.engine === engine)).toBe(true);
    });
  }
});
