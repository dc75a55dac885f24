// /verbose on|off|clear: progress messages here show each action's output (a command's output, a
// tool's result) under its line; off shows the titles only. Default: `[progress] verbosity`.
import { type SettingsChanger, settingCommand, simpleArgs } from "./settings-change.ts";
import type { ChatCommand, CommandKit } from "./types.ts";

export function createVerboseCommand(deps: { changer: SettingsChanger; kit: CommandKit }): ChatCommand {
  return settingCommand(deps.changer, deps.kit, {
    name: "verbose",
    usage: "/verbose on|off|clear",
    summary: "progress here shows each action's output (on) or titles only (off)",
    key: "verbose",
    perEngine: false,
    parse: simpleArgs,
  });
}
