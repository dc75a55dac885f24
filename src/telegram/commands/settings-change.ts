// One way to change a chat setting, shared by the typed commands (/model, /reasoning, /planmode,
// /verbose, /listen, /approval, /agent) and the /config buttons: who may change it (group admins in
// groups; bot admins, with a second tap, for a value that lowers safety), the check of the value for
// the engine, the write, and the `settings.changed` log line.
import type { ChatSettingKey, ChatSettings, EngineSettingKey, SettingSource } from "../../core/chat-settings.ts";
import type { ChatOrigin } from "../../core/dispatch.ts";
import type { ButtonRows } from "../../core/transport.ts";
import { logger } from "../../log/logger.ts";
import { escapeHtml } from "../render.ts";
import { type ChatCommand, type CommandKit, chatOriginOf } from "./types.ts";

/** `agent`: the chat's default engine (kv `agentKey`, what /agent sets). */
export type ChangeKey = EngineSettingKey | ChatSettingKey | "agent";

/** How long a "Confirm" button for a value that lowers safety stays valid. */
export const CONFIRM_TTL_MS = 60_000;

export interface AgentStore {
  own(origin: ChatOrigin): string | undefined;
  set(origin: ChatOrigin, engine: string | undefined): void;
  /** The chat's engine now: /agent, else the project's default_engine, else the config's. */
  effective(origin: ChatOrigin): { value: string; source: SettingSource };
  known(): string[];
  /** How to install the engine's CLI, or undefined when it is installed. */
  missing(engine: string): string | undefined;
}

export interface SettingsDeps {
  settings: ChatSettings;
  agent: AgentStore;
  kit: CommandKit;
  /** Injected for tests of the 60 s confirmation. */
  now?: () => number;
}

export interface ChangeRequest {
  origin: ChatOrigin;
  userId: number | undefined;
  key: ChangeKey;
  /** The engine the setting belongs to (model, reasoning, permission). */
  engine?: string;
  /** undefined: clear the chat's own value. */
  value: string | undefined;
}

export type ChangeOutcome =
  | { kind: "done"; html: string }
  | { kind: "refused"; html: string }
  /** A value that lowers safety: the change waits for `confirm(token)` within 60 s. */
  | { kind: "confirm"; html: string; token: string };

export const SOURCE_LABEL: Record<SettingSource, string> = {
  chat: "set in this chat",
  project: "from the project",
  config: "from the config",
  default: "the CLI's default",
};

export const KEY_LABEL: Record<ChangeKey, string> = {
  agent: "Engine",
  model: "Model",
  reasoning: "Reasoning",
  permission: "Permission mode",
  verbose: "Verbose progress",
  listen: "Listen",
};

interface Pending {
  req: ChangeRequest;
  expiresAt: number;
}

export class SettingsChanger {
  readonly #d: SettingsDeps;
  readonly #pending = new Map<string, Pending>();
  #seq = 0;

  constructor(d: SettingsDeps) {
    this.#d = d;
  }

  get settings(): ChatSettings {
    return this.#d.settings;
  }

  get agent(): AgentStore {
    return this.#d.agent;
  }

  #now(): number {
    return (this.#d.now ?? Date.now)();
  }

  /** The effective value and its source, for replies and the /config rows. */
  effective(origin: ChatOrigin, key: ChangeKey, engine?: string): { value: string | undefined; source: SettingSource } {
    if (key === "agent") return this.#d.agent.effective(origin);
    return this.#d.settings.effective(origin, key, engine);
  }

  /** "<b>sonnet</b> (set in this chat)". */
  describe(origin: ChatOrigin, key: ChangeKey, engine?: string): string {
    const e = this.effective(origin, key, engine);
    return `<b>${escapeHtml(e.value ?? "not set")}</b> (${SOURCE_LABEL[e.source]})`;
  }

