// /ping: alive, since when, which version, and the polling lag — how long this very message took from
// Telegram's timestamp (whole seconds) to being handled here.
import { formatDuration } from "../../core/run-stats.ts";
import { escapeHtml } from "../render.ts";
import type { ChatCommand, CommandKit } from "./types.ts";

export interface PingDeps {
  kit: Pick<CommandKit, "reply">;
  version: string;
  /** Milliseconds since the process started. */
  uptimeMs(): number;
  now(): number;
}

/** Lag in ms from a message's `date` (epoch seconds) to `now`; never negative. */
export function pollingLagMs(date: number | undefined, now: number): number | undefined {
  return date === undefined ? undefined : Math.max(0, now - date * 1000);
}

export function createPingCommand(d: PingDeps): ChatCommand {
  return {
    name: "ping",
    usage: "/ping",
    summary: "uptime, version and polling lag",
    async run({ m, chat }) {
      const lag = pollingLagMs(m.date, d.now());
      const lines = [
        "🏓 pong",
        `Uptime: ${formatDuration(d.uptimeMs())}`,
        `Version: ${escapeHtml(d.version)}`,
        `Polling lag: ${lag === undefined ? "unknown (no message date)" : `${formatDuration(lag)} (this message's date → handled; Telegram dates are whole seconds)`}`,
      ];
      await d.kit.reply(chat, lines.join("\n"), { replyTo: m.messageId });
    },
  };
}
