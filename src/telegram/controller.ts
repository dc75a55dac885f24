// What the bot does with an allowed update: commands, button presses, and prompts that become runs.
// Every reply goes through the command kit (the outbox); nothing here talks HTTP.

import { APPROVAL_PREFIX, type PressOutcome } from "../core/approvals.ts";
import { leadingCommand } from "../core/directives.ts";
import { type DispatchInput, type RunDispatch, sessionScope } from "../core/dispatch.ts";
import { CANCEL_DATA, type RunManager } from "../core/runs.ts";
import type { EngineDefinition, PromptImage } from "../engines/types.ts";
import { logger } from "../log/logger.ts";
import type { StateDb } from "../state/db.ts";
import type { CommandRegistry } from "./commands/registry.ts";
import type { SettingsChanger } from "./commands/settings-change.ts";
import { type ChatCommand, type CommandKit, chatOf, chatOriginOf } from "./commands/types.ts";
import { type FileRequester, promptWithAttachments } from "./files.ts";
import { withForwards } from "./forwards.ts";
import type { IncomingCallback, IncomingMessage } from "./incoming.ts";
import { escapeHtml } from "./render.ts";
import type { VoiceHandler } from "./voice.ts";

/** Handles `/file …` and documents (file transfer); optional so the bot works without it. */
export interface FileHandler {
  command(m: IncomingMessage, args: string, cwd: string): Promise<void>;
  /** Undefined when `who` may transfer files here (enabled, allowed, admin in a group), else the refusal (HTML). */
  mayTransfer(who: FileRequester): Promise<string | undefined>;
  /** Sends `path` below `cwd` to `who`'s chat exactly as `/file get` does; refusals are replied. */
  send(who: FileRequester, path: string, cwd: string): Promise<void>;
  /**
   * Saves what a message (or a whole album, `m.album`) carries into uploads_dir, replying what was
   * saved or refused. `startRunWith`: the caption with the saved paths, to run; `pendingPaths`: no
   * caption in `auto_put_mode = "prompt"`, so the sender's next message here is their prompt.
   */
  document(
    m: IncomingMessage,
    cwd: string,
  ): Promise<{ startRunWith?: string; images?: PromptImage[]; pendingPaths?: string[] } | undefined>;
}

export interface ControllerDeps {
  runs: RunManager;
  dispatch: RunDispatch;
  engines: ReadonlyMap<string, EngineDefinition>;
  db: StateDb;
  kit: CommandKit;
  /** The controller adds its own commands (help, cancel, new, agent, continue, file) to it. */
  commands: CommandRegistry;
  files?: FileHandler;
  /** Voice notes → transcript; without it voice notes are ignored like other media. */
  voice?: VoiceHandler;
  /** A reason this message must not run here (an unbound forum topic), as HTML for the user. */
  placeGate?(m: IncomingMessage): string | undefined;
  /** Drops a chat's scheduled runs (/at); returns how many. Used by /cancel when nothing runs. */
  cancelScheduled?(chatId: number): number;
  /** Per-chat settings: /agent changes go through it; its listen mode filters group messages. */
  settings: SettingsChanger;
  /** The bot's @username, for `/listen mentions`. */
  botUsername?: () => string | undefined;
}

const HELP_HEADER = [
  "<b>Untether</b> runs your coding agents on your server.",
  "",
  "Send a task as a message. The first line may pick an engine, project or git branch (a worktree): <code>/claude @fix-ci fix the tests</code>. Start a message with <code>//</code> to send it to the agent exactly as typed.",
  "",
].join("\n");

/** The toast after a press on an approval button. */
const PRESS_TOASTS: Record<PressOutcome, string> = {
  approved: "Approved.",
  denied: "Denied.",
  chosen: "Chosen — answer the other questions.",
  toggled: "Toggled — press Send when done.",
  sent: "Sent — answer the other questions.",
  answered: "Answers sent.",
  empty: "Choose at least one option, or Other….",
  "awaiting-other": "Reply to the progress message with your answer.",
  "awaiting-discuss": "Reply to the progress message with what to discuss.",
};

