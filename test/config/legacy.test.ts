// Inert compatibility keys: defined in src/config/legacy.ts, composed into the schema from there,
// accepted and validated, and marked so that docs/config.md lists them.
import { describe, expect, test } from "bun:test";
import type { TSchema } from "@sinclair/typebox";
import { ConfigError } from "../../src/config/errors.ts";
import * as legacy from "../../src/config/legacy.ts";
import { buildConfig, parseConfigText } from "../../src/config/load.ts";
import { keyFacts } from "../../src/config/markers.ts";
import { ConfigSchema, type SchemaMarkers } from "../../src/config/schema.ts";
import { FAKE_TOKEN } from "./helpers.ts";

const INERT = [
  "loop.enabled",
  "loop.max_iterations",
  "auto_continue.enabled",
  "watchdog.subagent_timeout",
  "footer.show_subscription_usage",
  "plugins.enabled",
];
const ACTIVE = [
  "transports.telegram.topics.enabled",
  "transports.telegram.forward_coalesce_s",
  "transports.telegram.media_group_debounce_s",
  "watchdog.max_concurrent_engine_runs",
  "watchdog.liveness_timeout",
  "watchdog.stall_auto_kill",
  "watchdog.stall_repeat_seconds",
  "watchdog.tool_timeout",
  "watchdog.mcp_tool_timeout",
  "watchdog.claude_stream_idle_timeout_ms",
  "progress.heartbeat_interval",
  "watchdog.prespawn_ram_block_mb",
  "progress.group_chat_rps",
  "progress.max_actions",
  "footer.show_api_cost",
  "transports.telegram.chat_id",
  "transports.telegram.topics.enabled",
  "watch_config",
];

/** Every node of a schema tree. */
function* nodes(n: TSchema): Generator<TSchema> {
  yield n;
  const s = n as { properties?: Record<string, TSchema>; items?: TSchema; patternProperties?: Record<string, TSchema> };
  for (const v of Object.values(s.properties ?? {})) yield* nodes(v);
  if (s.items !== undefined) yield* nodes(s.items);
  for (const v of Object.values(s.patternProperties ?? {})) yield* nodes(v);
}

describe("inert compatibility keys", () => {
  test("the keys without effect are marked inert; the ones that act are not", () => {
    for (const k of INERT) expect({ k, inert: keyFacts(k.split(".")).inert }).toEqual({ k, inert: true });
    for (const k of ACTIVE) expect({ k, inert: keyFacts(k.split(".")).inert }).toEqual({ k, inert: false });
  });

  test("every inert node of the schema comes from legacy.ts", () => {
    const fromLegacy = new Set<unknown>();
    for (const exported of Object.values(legacy)) {
      const roots = "type" in exported ? [exported as TSchema] : Object.values(exported as Record<string, TSchema>);
      for (const r of roots) for (const n of nodes(r)) fromLegacy.add(n);
    }
    let count = 0;
    for (const n of nodes(ConfigSchema)) {
      if ((n as SchemaMarkers).inert !== true) continue;
      count++;
      expect(fromLegacy.has(n)).toBe(true);
    }
    expect(count).toBeGreaterThanOrEqual(INERT.length);
  });

  test("a file from the original with these keys loads, values kept; they are still validated", () => {
    const base = `[transports.telegram]\nbot_token = "${FAKE_TOKEN}"\nchat_id = 1\nallow_any_user = true\nforward_coalesce_s = 2.5\n`;
    const extra =
      '[transports.telegram.topics]\nenabled = true\n[loop]\nmax_iterations = 3\n[watchdog]\nstall_auto_kill = true\nmax_concurrent_engine_runs = 2\n[plugins]\nenabled = ["x"]\n';
    const c = buildConfig(parseConfigText(base + extra), { baseDir: "/srv/cfg" }).config;
    expect(c.transports.telegram.forward_coalesce_s).toBe(2.5);
    expect(c.transports.telegram.topics.enabled).toBe(true);
    expect(c.loop.max_iterations).toBe(3);
    expect(c.watchdog).toMatchObject({ stall_auto_kill: true, max_concurrent_engine_runs: 2 });
    expect(c.plugins.enabled).toEqual(["x"]);
    expect(() => buildConfig(parseConfigText(`${base}[loop]\nmax_iterations = 0\n`), { baseDir: "/srv/cfg" })).toThrow(
      ConfigError,
    );
  });
});
