// What the bot does with an allowed update: commands, button presses, and prompts that become runs.
// Every reply goes through `replies` (the outbox); nothing here talks HTTP.
import { CANCEL_DATA, type RunManager } from "../core/runs.ts";
import { APPROVAL_PREFIX } from "../core/approvals.ts";
import { DirectiveError, leadingCommand, parseDirectives } from "../core/directives.ts";
import { gitEnv, resolveWorktree, WorktreeError } from "../core/worktrees.ts";
import type { ChatRef } from "../core/transport.ts";
import type { ResumeToken } from "../engines/events.ts";
import type { EngineDefinition } from "../engines/types.ts";
import { logger } from "../log/logger.ts";
import type { StateDb } from "../state/db.ts";
import type { IncomingCallback, IncomingMessage } from "./incoming.ts";
import type { VoiceHandler } from "./voice.ts";
import { escapeHtml } from "./render.ts";

export interface ProjectSettings {
  path: string;
  defaultEngine?: string;
  chatId?: number;
  /** `worktrees_dir` (relative to path unless absolute) and `worktree_base`, for `@branch` runs. */
  worktreesDir?: string;
  worktreeBase?: string;
}

export interface ChatSettings {
  defaultEngine: string;
  sessionMode: "chat" | "stateless";
  defaultCwd: string;
  projects: ReadonlyMap<string, ProjectSettings>;
  defaultProject?: string;
}

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
  engines: ReadonlyMap<string, EngineDefinition>;
  db: StateDb;
  replies: Replies;
  settings: () => ChatSettings;
  files?: FileHandler;
  /** Voice notes → transcript; without it voice notes are ignored like other media. */
  voice?: VoiceHandler;
  /** Extra commands (e.g. /at from triggers); returns true when handled. */
  extraCommand?(name: string, args: string, m: IncomingMessage, start: (prompt: string) => Promise<void>): Promise<boolean>;
  /** The bot's own @username: a message starting with a mention of it is not an @branch directive. */
  botUsername?: string;
  /** Drops a chat's scheduled runs (/at); returns how many. Used by /cancel when nothing runs. */
  cancelScheduled?(chatId: number): number;
  /** Environment for git when creating `@branch` worktrees (see core/worktrees.ts gitEnv). */
  gitEnv?: Record<string, string>;
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

/** "@my_bot fix it" → "fix it" (in groups people address the bot by name). */
export function withoutMention(text: string, botUsername: string | undefined): string {
  if (!botUsername) return text;
  const m = /^\s*@([A-Za-z0-9_]+)(?=\s|$)/.exec(text);
  return m && m[1]?.toLowerCase() === botUsername.toLowerCase() ? text.slice(m[0].length).trimStart() : text;
}

function chatOf(m: IncomingMessage): ChatRef {
  return m.threadId === undefined ? { chatId: m.chatId } : { chatId: m.chatId, threadId: m.threadId };
}

export class ChatController {
  constructor(private readonly d: ControllerDeps) {}

  /** Session scope: per chat in private chats, per sender in groups, per topic in forums. */
  sessionScope(m: IncomingMessage): string {
    if (m.threadId !== undefined) return `chat:${m.chatId}:topic:${m.threadId}`;
    if (m.chatType === "private" || m.userId === undefined) return `chat:${m.chatId}`;
    return `chat:${m.chatId}:user:${m.userId}`;
  }

  agentKey(m: IncomingMessage): string {
    return m.threadId === undefined ? `agent:${m.chatId}` : `agent:${m.chatId}:${m.threadId}`;
  }

