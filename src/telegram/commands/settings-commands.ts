// The per-chat settings wired for the composition root: the /agent store over dispatch and the state
// database, the SettingsChanger, and the registration of /config, /model, /reasoning, /planmode,
// /verbose, /listen and /approval.
import { LISTEN_MODES, PERMISSION_VALUES, type SettingSource, VERBOSE_VALUES } from "../../core/chat-settings.ts";
import { agentKey, type ChatOrigin, type RunDispatch } from "../../core/dispatch.ts";
import { missingEngineHint } from "../../engines/registry.ts";
import type { EngineDefinition } from "../../engines/types.ts";
import type { StateDb } from "../../state/db.ts";
import { createApprovalCommand } from "./approval.ts";
import { createConfigMenu } from "./config.ts";
import { createListenCommand } from "./listen.ts";
import { createModelCommand } from "./model.ts";
import { createPlanmodeCommand } from "./planmode.ts";
import { createReasoningCommand } from "./reasoning.ts";
import type { CommandRegistry } from "./registry.ts";
import type { AgentStore, ChangeKey, SettingsChanger } from "./settings-change.ts";
import type { TriggerControl } from "./trigger-list.ts";
import type { CommandKit } from "./types.ts";
import { createVerboseCommand } from "./verbose.ts";

export function createAgentStore(d: {
  db: StateDb;
  dispatch: Pick<RunDispatch, "chatEngine" | "chatProject" | "projectDefaultEngine">;
  engines: ReadonlyMap<string, EngineDefinition>;
  /** PATH the engines are looked up on. */
  path: string | undefined;
}): AgentStore {
  return {
    own: (origin) => d.db.getKv(agentKey(origin)) || undefined,
    set: (origin, engine) => d.db.setKv(agentKey(origin), engine ?? ""),
    effective(origin: ChatOrigin) {
      const project = d.dispatch.chatProject(origin);
      const value = d.dispatch.chatEngine(origin, project);
      const own = d.db.getKv(agentKey(origin));
      const source: SettingSource =
        own && own === value ? "chat" : d.dispatch.projectDefaultEngine(project) === value ? "project" : "config";
      return { value, source };
    },
    known: () => [...d.engines.keys()].sort(),
    missing(engine) {
      const def = d.engines.get(engine);
      return def === undefined ? undefined : missingEngineHint(def, d.path);
    },
  };
}

export function registerSettingsCommands(
  commands: CommandRegistry,
  d: {
    changer: SettingsChanger;
    kit: CommandKit;
    engines: ReadonlyMap<string, EngineDefinition>;
    /** Pause and resume from /config (bot admins). */
    triggers?: TriggerControl;
  },
): void {
  const { changer, kit } = d;
  const choices = (key: ChangeKey, engine: string): readonly string[] | undefined => {
    switch (key) {
      case "model":
        return d.engines.get(engine)?.modelChoices;
      case "reasoning":
        return d.engines.get(engine)?.reasoningLevels;
      case "permission":
        return PERMISSION_VALUES[engine];
      case "verbose":
        return VERBOSE_VALUES;
      case "listen":
        return LISTEN_MODES;
      default:
        return undefined;
    }
  };
  const menu = createConfigMenu({
    changer,
    kit,
    choices,
    ...(d.triggers === undefined ? {} : { triggers: d.triggers }),
    now: Date.now,
  });
  commands.add(
    menu.command,
    createModelCommand({ changer, kit }),
    createReasoningCommand({ changer, kit, levels: (e) => d.engines.get(e)?.reasoningLevels }),
    createPlanmodeCommand({ changer, kit }),
    createApprovalCommand({ changer, kit, modes: PERMISSION_VALUES }),
    createVerboseCommand({ changer, kit }),
    createListenCommand({ changer, kit }),
  );
  commands.route(menu.route);
}
