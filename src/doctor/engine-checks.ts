// Engines: the config tables are valid, the default engine is installed and runnable, and the
// others are reported (missing ones are fine unless a project or trigger names them).
import { CONFIGURABLE_ENGINE_IDS, type Config, type ConfigurableEngineId, type EngineId } from "../config/schema.ts";
import { ENGINE_MODULES, engineProblems } from "../engines/registry.ts";
import { type CheckResult, type DetectEngine, type EngineInfo, fail, ok, warn } from "./types.ts";

const about = (id: ConfigurableEngineId) => ENGINE_MODULES[id].about;

export const installCommand = (id: ConfigurableEngineId): string => `npm install -g ${about(id).npm}`;

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

function checkOne(id: ConfigurableEngineId, info: EngineInfo, role: "default" | "referenced" | "other"): CheckResult {
  const checkId = `engines.${id}`;
  const label = role === "default" ? `engine ${id} (default)` : `engine ${id}`;
  if (info.installed && info.error === undefined) return ok(checkId, label, describe(info));
  if (info.installed) {
    // The version probe failed: the CLI may still work, so this is a warning with a way to see why.
    const cli = about(id).cli;
    return warn(
      checkId,
      label,
      `${describe(info)}, but the version check failed: ${info.error}`,
      `run \`${cli} --version\` to see why, or reinstall: ${installCommand(id)}`,
    );
  }
  const missing = `\`${about(id).cli}\` not found on PATH`;
  if (role === "default") return fail(checkId, label, `${missing}; the default engine cannot run`, installCommand(id));
  if (role === "referenced")
    return warn(checkId, label, `${missing}, but a project or trigger uses it`, installCommand(id));
  return ok(checkId, label, "not installed");
}

export async function engineChecks(
  config: Config,
  env: Record<string, string | undefined>,
  detect: DetectEngine,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const problems = engineProblems(config.engines);
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
  const infos = await Promise.all(CONFIGURABLE_ENGINE_IDS.map((id) => detect(about(id).cli, env)));
  if (def === "mock") results.push(ok("engines.mock", "engine mock (default)", "built in, always available"));
  const order = [...CONFIGURABLE_ENGINE_IDS].sort((a, b) => Number(b === def) - Number(a === def));
  for (const id of order) {
    const info = infos[CONFIGURABLE_ENGINE_IDS.indexOf(id)] ?? { installed: false };
    results.push(checkOne(id, info, id === def ? "default" : referenced.has(id) ? "referenced" : "other"));
  }
  if (def !== "mock") results.push(ok("engines.mock", "engine mock", "built in, always available"));
  return results;
}
