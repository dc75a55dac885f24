// What the bot does with an allowed update: commands, button presses, and prompts that become runs.
// Every reply goes through `replies` (the outbox); nothing here talks HTTP.

import { APPROVAL_PREFIX } from "../core/approvals.ts";
import { leadingCommand } from "../core/directives.ts";
import { agentKey, type ChatOrigin, type DispatchInput, type RunDispatch, sessionScope } from "../core/dispatch.ts";
import { CANCEL_DATA, type RunManager } from "../core/runs.ts";
import type { ChatRef } from "../core/transport.ts";
import type { EngineDefinition } from "../engines/types.ts";
import { logger } from "../log/logger.ts";
import type { StateDb } from "../state/db.ts";
import type { IncomingCallback, IncomingMessage } from "./incoming.ts";
import { escapeHtml } from "./render.ts";
import type { VoiceHandler } from "./voice.ts";

export interface Replies {
  reply(chat: ChatRef, html: string, replyTo?: number): Promise<void>;
  toast(callbackId: string, text: string): Promise<void>;
  /** creator or administrator of a group chat. */
  isChatAdmin(chatId: number, userId: number): Promise<boolean>;
}

/** Handles `/file …` and documents (file transfer); optional so the bot works without it. */
export interface FileHandler {
  command(m: IncomingMessage, args: string, cwd: string): Promise<void>;
  document(m: IncomingMessage, cwd: string): Promise<{ startRunWith?: string } | undefined>;
}

export interface ControllerDeps {
  runs: RunManager;
  dispatch: RunDispatch;
  engines: ReadonlyMap<string, EngineDefinition>;
  db: StateDb;
  replies: Replies;
  files?: FileHandler;
  /** Voice notes → transcript; without it voice notes are ignored like other media. */
  voice?: VoiceHandler;
  /** Extra commands (e.g. /at from triggers); returns true when handled. */
  extraCommand?(name: string, args: string, m: IncomingMessage): Promise<boolean>;
  /** Drops a chat's scheduled runs (/at); returns how many. Used by /cancel when nothing runs. */
  cancelScheduled?(chatId: number): number;
}

export const HELP_TEXT = [
  "<b>Untether</b> runs your coding agents on your server.",
  "",
  "Send a task as a message. The first line may pick an engine, project or git branch (a worktree): <code>/claude @fix-ci fix the tests</code>.",
  "",
  "<code>/cancel</code> — stop a run (reply to its progress message, or the only run here)",
  "<code>/new</code> — forget the stored sessions of this chat and start fresh",
  "<code>/agent</code> — show the default engine; <code>/agent set codex</code>, <code>/agent clear</code>",
  "<code>/continue [task]</code> — continue the engine's newest session in the project",
  "<code>/file get &lt;path&gt;</code>, <code>/file put &lt;path&gt;</code> — move files (when enabled)",
  "<code>/at 30m &lt;task&gt;</code> — run a task later",
].join("\n");

export function chatOriginOf(m: IncomingMessage): ChatOrigin {
  return {
    chatId: m.chatId,
    chatType: m.chatType,
    ...(m.threadId === undefined ? {} : { threadId: m.threadId }),
    ...(m.userId === undefined ? {} : { userId: m.userId }),
  };
}

function chatOf(m: IncomingMessage): ChatRef {
  return m.threadId === undefined ? { chatId: m.chatId } : { chatId: m.chatId, threadId: m.threadId };
}

export class ChatController {
  constructor(private readonly d: ControllerDeps) {}

