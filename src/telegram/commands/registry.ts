// The one list of chat commands: dispatch by name, button presses by prefix, /help, the Telegram
// command menu and the "did you mean" hint all read it.

import type { IncomingCallback } from "../incoming.ts";
import { escapeHtml } from "../render.ts";
import { nearest } from "./suggest.ts";
import type { CallbackRoute, ChatCommand } from "./types.ts";

/** Telegram: 1–32 characters, lowercase letters, digits and underscores. */
const COMMAND_NAME_RE = /^[a-z0-9_]{1,32}$/;

export class CommandRegistry {
  #commands = new Map<string, ChatCommand>();
  #routes = new Map<string, CallbackRoute>();

  add(...commands: ChatCommand[]): this {
    for (const c of commands) {
      if (!COMMAND_NAME_RE.test(c.name)) throw new Error(`invalid command name '${c.name}'`);
      if (this.#commands.has(c.name)) throw new Error(`command /${c.name} registered twice`);
      this.#commands.set(c.name, c);
    }
    return this;
  }

  route(...routes: CallbackRoute[]): this {
    for (const r of routes) {
      if (r.prefix.includes(":")) throw new Error(`callback prefix '${r.prefix}' must not contain ':'`);
      if (this.#routes.has(r.prefix)) throw new Error(`callback prefix '${r.prefix}' registered twice`);
      this.#routes.set(r.prefix, r);
    }
    return this;
  }

  get(name: string): ChatCommand | undefined {
    return this.#commands.get(name);
  }

  names(): string[] {
    return [...this.#commands.keys()];
  }

  /** The route for a button's callback_data and the part after its prefix, if one is registered. */
  callbackRoute(q: IncomingCallback): { route: CallbackRoute; rest: string } | undefined {
    const i = q.data.indexOf(":");
    if (i <= 0) return undefined;
    const route = this.#routes.get(q.data.slice(0, i));
    return route ? { route, rest: q.data.slice(i + 1) } : undefined;
  }

  /** The nearest command name to a mistyped one. */
  suggest(word: string): string | undefined {
    return nearest(word, this.#commands.keys());
  }

  /** For setMyCommands: listed commands in registration order. */
  menu(): { command: string; description: string }[] {
    return [...this.#commands.values()]
      .filter((c) => !c.unlisted)
      .map((c) => ({ command: c.name, description: c.summary.slice(0, 256) }));
  }

  /** /help lines: "<code>usage</code> — summary". */
  helpLines(): string[] {
    return [...this.#commands.values()].map((c) => `<code>${escapeHtml(c.usage)}</code> — ${escapeHtml(c.summary)}`);
  }
}
