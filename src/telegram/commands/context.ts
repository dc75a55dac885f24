// `/ctx` and `/topic`: tie a chat or a forum topic to a project and @branch, so a message there with no
// directive runs in that context. Topics are created and renamed through the Bot API; a topic that is
// bound to nothing says how to bind it instead of running somewhere unexpected.
import { TelegramApiError } from "../../botapi/errors.ts";
import type { BotApiCall } from "../../botapi/types.ts";
import { bindingLabel, type ContextBinding, type ContextBindings, parseBindingArgs } from "../../core/bindings.ts";
import { parseDirectives } from "../../core/directives.ts";
import { logger } from "../../log/logger.ts";
import type { IncomingMessage } from "../incoming.ts";
import { escapeHtml } from "../render.ts";
import { type ChatCommand, type CommandKit, chatOf } from "./types.ts";

export interface ContextDeps {
  kit: CommandKit;
  call: BotApiCall;
  bindings: ContextBindings;
  projectNames(): string[];
  engineNames(): string[];
  /** The project whose `chat_id` this chat is, if any. */
  projectOfChat(chatId: number): string | undefined;
  defaultProject(): string | undefined;
  /** `topics.enabled` and the chats its scope makes forums. */
  topics(): { enabled: boolean; chats: readonly number[] };
}

const USAGE =
  "<code>/ctx</code> shows it, <code>/ctx set &lt;project&gt; [@branch]</code> binds, <code>/ctx clear</code> unbinds.";

function place(m: IncomingMessage) {
  return m.threadId === undefined ? { chatId: m.chatId } : { chatId: m.chatId, threadId: m.threadId };
}

const where = (m: IncomingMessage) => (m.threadId === undefined ? "this chat" : "this topic");

export function createContextCommand(d: ContextDeps): ChatCommand {
  const reply = (m: IncomingMessage, html: string) =>
    d.kit.reply(chatOf(m), html, { replyTo: m.messageId }).then(() => undefined);

  /** A topic's name follows its binding (a cleared binding keeps the last name). */
  async function rename(m: IncomingMessage, b: ContextBinding): Promise<void> {
    if (m.threadId === undefined || !d.topics().enabled) return;
    const name = bindingLabel(b);
    try {
      await d.call("editForumTopic", { chat_id: m.chatId, message_thread_id: m.threadId, name });
    } catch (e) {
      logger().warn({ chat_id: m.chatId, error: (e as Error).message }, "topic.rename_failed");
    }
  }

  return {
    name: "ctx",
    usage: "/ctx [set <project> [@branch]|clear]",
    summary: "show or bind the project (and @branch) this chat or topic runs in",
    async run({ m, args }) {
      const [sub, ...rest] = args.split(/\s+/).filter(Boolean);
      const here = place(m);
      if (!sub) {
        const own = d.bindings.own(here);
        const inherited = own ?? (m.threadId === undefined ? undefined : d.bindings.own({ chatId: m.chatId }));
        const fromChat = d.projectOfChat(m.chatId);
        const shown = inherited
          ? `<b>${escapeHtml(bindingLabel(inherited))}</b> (${own ? `bound to ${where(m)}` : "bound to the chat"})`
          : fromChat
            ? `<b>${escapeHtml(fromChat)}</b> (this chat's project in the config)`
            : d.defaultProject()
              ? `<b>${escapeHtml(d.defaultProject() ?? "")}</b> (default_project)`
              : "no project (the default directory)";
        return reply(m, `Context of ${where(m)}: ${shown}.\n${USAGE}`);
      }
      if (sub !== "set" && sub !== "clear") return reply(m, `Usage: ${USAGE}`);
      if (!(await d.kit.mayChangeChat(m.chatId, m.chatType, m.userId)))
        return reply(m, "Only the group's admins can change what this chat runs in.");
      const old = d.bindings.own(here);
      if (sub === "clear") {
        d.bindings.clear(here);
        logger().info(
          { user_id: m.userId, chat_id: m.chatId, key: "ctx", old: old ? bindingLabel(old) : null, new: null },
          "settings.changed",
        );
        const What = m.threadId === undefined ? "This chat" : "This topic";
        return reply(
          m,
          old ? `Unbound ${where(m)} from <b>${escapeHtml(bindingLabel(old))}</b>.` : `${What} was not bound.`,
        );
      }
      const parsed = parseBindingArgs(rest.join(" "), d.projectNames());
      if (!parsed.ok) return reply(m, `⚠️ ${escapeHtml(parsed.message)}. ${USAGE}`);
      d.bindings.set(here, parsed.binding);
      logger().info(
        {
          user_id: m.userId,
          chat_id: m.chatId,
          key: "ctx",
          old: old ? bindingLabel(old) : null,
          new: bindingLabel(parsed.binding),
        },
        "settings.changed",
      );
      await rename(m, parsed.binding);
      return reply(
        m,
        `${where(m) === "this chat" ? "This chat" : "This topic"} now runs in <b>${escapeHtml(bindingLabel(parsed.binding))}</b>.`,
      );
    },
  };
}

