// The run manager's EngineLauncher over engines/process.ts, with the environment policy of the
// current config ([security] extras and env_audit are re-read for every run).

import { runEngine } from "../engines/process.ts";
import type { EngineDefinition, EngineJob } from "../engines/types.ts";
import type { EnvExtras } from "../security/env-policy.ts";
import type { EngineLauncher } from "./runs.ts";

export interface LauncherSettings {
  sourceEnv: Record<string, string | undefined>;
  extras: () => EnvExtras;
  envAudit: () => boolean;
  /** Environment defaults for an engine, re-read for every run; the user's allowed environment wins. */
  defaultEnv?(def: EngineDefinition): Record<string, string>;
  graceMs?: number;
  /** Whole-run limit in ms (0 = none). */
  timeoutMs?: number;
  /** Engine-specific preparation before a spawn (e.g. pi's 0700 session directory). */
  prepare?(def: EngineDefinition, job: EngineJob): void;
}

export function createEngineLauncher(s: LauncherSettings): EngineLauncher {
  return {
    launch(def, job, hooks) {
      s.prepare?.(def, job);
      const handle = runEngine(def, job, {
        sourceEnv: s.sourceEnv,
        extras: s.extras(),
        defaultEnv: s.defaultEnv?.(def),
        envAudit: s.envAudit(),
        graceMs: s.graceMs,
        timeoutMs: s.timeoutMs || undefined,
        onEvent: hooks.onEvent,
        ask: hooks.ask,
      });
      return {
        pid: handle.pid,
        cancel: (reason) => handle.cancel(reason),
        done: handle.done.then(() => undefined),
      };
    },
  };
}
