// /reasoning [level|clear]: the reasoning effort of the chat's engine for its next runs (Claude
// `--effort`, Codex `-c model_reasoning_effort=…`, Pi `--thinking`, OpenCode `--variant`).
import { type SettingsChanger, settingCommand, simpleArgs } from "./settings-change.ts";
import type { ChatCommand, CommandKit } from "./types.ts";

export function createReasoningCommand(deps: {
  changer: SettingsChanger;
  kit: CommandKit;
  /** The engine's reasoning levels (EngineDefinition.reasoningLevels). */
  levels(engine: string): readonly string[] | undefined;
}): ChatCommand {
  return settingCommand(deps.changer, deps.kit, {
    name: "reasoning",
    usage: "/reasoning [low|medium|high|clear]",
    summary: "show or set the reasoning effort of this chat's engine",
    key: "reasoning",
    perEngine: true,
    parse: simpleArgs,
    choices: (engine) => (engine === undefined ? undefined : deps.levels(engine)),
  });
}