  /** `droppedWaiting`: messages of this chat a `/cancel` took out of the lane before they ran. */
  async handleMessage(m: IncomingMessage, opts: { droppedWaiting?: number } = {}): Promise<void> {
    const cmd = leadingCommand(m.text);
    if (cmd) {
      switch (cmd.name) {
        case "start":
        case "help":
          return this.d.replies.reply(chatOf(m), HELP_TEXT, m.messageId);
        case "cancel":
          return this.#cancel(m, opts.droppedWaiting ?? 0);
        case "new":
          return this.#new(m);
        case "agent":
          return this.#agent(m, cmd.args);
        case "continue":
          return this.#continue(m, cmd.args);
        case "file":
          if (this.d.files) return this.#file(this.d.files, m, cmd.args);
          return this.d.replies.reply(chatOf(m), "File transfer is not available in this build.", m.messageId);
      }
      if (this.d.extraCommand && (await this.d.extraCommand(cmd.name, cmd.args, m))) return;
    }
    if (m.voice && this.d.voice) {
      // The transcript takes the typed-prompt path, so "/claude …" spoken at the start still routes.
      const text = await this.d.voice.transcribe(m);
      if (text !== undefined) await this.#startPrompt(m, text);
      return;
    }
    if (m.document && this.d.files) {
      const res = await this.d.files.document(m, this.#projectCwd(m));
      if (res?.startRunWith) await this.#startPrompt(m, res.startRunWith);
      return;
    }
    if (m.text.trim() === "") return;
    await this.#startPrompt(m, m.text);
  }

  async handleCallback(q: IncomingCallback): Promise<void> {
    if (q.data === CANCEL_DATA) {
      if (q.chatId === undefined || q.messageId === undefined)
        return this.d.replies.toast(q.callbackId, "Nothing to cancel.");
      const r = this.d.runs.cancelByMessage(q.chatId, q.messageId);
      const text =
        r === "cancelling"
          ? "Cancelling…"
          : r === "dropped"
            ? "Removed from the queue."
            : "That run is not running any more.";
      return this.d.replies.toast(q.callbackId, text);
    }
    if (q.data.startsWith(`${APPROVAL_PREFIX}:`)) {
      const [, id, choice] = q.data.split(":");
      const pending =
        id && choice && q.chatId !== undefined && q.messageId !== undefined
          ? this.d.runs.answerApproval(id, choice, { chatId: q.chatId, messageId: q.messageId })
          : undefined;
      if (!pending) return this.d.replies.toast(q.callbackId, "This request is no longer waiting for an answer.");
      logger().info({ tool: pending.request.toolName, choice, user_id: q.userId }, "approval.answered");
      return this.d.replies.toast(q.callbackId, choice === "d" ? "Denied." : "Approved.");
    }
    return this.d.replies.toast(q.callbackId, "This button is no longer active.");
  }

  /** The chat's project directory (file transfer without @branch). */
  #projectCwd(m: IncomingMessage): string {
    const o = chatOriginOf(m);
    return this.d.dispatch.projectCwd(o);
  }