/** Captionless uploads waiting for their sender's next prompt (auto_put_mode = "prompt"), at most this many senders. */
const MAX_PENDING_UPLOADS = 100;

const carriesFile = (m: IncomingMessage): boolean =>
  m.album !== undefined || m.document !== undefined || m.photo !== undefined || m.video !== undefined;

export class ChatController {
  readonly #d: ControllerDeps;
  /** Saved paths per chat/topic and sender, named in that sender's next prompt there. */
  readonly #pendingUploads = new Map<string, string[]>();

  constructor(d: ControllerDeps) {
    this.#d = d;
    d.commands.add(...this.#builtins());
  }

  #builtins(): ChatCommand[] {
    return [
      {
        name: "cancel",
        usage: "/cancel",
        summary: "stop a run (reply to its progress message, or the only run here)",
        run: ({ m }) => this.#cancel(m, 0),
      },
      {
        name: "new",
        usage: "/new",
        summary: "forget this chat's stored sessions and start fresh",
        run: ({ m }) => this.#new(m),
      },
      {
        name: "agent",
        usage: "/agent [set <engine>|clear]",
        summary: "show or set the default engine here",
        run: ({ m, args }) => this.#agent(m, args),
      },
      {
        name: "continue",
        usage: "/continue [task]",
        summary: "continue the engine's newest session in the project",
        run: ({ m, args }) => this.#continue(m, args),
      },
      {
        name: "file",
        usage: "/file get|put <path>",
        summary: "move a file between the chat and the project (when enabled)",
        run: ({ m, args }) =>
          this.#d.files
            ? this.#file(this.#d.files, m, args)
            : this.#reply(m, "File transfer is not available in this build."),
      },
      {
        name: "help",
        usage: "/help",
        summary: "what Untether can do: commands, engines and projects",
        run: ({ m }) => this.#reply(m, this.helpText()),
      },
      {
        name: "start",
        usage: "/start",
        summary: "the same as /help",
        unlisted: true,
        run: ({ m }) => this.#reply(m, this.helpText()),
      },
    ];
  }

