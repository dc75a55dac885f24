// Per-chat (per-topic in forums) settings: the chat's model, reasoning level and permission/approval
// mode for each engine, progress verbosity and listen mode. Stored in the state database; each
// setting's effective value says where it comes from — the chat, the project, or the config (or the
// CLI's own default when nothing sets it). Dispatch reads `forRun` for every run in the chat.
import { CLAUDE_PERMISSION_MODES, type Config } from "../config/schema.ts";
import type { EngineDefinition } from "../engines/types.ts";
import type { StateDb } from "../state/db.ts";
import type { ChatOrigin } from "./dispatch.ts";

/** Settings kept per engine (the chat's /model for Claude is not Codex's) and settings of the chat. */
export type EngineSettingKey = "model" | "reasoning" | "permission";
export type ChatSettingKey = "verbose" | "listen";
export type SettingKey = EngineSettingKey | ChatSettingKey;

export type SettingSource = "chat" | "project" | "config" | "default";

export interface Effective {
  /** undefined: nothing sets it (the CLI's own default). */
  value: string | undefined;
  source: SettingSource;
}

export const LISTEN_MODES = ["all", "mentions"] as const;
export const VERBOSE_VALUES = ["on", "off"] as const;

/**
 * The per-chat permission values each engine takes. Claude: its permission modes (`auto` = plan, then
 * proceed without asking). Codex: `safe` (`--ask-for-approval untrusted`) or `full` (`never`, its
 * default). Gemini: `--approval-mode` (`plan` is read-only; `yolo` is its default headless).
 */
export const PERMISSION_VALUES: Readonly<Record<string, readonly string[]>> = {
  claude: CLAUDE_PERMISSION_MODES,
  codex: ["safe", "full"],
  gemini: ["plan", "default", "auto_edit", "yolo"],
};

/** Values that lower safety: only bot admins may choose them, with a second tap. */
export const UNSAFE_PERMISSION: Readonly<Record<string, readonly string[]>> = {
  claude: ["bypassPermissions"],
  codex: ["full"],
  gemini: ["yolo"],
};

/** Model names go on argv as one argument: letters, digits and `._:/[]@-`, never a leading dash. */
const MODEL_RE = /^[A-Za-z0-9][A-Za-z0-9._:/@[\]-]{0,99}$/;

export type Checked = { ok: true; value: string } | { ok: false; message: string };

/** The storage scope of a chat's settings: the chat, or the topic in a forum. */
export function settingsScope(origin: Pick<ChatOrigin, "chatId" | "threadId">): string {
  return origin.threadId === undefined ? `chat:${origin.chatId}` : `chat:${origin.chatId}:topic:${origin.threadId}`;
}

function storageKey(key: SettingKey, engine: string | undefined): string {
  return key === "verbose" || key === "listen" ? key : `${key}.${engine ?? ""}`;
}

/** What a run in the chat gets from its settings. */
export interface RunSettings {
  model?: string;
  reasoning?: string;
  permissionMode?: string;
  verbose?: boolean;
}

export interface ChatSettingsDeps {
  db: StateDb;
  config: () => Config;
  engines: ReadonlyMap<string, EngineDefinition>;
}

export class ChatSettings {
  readonly #d: ChatSettingsDeps;

  constructor(d: ChatSettingsDeps) {
    this.#d = d;
  }

  /** The chat's own value (no fallback). */
  own(origin: Pick<ChatOrigin, "chatId" | "threadId">, key: SettingKey, engine?: string): string | undefined {
    return this.#d.db.getChatSetting(settingsScope(origin), storageKey(key, engine));
  }

  /** Stores (or with `undefined` removes) the chat's value; returns the previous own value. */
  set(
    origin: Pick<ChatOrigin, "chatId" | "threadId">,
    key: SettingKey,
    engine: string | undefined,
    value: string | undefined,
  ): string | undefined {
    const old = this.own(origin, key, engine);
    this.#d.db.setChatSetting(settingsScope(origin), storageKey(key, engine), value);
    return old;
  }

