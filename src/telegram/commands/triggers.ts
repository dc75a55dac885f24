// /triggers [pause|resume [id]]: the configured webhooks and crons with their last fire and pause
// state; pausing and resuming (one id, or all without one) is for bot admins only and persists in the
// state database. A paused webhook answers 503 after auth; a paused cron skips its due times.
import { logger } from "../../log/logger.ts";
import { escapeHtml } from "../render.ts";
import { setTriggerPause, type TriggerControl, triggerLines } from "./trigger-list.ts";
import type { ChatCommand, CommandKit } from "./types.ts";

export interface TriggersDeps {
  kit: Pick<CommandKit, "reply" | "isBotAdmin">;
  triggers: TriggerControl;
  now(): number;
}

const USAGE = "/triggers [pause|resume [id]]";

export function createTriggersCommand(d: TriggersDeps): ChatCommand {
  return {
    name: "triggers",
    usage: USAGE,
    summary: "webhooks and crons: last fire, pause state; pause or resume them (admins)",
    async run({ m, args, chat }) {
      const reply = (html: string) => d.kit.reply(chat, html, { replyTo: m.messageId });
      const [verb, id, ...extra] = args.split(/\s+/).filter(Boolean);
      if (verb === undefined) {
        await reply(["⚙️ <b>Triggers</b>", ...triggerLines(d.triggers, d.now())].join("\n"));
        return;
      }
      const action = verb.toLowerCase();
      if ((action !== "pause" && action !== "resume") || extra.length > 0) {
        await reply(`Usage: <code>${escapeHtml(USAGE)}</code>`);
        return;
      }
      if (!d.kit.isBotAdmin(m.userId)) {
        logger().warn({ user_id: m.userId, chat_id: m.chatId, action }, "command.refused_not_admin");
        await reply(
          "🚫 Only a bot admin (<code>transports.telegram.admin_user_ids</code>) may pause or resume triggers.",
        );
        return;
      }
      const rows = d.triggers.list();
      if (id !== undefined && !rows.some((t) => t.id === id)) {
        const known = rows.map((t) => `<code>${escapeHtml(t.id)}</code>`).join(", ") || "none";
        await reply(`No trigger <code>${escapeHtml(id)}</code>. Configured: ${known}.`);
        return;
      }
      const paused = action === "pause";
      const changed = setTriggerPause(d.triggers, id, paused, { userId: m.userId, chatId: m.chatId });
      const what = id === undefined ? "All triggers" : `<code>${escapeHtml(id)}</code>`;
      const lines = [`${paused ? "⏸" : "▶️"} ${what} ${paused ? "paused" : "resumed"}${changed ? "" : " (no change)"}.`];
      if (!paused && id !== undefined && d.triggers.allPaused())
        lines.push("All triggers are still paused: <code>/triggers resume</code> resumes them.");
      await reply([...lines, "", ...triggerLines(d.triggers, d.now())].join("\n"));
    },
  };
}
