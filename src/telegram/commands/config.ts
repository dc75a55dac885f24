// /config: one message with inline buttons over this chat's settings, edited in place. The home page
// lists every setting with its effective value and where it comes from (chat, project, config); a
// setting's page offers its values, "Clear" (back to the project's or config's) and Back. Callback
// data: `cfg:h` (home), `cfg:p:<k>` (page), `cfg:s:<k>:<value>` (set; empty value clears),
// `cfg:ok:<token>` (the second tap for a value that lowers safety), `cfg:t` (the triggers page) and
// `cfg:tp:<index>|*` (pause or resume one trigger, or all: bot admins only).
import type { Button, ButtonRows, MessageRef } from "../../core/transport.ts";
import type { IncomingCallback } from "../incoming.ts";
import { escapeHtml } from "../render.ts";
import {
  type ChangeKey,
  type ChangeOutcome,
  confirmButtons,
  KEY_LABEL,
  type SettingsChanger,
  SOURCE_LABEL,
} from "./settings-change.ts";
import { setTriggerPause, type TriggerControl, triggerLines } from "./trigger-list.ts";
import { type CallbackRoute, type ChatCommand, type CommandKit, chatOriginOf } from "./types.ts";

export const CONFIG_PREFIX = "cfg";

const CODES: Readonly<Record<string, ChangeKey>> = {
  a: "agent",
  m: "model",
  r: "reasoning",
  p: "permission",
  v: "verbose",
  l: "listen",
};
const CODE_OF: Readonly<Record<ChangeKey, string>> = {
  agent: "a",
  model: "m",
  reasoning: "r",
  permission: "p",
  verbose: "v",
  listen: "l",
};

const PER_ENGINE = new Set<ChangeKey>(["model", "reasoning", "permission"]);

export interface ConfigMenuDeps {
  changer: SettingsChanger;
  kit: CommandKit;
  /** Values a setting's page offers for an engine; undefined: nothing to tap (e.g. model names). */
  choices(key: ChangeKey, engine: string): readonly string[] | undefined;
  /** The configured webhooks and crons, to pause and resume here. */
  triggers?: TriggerControl;
  now(): number;
}

type Where = { chatId: number; chatType?: string; threadId?: number; userId?: number };