  /** The value a run would use, and where it comes from. */
  effective(origin: Pick<ChatOrigin, "chatId" | "threadId">, key: SettingKey, engine?: string): Effective {
    const own = this.own(origin, key, engine);
    if (own !== undefined) return { value: own, source: "chat" };
    const c = this.#d.config();
    switch (key) {
      case "verbose":
        return { value: c.progress.verbosity === "verbose" ? "on" : "off", source: "config" };
      case "listen":
        return { value: "all", source: "default" };
      case "reasoning":
        return { value: undefined, source: "default" };
      case "model": {
        const t = engine === undefined ? undefined : engineTable(c, engine);
        const configured = engine === "amp" ? c.engines.amp?.mode : t?.model;
        return configured === undefined
          ? { value: undefined, source: "default" }
          : { value: configured, source: "config" };
      }
      case "permission": {
        if (engine === "claude") {
          const m = c.engines.claude?.permission_mode;
          return m === undefined ? { value: "default", source: "default" } : { value: m, source: "config" };
        }
        if (engine === "codex") return { value: "full", source: "default" };
        if (engine === "gemini") return { value: "yolo", source: "default" };
        return { value: undefined, source: "default" };
      }
    }
  }

  /** Checks a value for an engine; the refusal names what the engine accepts. */
  check(key: SettingKey, engine: string | undefined, raw: string): Checked {
    const value = raw.trim();
    const def = engine === undefined ? undefined : this.#d.engines.get(engine);
    const list = (xs: readonly string[]) => xs.join(", ");
    switch (key) {
      case "verbose":
        return oneOf(value.toLowerCase(), VERBOSE_VALUES, "verbose");
      case "listen":
        return oneOf(value.toLowerCase(), LISTEN_MODES, "listen");
      case "model": {
        if (def?.modelChoices !== undefined) return oneOf(value.toLowerCase(), def.modelChoices, `${engine} model`);
        if (!MODEL_RE.test(value))
          return {
            ok: false,
            message: "a model name is letters, digits and . _ : / [ ] @ - (at most 100, not starting with -)",
          };
        return { ok: true, value };
      }
      case "reasoning": {
        const levels = def?.reasoningLevels;
        if (levels === undefined)
          return { ok: false, message: `${engine ?? "this engine"} has no reasoning flag; nothing to set` };
        return oneOf(value.toLowerCase(), levels, `${engine} reasoning`);
      }
      case "permission": {
        const values = engine === undefined ? undefined : PERMISSION_VALUES[engine];
        if (values === undefined)
          return { ok: false, message: `${engine ?? "this engine"} has no permission or approval modes to choose` };
        const found = values.find((v) => v.toLowerCase() === value.toLowerCase());
        return found
          ? { ok: true, value: found }
          : { ok: false, message: `unknown value; ${engine} takes ${list(values)}` };
      }
    }
  }

  /** Whether choosing `value` lowers safety (bot admins only, confirmed with a second tap). */
  lowersSafety(key: SettingKey, engine: string | undefined, value: string | undefined): boolean {
    return key === "permission" && value !== undefined && (UNSAFE_PERMISSION[engine ?? ""] ?? []).includes(value);
  }

  /**
   * What a run of `engine` in the chat gets. Permission modes apply only to runs someone watches:
   * a webhook, cron or /at run keeps the config's mode.
   */
  forRun(origin: Pick<ChatOrigin, "chatId" | "threadId">, engine: string, attended: boolean): RunSettings {
    const out: RunSettings = {};
    const model = this.own(origin, "model", engine);
    if (model !== undefined) out.model = model;
    const reasoning = this.own(origin, "reasoning", engine);
    if (reasoning !== undefined && this.#d.engines.get(engine)?.reasoningLevels?.includes(reasoning))
      out.reasoning = reasoning;
    const permission = attended ? this.own(origin, "permission", engine) : undefined;
    // Codex "full" is its default (`--ask-for-approval never`): no mode to pass.
    if (permission !== undefined && !(engine === "codex" && permission === "full")) out.permissionMode = permission;
    const verbose = this.own(origin, "verbose");
    if (verbose !== undefined) out.verbose = verbose === "on";
    return out;
  }

  listenMode(origin: Pick<ChatOrigin, "chatId" | "threadId">): "all" | "mentions" {
    return this.own(origin, "listen") === "mentions" ? "mentions" : "all";
  }
}

function oneOf(value: string, allowed: readonly string[], what: string): Checked {
  return allowed.includes(value)
    ? { ok: true, value }
    : { ok: false, message: `unknown ${what} '${value.slice(0, 40)}'; choose one of ${allowed.join(", ")}` };
}

function engineTable(c: Config, engine: string): { model?: string } | undefined {
  const tables: Readonly<Record<string, { model?: string } | undefined>> = c.engines;
  return tables[engine];
}
