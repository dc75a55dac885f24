// The engines Untether knows, built from their config tables. A table that fails validation leaves
// its engine out (listed by `engineProblems` for the startup message and doctor), never the bot.
import { CONFIGURABLE_ENGINE_IDS, type ConfigurableEngineId } from "../config/schema.ts";
import { UntetherError } from "../errors.ts";
import { logger } from "../log/logger.ts";
import { ampEngine } from "./amp.ts";
import { claudeEngine } from "./claude.ts";
import { codexEngine } from "./codex.ts";
import type { EngineInput, EngineModule } from "./define.ts";
import type { ResumeToken } from "./events.ts";
import { geminiEngine } from "./gemini.ts";
import { opencodeEngine } from "./opencode.ts";
import { piEngine } from "./pi.ts";
import { resolveCli } from "./process.ts";
import type { EngineDefinition } from "./types.ts";

/** The engine module of every built-in id (config/schema.ts's CONFIGURABLE_ENGINE_IDS; a missing one is a type error). */
export const ENGINE_MODULES: { readonly [K in ConfigurableEngineId]: EngineModule<K> } = {
  claude: claudeEngine,
  codex: codexEngine,
  pi: piEngine,
  gemini: geminiEngine,
  opencode: opencodeEngine,
  amp: ampEngine,
};

/** Options per engine: the config's `engines` table fits as it is. */
export type EngineOptionsMap = { [K in ConfigurableEngineId]?: EngineInput<K> };

const ENGINE_ID_RE = /^[a-z][a-z0-9_-]{0,31}$/;

export interface EngineProblem {
  engine: string;
  code: string;
  message: string;
}

function build<K extends ConfigurableEngineId>(id: K, options: EngineOptionsMap): EngineDefinition {
  const module: EngineModule<K> = ENGINE_MODULES[id];
  return module.create(options[id]);
}

function unknownKeys(options: EngineOptionsMap): string[] {
  return Object.keys(options).filter((k) => !(CONFIGURABLE_ENGINE_IDS as readonly string[]).includes(k));
}

/** Every config problem of the engine tables: unknown engine keys and invalid options. */
export function engineProblems(options: EngineOptionsMap): EngineProblem[] {
  const problems: EngineProblem[] = unknownKeys(options).map((engine) => ({
    engine,
    code: "engine.unknown",
    message: `Unknown engine table \`${engine}\`; known engines: ${CONFIGURABLE_ENGINE_IDS.join(", ")}.`,
  }));
  for (const id of CONFIGURABLE_ENGINE_IDS) {
    try {
      build(id, options);
    } catch (err) {
      if (!(err instanceof UntetherError)) throw err;
      problems.push({ engine: id, code: err.code, message: err.message });
    }
  }
  return problems;
}

/**
 * All engines, keyed by id. Built-ins come from their option tables; `extra` adds engines defined
 * elsewhere (the integrator passes the mock engine from ./mock.ts here). Misconfigured built-ins
 * are left out and logged `engines.bad_config`; an invalid or duplicate `extra` id is a bug and throws.
 */
export function createEngineRegistry(
  options: EngineOptionsMap = {},
  extra: readonly EngineDefinition[] = [],
): Map<string, EngineDefinition> {
  const registry = new Map<string, EngineDefinition>();
  for (const key of unknownKeys(options)) logger().warn({ engine: key }, "engines.unknown_table");
  for (const id of CONFIGURABLE_ENGINE_IDS) {
    try {
      registry.set(id, build(id, options));
    } catch (err) {
      if (!(err instanceof UntetherError)) throw err;
      logger().warn({ engine: id, code: err.code, error: err.message }, "engines.bad_config");
    }
  }
  for (const def of extra) {
    if (!ENGINE_ID_RE.test(def.id)) {
      throw new UntetherError(
        "engine.bad_id",
        `Engine id '${def.id}' is invalid; use lower-case letters, digits, - or _.`,
      );
    }
    if (registry.has(def.id) || (CONFIGURABLE_ENGINE_IDS as readonly string[]).includes(def.id)) {
      throw new UntetherError("engine.duplicate", `Engine id '${def.id}' is defined twice.`);
    }
    registry.set(def.id, def);
  }
  return registry;
}

/**
 * How to install an engine whose CLI is not on PATH (`npm install -g <package>`), or undefined when it
 * is installed. A PATH lookup only, no spawn.
 */
export function missingEngineHint(def: EngineDefinition, path: string | undefined): string | undefined {
  if (resolveCli(def.cli, path) !== undefined) return undefined;
  const mod = (ENGINE_MODULES as Readonly<Record<string, EngineModule<ConfigurableEngineId> | undefined>>)[def.id];
  return mod ? `npm install -g ${mod.about.npm}` : `install \`${def.cli}\` on PATH`;
}

/** The engine for a user-supplied id (`/engine codex`, `default_engine`), or a clear error. */
export function resolveEngine(id: string, registry: ReadonlyMap<string, EngineDefinition>): EngineDefinition {
  const key = id.trim().toLowerCase();
  const def = ENGINE_ID_RE.test(key) ? registry.get(key) : undefined;
  if (def === undefined) {
    const known = [...registry.keys()].join(", ");
    throw new UntetherError(
      "engine.unknown",
      `Unknown or unavailable engine '${truncateId(id)}'; available: ${known}.`,
    );
  }
  return def;
}

function truncateId(id: string): string {
  return id.length > 32 ? `${id.slice(0, 31)}…` : id;
}

/**
 * A resume token in free text (a pasted resume line, or an old message whose run is not in the state
 * database): the last line that is any engine's resume line wins, since the footer carrying it comes last.
 */
export function findResumeToken(
  text: string,
  registry: ReadonlyMap<string, EngineDefinition>,
): ResumeToken | undefined {
  let best: { token: ResumeToken; at: number } | undefined;
  for (const def of registry.values()) {
    const token = def.resume.parse(text);
    if (token === undefined) continue;
    const at = text.lastIndexOf(token.value);
    if (best === undefined || at > best.at) best = { token, at };
  }
  return best?.token;
}