  async #startPrompt(m: IncomingMessage, text: string, extra: Partial<DispatchInput> = {}): Promise<void> {
    const resolved = await this.d.dispatch.dispatch({
      source: { kind: "chat" },
      origin: chatOriginOf(m),
      text,
      replyTo: m.messageId,
      ...(m.userId === undefined ? {} : { userId: m.userId }),
      ...(m.replyTo === undefined ? {} : { replied: m.replyTo }),
      ...extra,
    });
    if (!resolved.ok) return this.d.replies.reply(chatOf(m), `⚠️ ${escapeHtml(resolved.message)}`, m.messageId);
    const req = resolved.request;
    if (req.prompt === "") {
      return this.d.replies.reply(
        chatOf(m),
        "Send the task after the engine name, e.g. <code>/claude fix the tests</code>.",
        m.messageId,
      );
    }
    if (req.resume?.isContinue && !this.d.engines.get(req.engineId)?.supportsContinue) {
      return this.d.replies.reply(
        chatOf(m),
        `<b>${escapeHtml(req.engineId)}</b> cannot continue its newest session; send a new task instead.`,
        m.messageId,
      );
    }
    try {
      await this.d.runs.submit(req);
    } catch (e) {
      logger().error({ error: (e as Error).message, chat_id: m.chatId }, "run.submit_failed");
      await this.d.replies.reply(
        chatOf(m),
        `⚠️ Could not start the run: ${escapeHtml((e as Error).message)}`,
        m.messageId,
      );
    }
  }

  /** `/file @feature-x get path` works in the branch's worktree instead of the project root. */
  async #file(files: FileHandler, m: IncomingMessage, args: string): Promise<void> {
    const at = /^@(\S+)\s*([\s\S]*)$/.exec(args);
    if (!at) return files.command(m, args, this.#projectCwd(m));
    const wt = await this.d.dispatch.worktree(chatOriginOf(m), undefined, at[1] as string);
    if (!wt.ok) return this.d.replies.reply(chatOf(m), `⚠️ ${escapeHtml(wt.message)}`, m.messageId);
    await files.command(m, at[2] as string, wt.cwd);
  }

  async #cancel(m: IncomingMessage, droppedWaiting: number): Promise<void> {
    const chat = chatOf(m);
    const reply = (text: string) => this.d.replies.reply(chat, text, m.messageId);
    if (m.replyTo) {
      const r = this.d.runs.cancelByMessage(m.chatId, m.replyTo.messageId);
      if (r !== "none") return reply(r === "cancelling" ? "Cancelling that run." : "Removed that run from the queue.");
      return reply("Nothing is running for that message.");
    }
    const waiting =
      droppedWaiting > 0
        ? ` Dropped ${droppedWaiting} message${droppedWaiting > 1 ? "s" : ""} still waiting to be handled here.`
        : "";
    const runs = this.d.runs.runsInChat(m.chatId);
    if (runs.length === 0) {
      const dropped = this.d.cancelScheduled?.(m.chatId) ?? 0;
      if (dropped > 0) return reply(`Cancelled ${dropped} scheduled run${dropped > 1 ? "s" : ""} (/at).${waiting}`);
      return reply(waiting ? waiting.trimStart() : "Nothing is running in this chat.");
    }
    if (runs.length > 1) {
      return reply(
        `${runs.length} runs are active here. Reply <code>/cancel</code> to the progress message of the one to stop.${waiting}`,
      );
    }
    const r = this.d.runs.cancelRun((runs[0] as { runId: number }).runId);
    return reply(`${r === "dropped" ? "Removed the queued run." : "Cancelling the run."}${waiting}`);
  }

  async #new(m: IncomingMessage): Promise<void> {
    let cancelled = 0;
    for (const r of this.d.runs.runsInChat(m.chatId)) if (this.d.runs.cancelRun(r.runId) !== "none") cancelled++;
    const cleared = this.d.db.clearSessions(sessionScope(chatOriginOf(m)));
    const parts: string[] = [];
    if (cancelled) parts.push(`cancelled ${cancelled} run${cancelled > 1 ? "s" : ""}`);
    if (cleared) parts.push("cleared the stored sessions");
    const text = parts.length
      ? `🧹 ${parts.join(" and ")}. The next message starts fresh.`
      : "No stored sessions here — the next message starts fresh anyway.";
    return this.d.replies.reply(chatOf(m), text, m.messageId);
  }

  async #agent(m: IncomingMessage, args: string): Promise<void> {
    const chat = chatOf(m);
    const [sub, value] = args.split(/\s+/).filter(Boolean);
    const key = agentKey(chatOriginOf(m));
    const known = [...this.d.engines.keys()].sort();
    if (!sub) {
      const chosen = this.d.db.getKv(key);
      const current = this.#chatEngine(m);
      return this.d.replies.reply(
        chat,
        `Default engine here: <b>${escapeHtml(current)}</b>${chosen ? " (set with /agent)" : " (from the config)"}.\nAvailable: ${known.map(escapeHtml).join(", ")}.\nChange it with <code>/agent set &lt;engine&gt;</code> or <code>/agent clear</code>.`,
        m.messageId,
      );
    }
    if (sub !== "set" && sub !== "clear") {
      return this.d.replies.reply(
        chat,
        "Usage: <code>/agent</code>, <code>/agent set &lt;engine&gt;</code> or <code>/agent clear</code>.",
        m.messageId,
      );
    }
    if (
      m.chatType !== "private" &&
      (m.userId === undefined || !(await this.d.replies.isChatAdmin(m.chatId, m.userId)))
    ) {
      return this.d.replies.reply(chat, "Only the group's admins can change the default engine.", m.messageId);
    }
    if (sub === "clear") {
      this.d.db.setKv(key, "");
      return this.d.replies.reply(
        chat,
        `Default engine reset to the config's: <b>${escapeHtml(this.#chatEngine(m))}</b>.`,
        m.messageId,
      );
    }
    const engine = value?.toLowerCase();
    if (!engine || !this.d.engines.has(engine)) {
      return this.d.replies.reply(
        chat,
        `Unknown engine${engine ? ` <b>${escapeHtml(engine)}</b>` : ""}. Available: ${known.map(escapeHtml).join(", ")}.`,
        m.messageId,
      );
    }
    this.d.db.setKv(key, engine);
    return this.d.replies.reply(chat, `Default engine here is now <b>${escapeHtml(engine)}</b>.`, m.messageId);
  }

  #chatEngine(m: IncomingMessage): string {
    const o = chatOriginOf(m);
    return this.d.dispatch.chatEngine(o, this.d.dispatch.chatProject(o));
  }

  async #continue(m: IncomingMessage, args: string): Promise<void> {
    // `/continue` continues the newest session of the engine in the directory; a reply is not a pointer here.
    return this.#startPrompt(m, args.trim() || "Continue.", {
      source: { kind: "continue" },
      continueNewest: true,
      replied: undefined,
    });
  }
}
