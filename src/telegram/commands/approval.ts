// /approval [mode|clear]: the approval policy of the chat's engine. Codex: safe (asks, `--ask-for-approval
// untrusted`) or full (never asks, its default). Gemini: plan (read-only), default, auto_edit, yolo (its
// headless default). Claude: its permission modes (/planmode is the short form). Values that lower
// safety (Codex full, Gemini yolo, Claude bypassPermissions) are for bot admins, with a second tap.
import { escapeHtml } from "../render.ts";
import { type SettingsChanger, settingCommand, simpleArgs } from "./settings-change.ts";
import type { ChatCommand, CommandKit } from "./types.ts";

export function createApprovalCommand(deps: {
  changer: SettingsChanger;
  kit: CommandKit;
  /** Engines with modes to choose (core/chat-settings.ts PERMISSION_VALUES). */
  modes: Readonly<Record<string, readonly string[]>>;
}): ChatCommand {
  return settingCommand(deps.changer, deps.kit, {
    name: "approval",
    usage: "/approval [mode|clear]",
    summary: "approval policy of this chat's engine (Codex: safe|full, Gemini: plan|default|auto_edit|yolo)",
    key: "permission",
    perEngine: true,
    parse: simpleArgs,
    choices: (engine) => (engine === undefined ? undefined : deps.modes[engine]),
    notFor: (engine) => {
      const modes = deps.modes[engine];
      return modes === undefined ? `<b>${escapeHtml(engine)}</b> has no approval modes to choose.` : undefined;
    },
  });
}