  /** /help: every registered command, then the engines and projects a message may start with. */
  helpText(): string {
    const engines = [...this.#d.engines.keys()].sort().map((e) => `/${escapeHtml(e)}`);
    const projects = this.#d.dispatch
      .projectNames()
      .sort()
      .map((p) => `/${escapeHtml(p)}`);
    const lines = [HELP_HEADER, ...this.#d.commands.helpLines(), "", `Engines: ${engines.join(" ")}`];
    if (projects.length) lines.push(`Projects: ${projects.join(" ")}`);
    return lines.join("\n");
  }

  #reply(m: IncomingMessage, html: string): Promise<void> {
    return this.#d.kit.reply(chatOf(m), html, { replyTo: m.messageId }).then(() => undefined);
  }

  /** `droppedWaiting`: messages of this chat a `/cancel` took out of the lane before they ran. */
  async handleMessage(m: IncomingMessage, opts: { droppedWaiting?: number } = {}): Promise<void> {
    if (m.forwarded) return this.#withForwards(m, m.forwarded, opts);
    if (!this.#listening(m)) {
      logger().debug({ chat_id: m.chatId, message_id: m.messageId }, "listen.ignored");
      return;
    }
    // `//text` goes to the agent as typed (one slash removed): no commands, no directives.
    if (m.text.startsWith("//")) return this.#startPrompt(m, m.text.slice(1), { fixed: {} });
    const cmd = leadingCommand(m.text);
    if (cmd) {
      if (cmd.name === "cancel") return this.#cancel(m, opts.droppedWaiting ?? 0);
      const command = this.#d.commands.get(cmd.name);
      if (command) return command.run({ m, args: cmd.args, chat: chatOf(m) });
      if (!this.#isDirective(cmd.name)) return this.#unknownCommand(m, `/${cmd.name}`, cmd.name);
    } else {
      const dotted = dottedCommand(m.text);
      if (dotted && (this.#d.commands.get(dotted) || this.#d.commands.suggest(dotted)))
        return this.#unknownCommand(m, `.${dotted}`, dotted);
    }
    const gate = this.#d.placeGate?.(m);
    if (gate !== undefined) return this.#reply(m, gate);
    if (m.voice && this.#d.voice) {
      // The transcript takes the typed-prompt path, so "/claude …" spoken at the start still routes.
      const text = await this.#d.voice.transcribe(m);
      if (text !== undefined) await this.#startPrompt(m, text);
      return;
    }
    if (carriesFile(m) && this.#d.files) {
      const place = await this.#d.dispatch.placeCwd(chatOriginOf(m));
      if (!place.ok) return this.#reply(m, `⚠️ ${escapeHtml(place.message)}`);
      const res = await this.#d.files.document(m, place.cwd);
      if (res?.pendingPaths) this.#holdUploads(m, res.pendingPaths);
      if (res?.startRunWith) await this.#startPrompt(m, res.startRunWith, res.images ? { images: res.images } : {});
      return;
    }
    if (m.text.trim() === "") return;
    // A reply to a run's message while Claude waits for a typed answer (Other…, Let's discuss) is that answer.
    if (m.replyTo !== undefined) {
      const answered = this.#d.runs.answerByReply(m.chatId, m.replyTo.messageId, m.text);
      if (answered) {
        logger().info({ tool: answered.request.toolName, user_id: m.userId }, "approval.answered_by_reply");
        return;
      }
    }
    await this.#startPrompt(m, m.text);
  }

  /**
   * `/listen mentions` in a group: only a message that mentions the bot, replies to the bot, starts
   * with /<engine> or /<project>, or is a known command is handled; the rest of the talk is not ours.
   */
  #listening(m: IncomingMessage): boolean {
    if (m.chatType === "private") return true;
    if (this.#d.settings.settings.listenMode(chatOriginOf(m)) === "all") return true;
    if (m.replyTo?.fromBot) return true;
    const cmd = leadingCommand(m.text);
    if (cmd && (this.#d.commands.get(cmd.name) || cmd.name === "cancel" || this.#isDirective(cmd.name))) return true;
    const bot = this.#d.botUsername?.();
    if (bot === undefined) return false;
    const re = new RegExp(`(^|[^A-Za-z0-9_])@${bot.replace(/[^A-Za-z0-9_]/g, "")}(?![A-Za-z0-9_])`, "i");
    return re.test(m.text);
  }

  /**
   * Forwards joined to this message (coalescer.ts) are quoted after its own text. A command keeps
   * its meaning: the forwards then run as their own prompt first, and the command after them.
   */
  async #withForwards(
    m: IncomingMessage,
    forwarded: IncomingMessage[],
    opts: { droppedWaiting?: number },
  ): Promise<void> {
    const own: IncomingMessage = { ...m };
    delete own.forwarded;
    const cmd = m.text.startsWith("//") ? undefined : leadingCommand(m.text);
    if (cmd && this.#d.commands.get(cmd.name)) {
      await this.handleMessage({ ...own, text: withForwards("", forwarded) });
      return this.handleMessage(own, opts);
    }
    return this.handleMessage({ ...own, text: withForwards(m.text, forwarded) }, opts);
  }

  #uploadKey(m: IncomingMessage): string {
    return `${m.chatId}:${m.threadId ?? ""}:${m.userId ?? ""}`;
  }

  #holdUploads(m: IncomingMessage, paths: string[]): void {
    const key = this.#uploadKey(m);
    const held = [...(this.#pendingUploads.get(key) ?? []), ...paths];
    this.#pendingUploads.delete(key);
    this.#pendingUploads.set(key, held);
    while (this.#pendingUploads.size > MAX_PENDING_UPLOADS) {
      const oldest = this.#pendingUploads.keys().next().value;
      if (oldest === undefined) break;
      this.#pendingUploads.delete(oldest);
    }
  }

  /** `/claude`, `/backend`: the first line picks an engine or project (core/directives.ts). */
  #isDirective(name: string): boolean {
    return this.#d.engines.has(name) || this.#d.dispatch.projectNames().includes(name);
  }

  /** A typo must not become a paid run: say what was meant and run nothing. */
  #unknownCommand(m: IncomingMessage, typed: string, name: string): Promise<void> {
    const exact = this.#d.commands.get(name) ? name : undefined;
    const guess = exact ?? this.#d.commands.suggest(name);
    const hint = guess ? ` Did you mean <code>/${escapeHtml(guess)}</code>?` : " /help lists the commands.";
    logger().info({ chat_id: m.chatId, command: name.slice(0, 32) }, "command.unknown");
    return this.#reply(
      m,
      `❓ Unknown command <code>${escapeHtml(typed.slice(0, 40))}</code> — nothing was sent to the agent.${hint}\nTo send a message to the agent exactly as typed, start it with <code>//</code>.`,
    );
  }

  async handleCallback(q: IncomingCallback): Promise<void> {
    if (q.data === CANCEL_DATA) {
      if (q.chatId === undefined || q.messageId === undefined)
        return this.#d.kit.toast(q.callbackId, "Nothing to cancel.");
      const r = this.#d.runs.cancelByMessage(q.chatId, q.messageId);
      const text =
        r === "cancelling"
          ? "Cancelling…"
          : r === "dropped"
            ? "Removed from the queue."
            : "That run is not running any more.";
      return this.#d.kit.toast(q.callbackId, text);
    }
    if (q.data.startsWith(`${APPROVAL_PREFIX}:`)) {
      const [, id, choice] = q.data.split(":");
      const pressed =
        id && choice && q.chatId !== undefined && q.messageId !== undefined
          ? this.#d.runs.answerApproval(id, choice, { chatId: q.chatId, messageId: q.messageId })
          : undefined;
      if (!pressed) return this.#d.kit.toast(q.callbackId, "This request is no longer waiting for an answer.");
      logger().info({ tool: pressed.pending.request.toolName, choice, user_id: q.userId }, "approval.answered");
      return this.#d.kit.toast(q.callbackId, PRESS_TOASTS[pressed.outcome]);
    }
    const routed = this.#d.commands.callbackRoute(q);
    if (routed) return routed.route.handle(q, routed.rest);
    return this.#d.kit.toast(q.callbackId, "This button is no longer active.");
  }

  async #startPrompt(m: IncomingMessage, prompt: string, extra: Partial<DispatchInput> = {}): Promise<void> {
    // Uploads this sender left without a caption (auto_put_mode = "prompt") belong to this prompt.
    const held = this.#pendingUploads.get(this.#uploadKey(m));
    if (held) this.#pendingUploads.delete(this.#uploadKey(m));
    const text = held ? promptWithAttachments(prompt, held) : prompt;
    const resolved = await this.#d.dispatch.dispatch({
      source: { kind: "chat" },
      origin: chatOriginOf(m),
      text,
      replyTo: m.messageId,
      ...(m.userId === undefined ? {} : { userId: m.userId }),
      ...(m.replyTo === undefined ? {} : { replied: m.replyTo }),
      ...extra,
    });
    if (!resolved.ok) return this.#reply(m, `⚠️ ${escapeHtml(resolved.message)}`);
    const req = resolved.request;
    if (req.prompt === "") {
      return this.#reply(m, "Send the task after the engine name, e.g. <code>/claude fix the tests</code>.");
    }
    if (req.resume?.isContinue && !this.#d.engines.get(req.engineId)?.supportsContinue) {
      return this.#reply(
        m,
        `<b>${escapeHtml(req.engineId)}</b> cannot continue its newest session; send a new task instead.`,
      );
    }
    try {
      await this.#d.runs.submit(req);
    } catch (e) {
      logger().error({ error: (e as Error).message, chat_id: m.chatId }, "run.submit_failed");
      await this.#reply(m, `⚠️ Could not start the run: ${escapeHtml((e as Error).message)}`);
    }
  }

  /** `/file @feature-x get path` works in the branch's worktree instead of the project root. */
  async #file(files: FileHandler, m: IncomingMessage, args: string): Promise<void> {
    const at = /^@(\S+)\s*([\s\S]*)$/.exec(args);
    if (!at) {
      const place = await this.#d.dispatch.placeCwd(chatOriginOf(m));
      if (!place.ok) return this.#reply(m, `⚠️ ${escapeHtml(place.message)}`);
      return files.command(m, args, place.cwd);
    }
    const wt = await this.#d.dispatch.worktree(chatOriginOf(m), undefined, at[1] as string);
    if (!wt.ok) return this.#reply(m, `⚠️ ${escapeHtml(wt.message)}`);
    await files.command(m, at[2] as string, wt.cwd);
  }

  async #cancel(m: IncomingMessage, droppedWaiting: number): Promise<void> {
    const reply = (text: string) => this.#reply(m, text);
    if (m.replyTo) {
      const r = this.#d.runs.cancelByMessage(m.chatId, m.replyTo.messageId);
      if (r !== "none") return reply(r === "cancelling" ? "Cancelling that run." : "Removed that run from the queue.");
      return reply("Nothing is running for that message.");
    }
    const waiting =
      droppedWaiting > 0
        ? ` Dropped ${droppedWaiting} message${droppedWaiting > 1 ? "s" : ""} still waiting to be handled here.`
        : "";
    const runs = this.#d.runs.runsInChat(m.chatId);
    if (runs.length === 0) {
      const dropped = this.#d.cancelScheduled?.(m.chatId) ?? 0;
      if (dropped > 0) return reply(`Cancelled ${dropped} scheduled run${dropped > 1 ? "s" : ""} (/at).${waiting}`);
      return reply(waiting ? waiting.trimStart() : "Nothing is running in this chat.");
    }
    if (runs.length > 1) {
      return reply(
        `${runs.length} runs are active here. Reply <code>/cancel</code> to the progress message of the one to stop.${waiting}`,
      );
    }
    const r = this.#d.runs.cancelRun((runs[0] as { runId: number }).runId);
    return reply(`${r === "dropped" ? "Removed the queued run." : "Cancelling the run."}${waiting}`);
  }

  async #new(m: IncomingMessage): Promise<void> {
    let cancelled = 0;
    for (const r of this.#d.runs.runsInChat(m.chatId)) if (this.#d.runs.cancelRun(r.runId) !== "none") cancelled++;
    const cleared = this.#d.db.clearSessions(sessionScope(chatOriginOf(m)));
    const parts: string[] = [];
    if (cancelled) parts.push(`cancelled ${cancelled} run${cancelled > 1 ? "s" : ""}`);
    if (cleared) parts.push("cleared the stored sessions");
    const text = parts.length
      ? `🧹 ${parts.join(" and ")}. The next message starts fresh.`
      : "No stored sessions here — the next message starts fresh anyway.";
    return this.#reply(m, text);
  }

  async #agent(m: IncomingMessage, args: string): Promise<void> {
    const [sub, value] = args.split(/\s+/).filter(Boolean);
    const origin = chatOriginOf(m);
    const changer = this.#d.settings;
    if (!sub) {
      const known = changer.agent.known();
      return this.#reply(
        m,
        `Default engine here: ${changer.describe(origin, "agent")}.\nAvailable: ${known.map(escapeHtml).join(", ")}.\nChange it with <code>/agent set &lt;engine&gt;</code> or <code>/agent clear</code>.`,
      );
    }
    if ((sub !== "set" && sub !== "clear") || (sub === "set" && !value)) {
      return this.#reply(
        m,
        "Usage: <code>/agent</code>, <code>/agent set &lt;engine&gt;</code> or <code>/agent clear</code>.",
      );
    }
    const out = await changer.change({
      origin,
      userId: m.userId,
      key: "agent",
      value: sub === "clear" ? undefined : value,
    });
    return this.#reply(m, out.html);
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

/** ".cancel" (a phone keyboard's dot for a slash): the word, when the message is only that and a few words. */
function dottedCommand(text: string): string | undefined {
  const t = text.trim();
  if (t.includes("\n")) return undefined;
  const m = /^\.([A-Za-z_]{2,32})(?:\s+\S+){0,2}$/.exec(t);
  return m ? (m[1] as string).toLowerCase() : undefined;
}
