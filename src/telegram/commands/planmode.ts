// /planmode on|auto|off|show|clear: Claude's permission mode here. on = plan (plan first, the plan
// needs your approval), auto = plan and proceed without asking, off = default (edits and commands ask).
import { escapeHtml } from "../render.ts";
import { type ParsedArgs, type SettingsChanger, settingCommand } from "./settings-change.ts";
import type { ChatCommand, CommandKit } from "./types.ts";

const MODES: Readonly<Record<string, string>> = { on: "plan", auto: "auto", off: "default" };

function parse(args: string): ParsedArgs {
  const a = args.toLowerCase();
  if (a === "" || a === "show") return { show: true };
  if (a === "clear") return { clear: true };
  const mode = MODES[a];
  return mode === undefined
    ? { error: `Unknown plan mode <b>${escapeHtml(a.slice(0, 20))}</b>: on, auto or off.` }
    : { value: mode };
}

export function createPlanmodeCommand(deps: { changer: SettingsChanger; kit: CommandKit }): ChatCommand {
  return settingCommand(deps.changer, deps.kit, {
    name: "planmode",
    usage: "/planmode on|auto|off|show|clear",
    summary: "Claude plan mode here: on (plan, then ask), auto (plan, then go), off",
    key: "permission",
    perEngine: true,
    parse,
    notFor: (engine) =>
      engine === "claude"
        ? undefined
        : `Plan mode is only for Claude Code; the engine here is <b>${escapeHtml(engine)}</b>.${
            engine === "codex" || engine === "gemini" ? " Its approval policy is <code>/approval</code>." : ""
          }`,
  });
}
