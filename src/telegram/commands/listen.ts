// /listen all|mentions|clear: in `mentions`, a group message starts a run only when it mentions the
// bot, replies to the bot, starts with /<engine> or /<project>, or is a known command.
import { type SettingsChanger, settingCommand, simpleArgs } from "./settings-change.ts";
import type { ChatCommand, CommandKit } from "./types.ts";

export function createListenCommand(deps: { changer: SettingsChanger; kit: CommandKit }): ChatCommand {
  return settingCommand(deps.changer, deps.kit, {
    name: "listen",
    usage: "/listen all|mentions|clear",
    summary: "in groups: run every message (all) or only those addressed to the bot (mentions)",
    key: "listen",
    perEngine: false,
    parse: simpleArgs,
  });
}