  async handleMessage(m: IncomingMessage): Promise<void> {
    const cmd = leadingCommand(m.text);
    const cwd = this.#cwdFor(m, undefined);
    if (cmd) {
      switch (cmd.name) {
        case "start":
        case "help":
          return this.d.replies.reply(chatOf(m), HELP_TEXT, m.messageId);
        case "cancel":
          return this.#cancel(m);
        case "new":
          return this.#new(m);
        case "agent":
          return this.#agent(m, cmd.args);
        case "continue":
          return this.#continue(m, cmd.args);
        case "file":
          if (this.d.files) return this.#file(this.d.files, m, cmd.args, cwd);
          return this.d.replies.reply(chatOf(m), "File transfer is not available in this build.", m.messageId);
      }
      if (this.d.extraCommand && (await this.d.extraCommand(cmd.name, cmd.args, m, (p) => this.#startPrompt(m, p)))) return;
    }
    if (m.voice && this.d.voice) {
      // The transcript takes the typed-prompt path, so "/claude …" spoken at the start still routes.
      const text = await this.d.voice.transcribe(m);
      if (text !== undefined) await this.#startPrompt(m, text);
      return;
    }
    if (m.document && this.d.files) {
      const res = await this.d.files.document(m, cwd);
      if (res?.startRunWith) await this.#startPrompt(m, res.startRunWith);
      return;
    }
    if (m.text.trim() === "") return;
    await this.#startPrompt(m, m.text);
  }

  async handleCallback(q: IncomingCallback): Promise<void> {
    if (q.data === CANCEL_DATA) {
      if (q.chatId === undefined || q.messageId === undefined) return this.d.replies.toast(q.callbackId, "Nothing to cancel.");
      const r = this.d.runs.cancelByMessage(q.chatId, q.messageId);
      const text = r === "cancelling" ? "Cancelling…" : r === "dropped" ? "Removed from the queue." : "That run is not running any more.";
      return this.d.replies.toast(q.callbackId, text);
    }
    if (q.data.startsWith(`${APPROVAL_PREFIX}:`)) {
      const [, id, choice] = q.data.split(":");
      const pending = id ? this.d.runs.approvals.get(id) : undefined;
      if (!id || !choice || !pending || !this.d.runs.approvals.answer(id, choice)) {
        return this.d.replies.toast(q.callbackId, "This request is no longer waiting for an answer.");
      }
      logger().info({ tool: pending.request.toolName, choice, user_id: q.userId }, "approval.answered");
      return this.d.replies.toast(q.callbackId, choice === "d" ? "Denied." : "Approved.");
    }
    return this.d.replies.toast(q.callbackId, "This button is no longer active.");
  }

  #projectName(m: IncomingMessage, project: string | undefined): string | undefined {
    const s = this.d.settings();
    return project ?? [...s.projects.entries()].find(([, p]) => p.chatId === m.chatId)?.[0] ?? s.defaultProject;
  }

  #cwdFor(m: IncomingMessage, project: string | undefined): string {
    const s = this.d.settings();
    const name = this.#projectName(m, project);
    return (name ? s.projects.get(name)?.path : undefined) ?? s.defaultCwd;
  }

  /** The worktree of `branch` in the message's project (created on first use); on failure the user is told and undefined returned. */
  async #branchCwd(m: IncomingMessage, project: string | undefined, branch: string): Promise<{ cwd: string; project: string; branch: string } | undefined> {
    const s = this.d.settings();
    const name = this.#projectName(m, project);
    const p = name === undefined ? undefined : s.projects.get(name);
    if (name === undefined || p === undefined) {
      await this.d.replies.reply(chatOf(m), "⚠️ <code>@branch</code> needs a project: start with <code>/&lt;project&gt;</code> or set <code>default_project</code>.", m.messageId);
      return undefined;
    }
    try {
      const cwd = await resolveWorktree(p.path, branch, {
        worktreesDir: p.worktreesDir ?? ".worktrees",
        worktreeBase: p.worktreeBase,
        env: this.d.gitEnv ?? gitEnv({}),
      });
      return { cwd, project: name, branch: branch.trim() };
    } catch (e) {
      if (!(e instanceof WorktreeError)) throw e;
      logger().warn({ code: e.code, chat_id: m.chatId, project: name }, "worktree.refused");
      await this.d.replies.reply(chatOf(m), `⚠️ @branch: ${escapeHtml(e.message)}`, m.messageId);
      return undefined;
    }
  }