export function createTopicCommand(d: ContextDeps): ChatCommand {
  const reply = (m: IncomingMessage, html: string) =>
    d.kit.reply(chatOf(m), html, { replyTo: m.messageId }).then(() => undefined);
  return {
    name: "topic",
    usage: "/topic <project> [@branch]",
    summary: "create a forum topic bound to a project and branch",
    async run({ m, args }) {
      const t = d.topics();
      if (!t.enabled)
        return reply(
          m,
          "Forum topics are off. Set <code>transports.telegram.topics.enabled = true</code> (the chat must be a forum where the bot may manage topics).",
        );
      if (!t.chats.includes(m.chatId))
        return reply(m, "This chat does not use topics (see <code>transports.telegram.topics.scope</code>).");
      if (!(await d.kit.mayChangeChat(m.chatId, m.chatType, m.userId)))
        return reply(m, "Only the group's admins can create topics here.");
      const parsed = parseBindingArgs(args, d.projectNames(), d.projectOfChat(m.chatId));
      if (!parsed.ok)
        return reply(m, `⚠️ ${escapeHtml(parsed.message)}. Usage: <code>/topic &lt;project&gt; [@branch]</code>`);
      const label = bindingLabel(parsed.binding);
      let threadId: number;
      try {
        threadId = (await d.call("createForumTopic", { chat_id: m.chatId, name: label })).message_thread_id;
      } catch (e) {
        const why = e instanceof TelegramApiError ? e.description : (e as Error).message;
        return reply(
          m,
          `⚠️ Could not create the topic: ${escapeHtml(why)}. The bot needs to be an admin with the Manage topics right.`,
        );
      }
      d.bindings.set({ chatId: m.chatId, threadId }, parsed.binding);
      logger().info(
        { user_id: m.userId, chat_id: m.chatId, thread_id: threadId, key: "ctx", old: null, new: label },
        "settings.changed",
      );
      await d.kit.reply(
        { chatId: m.chatId, threadId },
        `🧵 This topic runs in <b>${escapeHtml(label)}</b>, with its own sessions and settings. Send tasks here; <code>/ctx</code> shows or changes it.`,
      );
      return reply(m, `Created the topic <b>${escapeHtml(label)}</b>.`);
    },
  };
}

/**
 * In a topic of a forum that uses topics, bound to nothing (no own or chat binding, not a project's
 * chat): the hint to bind it, unless the message names a project or replies to the bot.
 */
export function unboundTopicHint(d: ContextDeps, m: IncomingMessage): string | undefined {
  if (m.threadId === undefined || m.replyTo?.fromBot) return undefined;
  const t = d.topics();
  if (!t.enabled || !t.chats.includes(m.chatId)) return undefined;
  if (d.bindings.effective(place(m)) || d.projectOfChat(m.chatId) !== undefined) return undefined;
  try {
    if (parseDirectives(m.text, new Set(d.engineNames()), new Set(d.projectNames())).project) return undefined;
  } catch {
    return undefined; // dispatch explains a malformed directive
  }
  return "This topic isn't bound to a project yet: <code>/ctx set &lt;project&gt; [@branch]</code> binds it, or start the message with <code>/&lt;project&gt;</code>. <code>/topic &lt;project&gt; [@branch]</code> creates a new bound topic.";
}
