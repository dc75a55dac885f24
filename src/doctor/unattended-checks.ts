// Webhooks and crons run agents with nobody watching: say which of them can run shell commands without
// anybody approving them (Gemini in yolo mode, Codex with --ask-for-approval never, pi and opencode
// always, Claude with Bash allowed or permissions skipped, Amp with dangerously_allow_all).
import type { Config } from "../config/schema.ts";
import { unattendedMode } from "../engines/permissions.ts";
import { createEngineRegistry } from "../engines/registry.ts";
import { type CheckResult, ok, warn } from "./types.ts";

export function checkUnattendedShell(config: Config): CheckResult {
  const id = "triggers.unattended_shell";
  const label = "unattended runs";
  const t = config.triggers;
  const engines = createEngineRegistry(config.engines);
  const engineOf = (engine: string | undefined, project: string | undefined) =>
    engine ??
    (project === undefined ? undefined : config.projects[project.toLowerCase()]?.default_engine) ??
    config.default_engine;
  const runs = [
    ...t.webhooks
      .filter((w) => w.action === "agent_run")
      .map((w) => ({ what: `webhook ${w.id}`, engine: engineOf(w.engine, w.project), mode: undefined })),
    ...t.crons.map((c) => ({ what: `cron ${c.id}`, engine: engineOf(c.engine, c.project), mode: c.permission_mode })),
  ];
  const risky = runs.filter((r) => {
    const def = engines.get(r.engine);
    return def?.permissions.shellWithoutApproval(unattendedMode(def.permissions, r.mode));
  });
  if (risky.length === 0)
    return ok(id, label, `${runs.length} triggered run(s); none can run shell commands without approval`);
  const list = risky.map((r) => `${r.what} (${r.engine})`).join(", ");
  return warn(
    id,
    label,
    `${list} can run shell commands without anybody approving them`,
    'give those triggers an engine that asks (e.g. claude without Bash in engines.claude.allowed_tools, codex with permission_mode = "safe" on the cron), or accept the risk',
  );
}