  async change(req: ChangeRequest): Promise<ChangeOutcome> {
    const { origin } = req;
    if (
      origin.chatType !== "private" &&
      !(await this.#d.kit.mayChangeChat(origin.chatId, origin.chatType, req.userId))
    ) {
      return { kind: "refused", html: "Only the group's admins can change this chat's settings." };
    }
    let value = req.value;
    if (value !== undefined) {
      if (req.key === "agent") {
        const engine = value.toLowerCase();
        const known = this.#d.agent.known();
        if (!known.includes(engine))
          return {
            kind: "refused",
            html: `Unknown engine <b>${escapeHtml(engine.slice(0, 32))}</b>. Available: ${known.map(escapeHtml).join(", ")}.`,
          };
        const hint = this.#d.agent.missing(engine);
        if (hint !== undefined)
          return {
            kind: "refused",
            html: `<b>${escapeHtml(engine)}</b> is not installed on this server. Install it with <code>${escapeHtml(hint)}</code>, then try again.`,
          };
        value = engine;
      } else {
        const checked = this.#d.settings.check(req.key, req.engine, value);
        if (!checked.ok) return { kind: "refused", html: `⚠️ ${escapeHtml(checked.message)}.` };
        value = checked.value;
      }
    }
    const next = { ...req, value };
    if (req.key !== "agent" && this.#d.settings.lowersSafety(req.key, req.engine, value)) {
      if (!this.#d.kit.isBotAdmin(req.userId))
        return {
          kind: "refused",
          html: `🚫 <b>${escapeHtml(value ?? "")}</b> lowers safety: only the bot's admins (<code>transports.telegram.admin_user_ids</code>) may choose it.`,
        };
      const token = this.#remember(next);
      return {
        kind: "confirm",
        token,
        html: `⚠️ <b>${escapeHtml(value ?? "")}</b> for ${escapeHtml(req.engine ?? "")} lowers safety: the agent's tools run without asking. Tap Confirm within 60 s to apply it.`,
      };
    }
    return { kind: "done", html: this.#apply(next) };
  }

  /** The second tap: applies the remembered change when the same user confirms within 60 s. */
  confirm(token: string, userId: number | undefined): ChangeOutcome {
    const p = this.#pending.get(token);
    this.#pending.delete(token);
    if (p === undefined || p.req.userId !== userId)
      return { kind: "refused", html: "This confirmation is not waiting any more; choose the setting again." };
    if (this.#now() > p.expiresAt)
      return { kind: "refused", html: "The confirmation expired (valid 60 s); choose the setting again." };
    if (!this.#d.kit.isBotAdmin(userId))
      return { kind: "refused", html: "Only the bot's admins may choose a setting that lowers safety." };
    return { kind: "done", html: this.#apply(p.req) };
  }

  #remember(req: ChangeRequest): string {
    const now = this.#now();
    for (const [k, p] of this.#pending) if (now > p.expiresAt) this.#pending.delete(k);
    this.#seq += 1;
    const token = `${this.#seq.toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
    this.#pending.set(token, { req, expiresAt: now + CONFIRM_TTL_MS });
    return token;
  }

  #apply(req: ChangeRequest): string {
    const { origin, key, engine, value } = req;
    let old: string | undefined;
    if (key === "agent") {
      old = this.#d.agent.own(origin);
      this.#d.agent.set(origin, value);
    } else {
      old = this.#d.settings.set(origin, key, engine, value);
    }
    logger().info(
      {
        user_id: req.userId,
        chat_id: origin.chatId,
        ...(origin.threadId === undefined ? {} : { thread_id: origin.threadId }),
        key: key === "agent" || key === "verbose" || key === "listen" ? key : `${key}.${engine ?? ""}`,
        old: old ?? null,
        new: value ?? null,
      },
      "settings.changed",
    );
    const what = `${KEY_LABEL[key]}${engine && key !== "agent" && key !== "verbose" && key !== "listen" ? ` for ${escapeHtml(engine)}` : ""}`;
    return value === undefined
      ? `${what} cleared here: now ${this.describe(origin, key, engine)}.`
      : `${what} here is now <b>${escapeHtml(value)}</b>.`;
  }
}

/** callback_data of the second tap; handled by the /config route. */
export const CONFIRM_PREFIX = "cfg:ok:";

export function confirmButtons(token: string): ButtonRows {
  return [[{ text: "Confirm — valid 60 s", data: `${CONFIRM_PREFIX}${token}` }]];
}

export type ParsedArgs = { show: true } | { clear: true } | { value: string } | { error: string };

export interface SettingCommandSpec {
  name: string;
  usage: string;
  summary: string;
  key: ChangeKey;
  /** The setting belongs to the chat's engine (model, reasoning, permission). */
  perEngine: boolean;
  parse(args: string): ParsedArgs;
  /** Why the command does not apply to the chat's engine (e.g. /planmode with Codex). */
  notFor?(engine: string): string | undefined;
  /** What the engine accepts, listed when the setting is shown. */
  choices?(engine: string | undefined): readonly string[] | undefined;
}

/** A typed command over one setting: no argument shows it, `clear` removes the chat's value. */
export function settingCommand(changer: SettingsChanger, kit: CommandKit, spec: SettingCommandSpec): ChatCommand {
  return {
    name: spec.name,
    usage: spec.usage,
    summary: spec.summary,
    async run({ m, args, chat }) {
      const reply = (html: string, buttons?: ButtonRows) =>
        kit.reply(chat, html, { replyTo: m.messageId, ...(buttons ? { buttons } : {}) });
      const origin = chatOriginOf(m);
      const engine = spec.perEngine ? changer.agent.effective(origin).value : undefined;
      const guard = engine === undefined ? undefined : spec.notFor?.(engine);
      if (guard !== undefined) {
        await reply(guard);
        return;
      }
      const parsed = spec.parse(args.trim());
      const label = `${KEY_LABEL[spec.key]}${engine === undefined ? "" : ` for <b>${escapeHtml(engine)}</b>`}`;
      if ("error" in parsed) {
        await reply(`${parsed.error}\nUsage: <code>${escapeHtml(spec.usage)}</code>`);
        return;
      }
      if ("show" in parsed) {
        const choices = spec.choices?.(engine);
        const listed = choices === undefined ? "" : `\nChoices: ${choices.map(escapeHtml).join(", ")}.`;
        await reply(
          `${label} here: ${changer.describe(origin, spec.key, engine)}.${listed}\nUsage: <code>${escapeHtml(spec.usage)}</code>`,
        );
        return;
      }
      const out = await changer.change({
        origin,
        userId: m.userId,
        key: spec.key,
        ...(engine === undefined ? {} : { engine }),
        value: "clear" in parsed ? undefined : parsed.value,
      });
      await reply(out.html, out.kind === "confirm" ? confirmButtons(out.token) : undefined);
    },
  };
}

/** `word` → set it; `clear` → clear; nothing → show. */
export function simpleArgs(args: string): ParsedArgs {
  if (args === "") return { show: true };
  if (args.toLowerCase() === "clear") return { clear: true };
  if (/\s/.test(args)) return { error: "One value, please." };
  return { value: args };
}
