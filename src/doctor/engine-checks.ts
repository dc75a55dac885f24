// Engines: the config tables are valid, the default engine is installed and runnable, and the
// others are reported (missing ones are fine unless a project or trigger names them).
import type { Config, EngineId } from "../config/schema.ts";
import { BUILTIN_ENGINE_IDS, type BuiltinEngineId, type EngineOptionsMap, engineProblems } from "../engines/registry.ts";
import { type CheckResult, type DetectEngine, type EngineInfo, fail, ok, warn } from "./types.ts";

/** Executable and npm package of each engine CLI. */
export const ENGINE_INSTALL: Record<BuiltinEngineId, { cli: string; npm: string }> = {
  codex: { cli: "codex", npm: "@openai/codex" },
  claude: { cli: "claude", npm: "@anthropic-ai/claude-code" },
  pi: { cli: "pi", npm: "@mariozechner/pi-coding-agent" },
  gemini: { cli: "gemini", npm: "@google/gemini-cli" },
  opencode: { cli: "opencode", npm: "opencode-ai" },
  amp: { cli: "amp", npm: "@sourcegraph/amp" },
};

export const installCommand = (id: BuiltinEngineId): string => `npm install -g ${ENGINE_INSTALL[id].npm}`;

/** Engines a project, webhook or cron names explicitly. */
function referencedEngines(config: Config): Set<EngineId> {
  const out = new Set<EngineId>();
  for (const p of Object.values(config.projects)) if (p.default_engine) out.add(p.default_engine);
  for (const w of config.triggers.webhooks) if (w.engine) out.add(w.engine);
  for (const c of config.triggers.crons) if (c.engine) out.add(c.engine);
  return out;
}

function describe(info: EngineInfo): string {
  const version = info.version ? ` ${info.version}` : "";
  return `installed${version}${info.path ? ` (${info.path})` : ""}`;
}

function checkOne(id: BuiltinEngineId, info: EngineInfo, role: "default" | "referenced" | "other"): CheckResult {
  const checkId = `engines.${id}`;
  const label = role === "default" ? `engine ${id} (default)` : `engine ${id}`;
  if (info.installed && info.error === undefined) return ok(checkId, label, describe(info));
  if (info.installed) {
    // The version probe failed: the CLI may still work, so this is a warning with a way to see why.
    const cli = ENGINE_INSTALL[id].cli;
    return warn(checkId, label, `${describe(info)}, but the version check failed: ${info.error}`, `run \`${cli} --version\` to see why, or reinstall: ${installCommand(id)}`);
  }
  const missing = `\`${ENGINE_INSTALL[id].cli}\` not found on PATH`;
  if (role === "default") return fail(checkId, label, `${missing}; the default engine cannot run`, installCommand(id));
  if (role === "referenced") return warn(checkId, label, `${missing}, but a project or trigger uses it`, installCommand(id));
  return ok(checkId, label, "not installed");
}

export async function engineChecks(
  config: Config,
  env: Record<string, string | undefined>,
  detect: DetectEngine,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const problems = engineProblems(config.engines as EngineOptionsMap);
  results.push(
    problems.length === 0
      ? ok("engines.config", "engine settings", "valid")
      : fail(
          "engines.config",
          "engine settings",
          problems.map((p) => `${p.engine}: ${p.message}`).join("; "),
          `engines.${problems[0]?.engine ?? "<id>"}`,
        ),
  );
  const def = config.default_engine;
  const referenced = referencedEngines(config);
  const infos = await Promise.all(BUILTIN_ENGINE_IDS.map((id) => detect(ENGINE_INSTALL[id].cli, env)));
  if (def === "mock") results.push(ok("engines.mock", "engine mock (default)", "built in, always available"));
  const order = [...BUILTIN_ENGINE_IDS].sort((a, b) => Number(b === def) - Number(a === def));
  for (const id of order) {
    const info = infos[BUILTIN_ENGINE_IDS.indexOf(id)] ?? { installed: false };
    results.push(checkOne(id, info, id === def ? "default" : referenced.has(id) ? "referenced" : "other"));
  }
  if (def !== "mock") results.push(ok("engines.mock", "engine mock", "built in, always available"));
  return results;
}