  #defaultEngine(m: IncomingMessage, project: string | undefined): string {
    const s = this.d.settings();
    const chosen = this.d.db.getKv(this.agentKey(m));
    if (chosen && this.d.engines.has(chosen)) return chosen;
    const p = project ? s.projects.get(project) : undefined;
    if (p?.defaultEngine && this.d.engines.has(p.defaultEngine)) return p.defaultEngine;
    return s.defaultEngine;
  }

  #findResume(text: string): ResumeToken | undefined {
    for (const def of this.d.engines.values()) {
      const t = def.extractResume(text);
      if (t) return t;
    }
    return undefined;
  }

  async #startPrompt(m: IncomingMessage, text: string, forced?: ResumeToken): Promise<void> {
    const s = this.d.settings();
    let directives;
    try {
      directives = parseDirectives(withoutMention(text, this.d.botUsername), new Set(this.d.engines.keys()), new Set(s.projects.keys()));
    } catch (e) {
      if (e instanceof DirectiveError) return this.d.replies.reply(chatOf(m), `⚠️ ${escapeHtml(e.message)}`, m.messageId);
      throw e;
    }
    if (directives.prompt === "") {
      return this.d.replies.reply(chatOf(m), "Send the task after the engine name, e.g. <code>/claude fix the tests</code>.", m.messageId);
    }
    // A resume token in the prompt or the replied-to message wins; its engine wins too.
    let resume = forced ?? this.#findResume(directives.prompt) ?? (m.replyTo ? this.#findResume(m.replyTo.text) : undefined);
    // Chat-mode sessions are per branch: a conversation in a worktree must not resume in the project root.
    const baseScope = s.sessionMode === "chat" ? this.sessionScope(m) : undefined;
    const scope = baseScope !== undefined && directives.branch !== undefined ? `${baseScope}:branch:${directives.branch}` : baseScope;
    const engineId = resume?.engine ?? directives.engine ?? this.#defaultEngine(m, directives.project);
    if (!resume && scope) {
      const stored = this.d.db.getSession(scope, engineId);
      if (stored) resume = { engine: engineId, value: stored };
    }
    if (!this.d.engines.has(engineId)) {
      return this.d.replies.reply(chatOf(m), `⚠️ The engine <b>${escapeHtml(engineId)}</b> is not available. Check <code>default_engine</code> and run <code>untether doctor</code>.`, m.messageId);
    }
    let cwd = this.#cwdFor(m, directives.project);
    let context = directives.project;
    if (directives.branch !== undefined) {
      const b = await this.#branchCwd(m, directives.project, directives.branch);
      if (b === undefined) return;
      cwd = b.cwd;
      context = `${b.project} @${b.branch}`;
    }
    try {
      await this.d.runs.submit({
        chat: chatOf(m),
        replyTo: m.messageId,
        prompt: directives.prompt,
        engineId,
        resume,
        cwd,
        source: "telegram",
        sessionScope: scope,
        context,
      });
    } catch (e) {
      logger().error({ error: (e as Error).message, chat_id: m.chatId }, "run.submit_failed");
      await this.d.replies.reply(chatOf(m), `⚠️ Could not start the run: ${escapeHtml((e as Error).message)}`, m.messageId);
    }
  }

  /** `/file @feature-x get path` works in the branch's worktree instead of the project root. */
  async #file(files: FileHandler, m: IncomingMessage, args: string, cwd: string): Promise<void> {
    const at = /^@(\S+)\s*([\s\S]*)$/.exec(args);
    if (!at) return files.command(m, args, cwd);
    const b = await this.#branchCwd(m, undefined, at[1] as string);
    if (b !== undefined) await files.command(m, at[2] as string, b.cwd);
  }

  async #cancel(m: IncomingMessage): Promise<void> {
    const chat = chatOf(m);
    if (m.replyTo) {
      const r = this.d.runs.cancelByMessage(m.chatId, m.replyTo.messageId);
      if (r !== "none") return this.d.replies.reply(chat, r === "cancelling" ? "Cancelling that run." : "Removed that run from the queue.", m.messageId);
      return this.d.replies.reply(chat, "Nothing is running for that message.", m.messageId);
    }
    const runs = this.d.runs.runsInChat(m.chatId);
    if (runs.length === 0) {
      const dropped = this.d.cancelScheduled?.(m.chatId) ?? 0;
      if (dropped > 0) return this.d.replies.reply(chat, `Cancelled ${dropped} scheduled run${dropped > 1 ? "s" : ""} (/at).`, m.messageId);
      return this.d.replies.reply(chat, "Nothing is running in this chat.", m.messageId);
    }
    if (runs.length > 1) {
      return this.d.replies.reply(chat, `${runs.length} runs are active here. Reply <code>/cancel</code> to the progress message of the one to stop.`, m.messageId);
    }
    const r = this.d.runs.cancelRun((runs[0] as { runId: number }).runId);
    return this.d.replies.reply(chat, r === "dropped" ? "Removed the queued run." : "Cancelling the run.", m.messageId);
  }

  async #new(m: IncomingMessage): Promise<void> {
    let cancelled = 0;
    for (const r of this.d.runs.runsInChat(m.chatId)) if (this.d.runs.cancelRun(r.runId) !== "none") cancelled++;
    const cleared = this.d.db.clearSessions(this.sessionScope(m));
    const parts: string[] = [];
    if (cancelled) parts.push(`cancelled ${cancelled} run${cancelled > 1 ? "s" : ""}`);
    if (cleared) parts.push("cleared the stored sessions");
    const text = parts.length ? `🧹 ${parts.join(" and ")}. The next message starts fresh.` : "No stored sessions here — the next message starts fresh anyway.";
    return this.d.replies.reply(chatOf(m), text, m.messageId);
  }

  async #agent(m: IncomingMessage, args: string): Promise<void> {
    const chat = chatOf(m);
    const [sub, value] = args.split(/\s+/).filter(Boolean);
    const key = this.agentKey(m);
    const known = [...this.d.engines.keys()].sort();
    if (!sub) {
      const chosen = this.d.db.getKv(key);
      const current = this.#defaultEngine(m, undefined);
      return this.d.replies.reply(
        chat,
        `Default engine here: <b>${escapeHtml(current)}</b>${chosen ? " (set with /agent)" : " (from the config)"}.\nAvailable: ${known.map(escapeHtml).join(", ")}.\nChange it with <code>/agent set &lt;engine&gt;</code> or <code>/agent clear</code>.`,
        m.messageId,
      );
    }
    if (sub !== "set" && sub !== "clear") {
      return this.d.replies.reply(chat, "Usage: <code>/agent</code>, <code>/agent set &lt;engine&gt;</code> or <code>/agent clear</code>.", m.messageId);
    }
    if (m.chatType !== "private" && (m.userId === undefined || !(await this.d.replies.isChatAdmin(m.chatId, m.userId)))) {
      return this.d.replies.reply(chat, "Only the group's admins can change the default engine.", m.messageId);
    }
    if (sub === "clear") {
      this.d.db.setKv(key, "");
      return this.d.replies.reply(chat, `Default engine reset to the config's: <b>${escapeHtml(this.#defaultEngine(m, undefined))}</b>.`, m.messageId);
    }
    const engine = value?.toLowerCase();
    if (!engine || !this.d.engines.has(engine)) {
      return this.d.replies.reply(chat, `Unknown engine${engine ? ` <b>${escapeHtml(engine)}</b>` : ""}. Available: ${known.map(escapeHtml).join(", ")}.`, m.messageId);
    }
    this.d.db.setKv(key, engine);
    return this.d.replies.reply(chat, `Default engine here is now <b>${escapeHtml(engine)}</b>.`, m.messageId);
  }

  async #continue(m: IncomingMessage, args: string): Promise<void> {
    const engineId = this.#defaultEngine(m, undefined);
    const def = this.d.engines.get(engineId);
    if (!def?.supportsContinue) {
      return this.d.replies.reply(chatOf(m), `<b>${escapeHtml(engineId)}</b> cannot continue its newest session; send a new task instead.`, m.messageId);
    }
    const prompt = args.trim() || "Continue.";
    return this.#startPrompt(m, prompt, { engine: engineId, value: "", isContinue: true });
  }
}
