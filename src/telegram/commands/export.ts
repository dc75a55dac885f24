// /export: a stored run as a Markdown document — the run of the replied-to bot message, else the
// newest finished run of this chat. Read from the state database, so it works after a restart.
import type { RunContext } from "../../state/db.ts";
import type { StoredRun } from "../../state/history.ts";
import { exportFileName, renderRunMarkdown } from "./export-doc.ts";
import type { ChatCommand, CommandKit } from "./types.ts";

export interface ExportDeps {
  kit: Pick<CommandKit, "reply" | "sendDocument">;
  runByMessage(chatId: number, messageId: number): RunContext | undefined;
  lastFinishedRun(chatId: number): number | undefined;
  storedRun(runId: number): StoredRun | undefined;
}

export function createExportCommand(d: ExportDeps): ChatCommand {
  return {
    name: "export",
    usage: "/export",
    summary: "the last run here (or the replied one) as a Markdown file",
    async run({ m, chat }) {
      const replied = m.replyTo?.fromBot ? d.runByMessage(m.chatId, m.replyTo.messageId) : undefined;
      if (m.replyTo?.fromBot && replied === undefined) {
        await d.kit.reply(
          chat,
          "That message belongs to no stored run. Reply to a run's answer, or send /export alone.",
          {
            replyTo: m.messageId,
          },
        );
        return;
      }
      const runId = replied?.runId ?? d.lastFinishedRun(m.chatId);
      const run = runId === undefined ? undefined : d.storedRun(runId);
      // A run of another chat is never exported here (run_messages are keyed by chat, this is a second lock).
      if (run === undefined || run.chatId !== m.chatId) {
        await d.kit.reply(chat, "No finished run in this chat to export yet.", { replyTo: m.messageId });
        return;
      }
      await d.kit.sendDocument(
        chat,
        {
          fileName: exportFileName(run),
          data: new TextEncoder().encode(renderRunMarkdown(run)),
          caption: `Run ${run.runId} · ${run.engine} · ${run.status}`,
        },
        { replyTo: m.messageId },
      );
    },
  };
}