export function createConfigMenu(deps: ConfigMenuDeps): { command: ChatCommand; route: CallbackRoute } {
  const { changer, kit } = deps;
  const btn = (text: string, data: string): Button => ({ text, data: `${CONFIG_PREFIX}:${data}` });
  const back: Button[] = [btn("⬅ Back", "h")];

  const engineOf = (w: Where) => changer.agent.effective(chatOriginOf(w)).value;

  const home = (w: Where, note?: string): { html: string; buttons: ButtonRows } => {
    const o = chatOriginOf(w);
    const engine = engineOf(w);
    const lines = [`⚙️ <b>Settings here</b> (engine <b>${escapeHtml(engine)}</b>)`, ""];
    const rows: ButtonRows = [];
    for (const key of Object.keys(CODE_OF) as ChangeKey[]) {
      const e = changer.effective(o, key, PER_ENGINE.has(key) ? engine : undefined);
      const label = pageTitle(key, engine);
      lines.push(`${label}: <b>${escapeHtml(e.value ?? "not set")}</b> — ${SOURCE_LABEL[e.source]}`);
      rows.push([btn(`${label}: ${e.value ?? "—"}`, `p:${CODE_OF[key]}`)]);
    }
    const t = deps.triggers?.list() ?? [];
    if (t.length > 0) {
      const paused = t.filter((x) => x.paused).length;
      lines.push(`Triggers: <b>${t.length}</b>${paused ? `, ${paused} paused` : ""}`);
      rows.push([btn(`Triggers: ${t.length}${paused ? ` (${paused} ⏸)` : ""}`, "t")]);
    }
    lines.push("", note ?? "Tap a setting to change it.");
    return { html: lines.join("\n"), buttons: rows };
  };

  const triggersPage = (c: TriggerControl, note?: string): { html: string; buttons: ButtonRows } => {
    const list = c.list();
    const rows: ButtonRows = list.map((t, i) => [btn(`${t.paused ? "▶️ Resume" : "⏸ Pause"} ${t.id}`, `tp:${i}`)]);
    rows.push([btn(c.allPaused() ? "▶️ Resume all" : "⏸ Pause all", "tp:*")], back);
    const lines = ["⚙️ <b>Triggers</b>", ...triggerLines(c, deps.now()), "", note ?? "Pausing is for the bot's admins."];
    return { html: lines.join("\n"), buttons: rows };
  };

  const page = (w: Where, key: ChangeKey, note?: string): { html: string; buttons: ButtonRows } => {
    const o = chatOriginOf(w);
    const engine = engineOf(w);
    const scoped = PER_ENGINE.has(key) ? engine : undefined;
    const lines = [`⚙️ <b>${escapeHtml(pageTitle(key, engine))}</b>`, `Now: ${changer.describe(o, key, scoped)}.`];
    const values = key === "agent" ? changer.agent.known() : deps.choices(key, engine);
    const rows: ButtonRows = [];
    if (values === undefined) {
      if (key === "model") lines.push("Send <code>/model &lt;name&gt;</code> to set one.");
      else lines.push(`${escapeHtml(engine)} has nothing to choose here.`);
    } else {
      const current = changer.effective(o, key, scoped).value;
      for (let i = 0; i < values.length; i += 3)
        rows.push(values.slice(i, i + 3).map((v) => btn(`${v === current ? "• " : ""}${v}`, `s:${CODE_OF[key]}:${v}`)));
    }
    rows.push([btn("Clear (use the default)", `s:${CODE_OF[key]}:`)], back);
    if (note) lines.push("", note);
    return { html: lines.join("\n"), buttons: rows };
  };

  const command: ChatCommand = {
    name: "config",
    usage: "/config",
    summary: "this chat's settings: engine, model, reasoning, permissions, verbose, listen",
    async run({ m, chat }) {
      const view = home(m);
      await kit.reply(chat, view.html, { replyTo: m.messageId, buttons: view.buttons });
    },
  };

  const route: CallbackRoute = {
    prefix: CONFIG_PREFIX,
    async handle(q: IncomingCallback, rest: string) {
      if (q.chatId === undefined || q.messageId === undefined) return kit.toast(q.callbackId, "This menu is gone.");
      const w: Where = {
        chatId: q.chatId,
        userId: q.userId,
        ...(q.chatType === undefined ? {} : { chatType: q.chatType }),
        ...(q.threadId === undefined ? {} : { threadId: q.threadId }),
      };
      const msg: MessageRef = {
        chatId: q.chatId,
        messageId: q.messageId,
        ...(q.threadId === undefined ? {} : { threadId: q.threadId }),
      };
      const [action, code, ...tail] = rest.split(":");
      const key = code === undefined ? undefined : CODES[code];
      const show = async (view: { html: string; buttons: ButtonRows }) => kit.edit(msg, view.html, view.buttons);
      if (action === "h") {
        await show(home(w));
        return kit.toast(q.callbackId, "");
      }
      if (action === "p" && key !== undefined) {
        await show(page(w, key));
        return kit.toast(q.callbackId, "");
      }
      const c = deps.triggers;
      if (action === "t" && c) {
        await show(triggersPage(c));
        return kit.toast(q.callbackId, "");
      }
      if (action === "tp" && c && code !== undefined) {
        if (!kit.isBotAdmin(q.userId))
          return kit.toast(
            q.callbackId,
            "Only the bot's admins (transports.telegram.admin_user_ids) can pause triggers.",
            true,
          );
        const all = code === "*";
        const target = all ? undefined : c.list()[Number(code)];
        if (!all && target === undefined) return kit.toast(q.callbackId, "That trigger is gone.");
        if (!all && c.allPaused()) return kit.toast(q.callbackId, "All triggers are paused: resume all first.", true);
        const pause = all ? !c.allPaused() : !target?.paused;
        const id = target?.id;
        setTriggerPause(c, id, pause, { userId: q.userId, chatId: q.chatId });
        const what = id === undefined ? "All triggers" : `<code>${escapeHtml(id)}</code>`;
        await show(triggersPage(c, `${what} ${pause ? "paused" : "resumed"}.`));
        return kit.toast(q.callbackId, pause ? "Paused." : "Resumed.");
      }
      if (action === "ok" && code !== undefined) {
        const out = changer.confirm(code, q.userId);
        return settle(out, undefined);
      }
      if (action === "s" && key !== undefined) {
        const value = tail.join(":");
        const engine = PER_ENGINE.has(key) ? engineOf(w) : undefined;
        const out = await changer.change({
          origin: chatOriginOf(w),
          userId: q.userId,
          key,
          ...(engine === undefined ? {} : { engine }),
          value: value === "" ? undefined : value,
        });
        return settle(out, key);
      }
      return kit.toast(q.callbackId, "This button is no longer active.");

      async function settle(out: ChangeOutcome, k: ChangeKey | undefined): Promise<void> {
        if (out.kind === "refused") return kit.toast(q.callbackId, stripTags(out.html).slice(0, 190), true);
        if (out.kind === "confirm") {
          await kit.edit(msg, out.html, [...confirmButtons(out.token), back]);
          return kit.toast(q.callbackId, "Needs a second tap.");
        }
        await show(k === undefined ? home(w, out.html) : page(w, k, out.html));
        return kit.toast(q.callbackId, "Saved.");
      }
    },
  };
  return { command, route };
}

function pageTitle(key: ChangeKey, engine: string): string {
  if (key === "permission") return `${engine === "claude" ? "Plan / permission mode" : "Approval policy"} (${engine})`;
  if (key === "model" || key === "reasoning") return `${KEY_LABEL[key]} (${engine})`;
  return KEY_LABEL[key];
}

function stripTags(html: string): string {
  return html
    .replace(/<[^>]+>/g, "")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}
