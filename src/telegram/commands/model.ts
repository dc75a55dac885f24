// /model [name|clear]: the model of the chat's engine for its next runs (Claude/Codex/Gemini/Pi/
// OpenCode `--model`/`-m`; Amp: its mode). docs/engines.md lists the flag per engine.
import { type SettingsChanger, settingCommand, simpleArgs } from "./settings-change.ts";
import type { ChatCommand, CommandKit } from "./types.ts";

export function createModelCommand(deps: { changer: SettingsChanger; kit: CommandKit }): ChatCommand {
  return settingCommand(deps.changer, deps.kit, {
    name: "model",
    usage: "/model [name|clear]",
    summary: "show or set the model of this chat's engine",
    key: "model",
    perEngine: true,
    parse: simpleArgs,
  });
}
