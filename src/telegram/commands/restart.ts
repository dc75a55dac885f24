// `/restart` (bot admins only): stop taking updates and runs, let the running ones finish (the same
// grace as SIGTERM), then the process re-executes itself (cli/run.ts). The chat is told before, and —
// through a marker in the state database the new process reads at start — after.
import type { ChatRef, Transport } from "../../core/transport.ts";
import { logger } from "../../log/logger.ts";
import { VERSION } from "../../version.ts";
import type { ChatCommand, CommandKit } from "./types.ts";

/** State-database key of the chat to tell "back" after a restart. */
export const RESTART_MARKER_KEY = "restart.notify";

export interface RestartDeps {
  kit: CommandKit;
  /** Runs running or queued now. */
  activeRuns(): number;
  graceMs: number;
  kv: { setKv(key: string, value: string): void };
  /** Starts the stop; resolves at once (the process re-executes itself once stopped). */
  request(): void;
}

export function createRestartCommand(deps: RestartDeps): ChatCommand {
  let requested = false;
  return {
    name: "restart",
    usage: "/restart",
    summary: "restart Untether once the running runs finish (bot admins)",
    async run({ m, chat }) {
      if (!deps.kit.isBotAdmin(m.userId)) {
        logger().info({ chat_id: m.chatId, user_id: m.userId }, "service.restart_refused");
        await deps.kit.reply(chat, "Only the bot's admins (<code>admin_user_ids</code>) can restart it.", {
          replyTo: m.messageId,
        });
        return;
      }
      if (requested) {
        await deps.kit.reply(chat, "Already restarting.", { replyTo: m.messageId });
        return;
      }
      requested = true;
      const n = deps.activeRuns();
      const wait =
        n === 0
          ? "now"
          : `after ${n} run${n > 1 ? "s" : ""} finish${n > 1 ? "" : "es"} (at most ${Math.round(deps.graceMs / 1000)} s, then ${n > 1 ? "they are" : "it is"} interrupted)`;
      const marker: ChatRef & { replyTo: number } = { ...chat, replyTo: m.messageId };
      deps.kv.setKv(RESTART_MARKER_KEY, JSON.stringify(marker));
      await deps.kit.reply(
        chat,
        `♻️ Restarting ${wait}. Messages sent before I am back are not run; I will say when I am.`,
        {
          replyTo: m.messageId,
        },
      );
      logger().info({ chat_id: m.chatId, user_id: m.userId, active_runs: n }, "service.restart_requested");
      deps.request();
    },
  };
}

/** At start: tells the chat that asked for a restart that it is done, once. */
export async function announceRestart(
  kv: { getKv(key: string): string | undefined; setKv(key: string, value: string): void },
  transport: Pick<Transport, "send">,
): Promise<void> {
  const raw = kv.getKv(RESTART_MARKER_KEY);
  if (raw === undefined || raw === "") return;
  kv.setKv(RESTART_MARKER_KEY, "");
  let target: { chatId?: unknown; threadId?: unknown; replyTo?: unknown };
  try {
    target = JSON.parse(raw) as typeof target;
  } catch {
    return;
  }
  if (typeof target.chatId !== "number") return;
  const chat: ChatRef =
    typeof target.threadId === "number"
      ? { chatId: target.chatId, threadId: target.threadId }
      : { chatId: target.chatId };
  await transport
    .send(chat, `✅ Back: Untether ${VERSION} restarted (pid ${process.pid}).`, {
      ...(typeof target.replyTo === "number" ? { replyTo: target.replyTo } : {}),
    })
    .catch((e) => logger().warn({ error: (e as Error).message }, "service.restart_notice_failed"));
  logger().info({ chat_id: target.chatId, pid: process.pid }, "service.restarted");
}
