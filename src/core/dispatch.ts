// One run dispatch: a chat message, a reply, `/continue`, `/at`, a webhook or a cron becomes a
// RunRequest here, over the live config, with one precedence for the engine:
//   directive (or the trigger's own engine) → the replied run → chat (`/agent`) → project
//   `default_engine` → `default_engine`
// and for the project: directive → the replied run → the topic's or chat's `/ctx` binding (with its
// @branch) → the project whose chat_id this is → `default_project`.
// A reply continues the replied run's session in the directory it ran in (project, `@branch`
// worktree), found by message id in the state database; parsing the resume line back is only the
// fallback for messages of runs the database does not know.
import type { ResumeToken } from "../engines/events.ts";
import { unattendedMode } from "../engines/permissions.ts";
import { findResumeToken } from "../engines/registry.ts";
import type { EngineDefinition, PromptImage } from "../engines/types.ts";
import { logger } from "../log/logger.ts";
import type { RunContext, StateDb } from "../state/db.ts";
import { type ContextBinding, ContextBindings } from "./bindings.ts";
import type { ChatSettings } from "./chat-settings.ts";
import { DirectiveError, parseDirectives } from "./directives.ts";
import { isUnattended, type RunSource, sourceLabel } from "./run-source.ts";
import type { RunRequest } from "./runs.ts";
import type { ChatRef } from "./transport.ts";
import { resolveWorktree, WorktreeError } from "./worktrees.ts";

export interface ProjectSettings {
  path: string;
  defaultEngine?: string;
  chatId?: number;
  /** `worktrees_dir` (relative to path unless absolute) and `worktree_base`, for `@branch` runs. */
  worktreesDir?: string;
  worktreeBase?: string;
}

/** What dispatch reads from the live config, on every call. */
export interface DispatchSettings {
  defaultEngine: string;
  defaultProject?: string;
  sessionMode: "chat" | "stateless";
  defaultCwd: string;
  projects: ReadonlyMap<string, ProjectSettings>;
}

export interface DispatchDeps {
  settings(): DispatchSettings;
  engines: ReadonlyMap<string, EngineDefinition>;
  db: StateDb;
  /** Environment for git when creating `@branch` worktrees (see core/worktrees.ts gitEnv). */
  gitEnv: Record<string, string>;
  /** True while the run is queued or running in this process. */
  isActive(runId: number): boolean;
  /** The bot's @username: "@bot fix it" is addressed to the bot, not an @branch directive. */
  botUsername?: () => string | undefined;
  /** The chat's /model, /reasoning, /planmode (approval) and /verbose (core/chat-settings.ts). */
  chatSettings?: Pick<ChatSettings, "forRun">;
}

/** Where a request comes from in Telegram terms (kept small: core never imports telegram/). */
export interface ChatOrigin {
  chatId: number;
  threadId?: number;
  chatType?: string;
  userId?: number;
}

export interface RepliedMessage {
  messageId: number;
  text: string;
  fromBot: boolean;
}

export interface DispatchInput {
  source: RunSource;
  origin: ChatOrigin;
  /** The task as typed (directives on its first line are honoured for chat and /at), or a trigger's prompt. */
  text: string;
  /** The message the progress and answer reply to. */
  replyTo?: number;
  replied?: RepliedMessage;
  /** Choices fixed before: a trigger's config, or what `/at` froze when it was scheduled. */
  fixed?: { engine?: string; project?: string; branch?: string };
  /** `/continue`: the engine's newest session in the directory. */
  continueNewest?: boolean;
  permissionMode?: string;
  model?: string;
  /** Who asked (a chat message's sender, the user who scheduled an /at). */
  userId?: number;
  /** Images sent with the prompt (a photo's caption run), for engines that take them. */
  images?: readonly PromptImage[];
}

/** The engine, project and branch a request resolves to, before any directory is created. */
export interface DispatchTarget {
  engine: string;
  project?: string;
  branch?: string;
  prompt: string;
  resume?: ResumeToken;
  follows?: number;
  /** The run being continued, when the request replied to one the database knows. */
  replied?: RunContext;
}

export type DispatchResult = { ok: true; request: RunRequest } | { ok: false; message: string };
export type TargetResult = { ok: true; target: DispatchTarget } | { ok: false; message: string };

/** The kv key of a chat's (or topic's) `/agent` choice. */
export function agentKey(origin: Pick<ChatOrigin, "chatId" | "threadId">): string {
  return origin.threadId === undefined ? `agent:${origin.chatId}` : `agent:${origin.chatId}:${origin.threadId}`;
}

/** Session scope: per chat in private chats, per sender in groups, per topic in forums. */
export function sessionScope(origin: ChatOrigin): string {
  if (origin.threadId !== undefined) return `chat:${origin.chatId}:topic:${origin.threadId}`;
  if (origin.chatType === "private" || origin.userId === undefined) return `chat:${origin.chatId}`;
  return `chat:${origin.chatId}:user:${origin.userId}`;
}

/** "@my_bot fix it" → "fix it" (in groups people address the bot by name). */
export function withoutMention(text: string, botUsername: string | undefined): string {
  if (!botUsername) return text;
  const m = /^\s*@([A-Za-z0-9_]+)(?=\s|$)/.exec(text);
  return m && m[1]?.toLowerCase() === botUsername.toLowerCase() ? text.slice(m[0].length).trimStart() : text;
}

export class RunDispatch {
  constructor(private readonly d: DispatchDeps) {}

  /** The chat's engine when nothing in the message picks one: `/agent` → project → config. */
  chatEngine(origin: ChatOrigin, project: string | undefined): string {
    const s = this.d.settings();
    const chosen = this.d.db.getKv(agentKey(origin));
    if (chosen && this.d.engines.has(chosen)) return chosen;
    return this.projectDefaultEngine(project) ?? s.defaultEngine;
  }

  /** The project's `default_engine`, when it names an available engine. */
  projectDefaultEngine(project: string | undefined): string | undefined {
    const p = project === undefined ? undefined : this.d.settings().projects.get(project);
    return p?.defaultEngine && this.d.engines.has(p.defaultEngine) ? p.defaultEngine : undefined;
  }

  /** The `/ctx` or `/topic` binding that applies here, if its project is still configured. */
  binding(origin: Pick<ChatOrigin, "chatId" | "threadId">): ContextBinding | undefined {
    const b = new ContextBindings(this.d.db).effective(origin);
    return b !== undefined && this.d.settings().projects.has(b.project) ? b : undefined;
  }

  /** Configured project names (each is also a `/<project>` directive). */
  projectNames(): string[] {
    return [...this.d.settings().projects.keys()];
  }

  /** The project a chat works in when the message names none: the one bound to it, else the default. */
  chatProject(origin: ChatOrigin): string | undefined {
    const s = this.d.settings();
    const bound = this.binding(origin);
    if (bound !== undefined) return bound.project;
    return [...s.projects.entries()].find(([, p]) => p.chatId === origin.chatId)?.[0] ?? s.defaultProject;
  }

  /** The directory of the chat's project (or the default directory). */
  projectCwd(origin: ChatOrigin): string {
    const s = this.d.settings();
    const name = this.chatProject(origin);
    return (name === undefined ? undefined : s.projects.get(name)?.path) ?? s.defaultCwd;
  }

  /** Where file transfer works here: the bound @branch worktree (created on first use), else the project. */
  async placeCwd(origin: ChatOrigin): Promise<{ ok: true; cwd: string } | { ok: false; message: string }> {
    const b = this.binding(origin);
    if (b?.branch === undefined) return { ok: true, cwd: this.projectCwd(origin) };
    const wt = await this.worktree(origin, b.project, b.branch);
    return wt.ok ? { ok: true, cwd: wt.cwd } : wt;
  }

  /** Engine, project, branch and session of a request, without touching the disk. */
  target(input: DispatchInput): TargetResult {
    const s = this.d.settings();
    const trusted = !isUnattended(input.source) || input.source.kind === "at";
    let prompt = input.text;
    let directives: { engine?: string; project?: string; branch?: string } = {};
    if (trusted && input.fixed === undefined) {
      try {
        const parsed = parseDirectives(
          withoutMention(input.text, this.d.botUsername?.()),
          new Set(this.d.engines.keys()),
          new Set(s.projects.keys()),
        );
        directives = parsed;
        prompt = parsed.prompt;
      } catch (e) {
        if (e instanceof DirectiveError) return { ok: false, message: e.message };
        throw e;
      }
    }
    const pick = { ...directives, ...input.fixed };
    if (pick.project !== undefined) pick.project = pick.project.toLowerCase();
    if (pick.project !== undefined && !s.projects.has(pick.project)) {
      return {
        ok: false,
        message: `unknown project '${pick.project}'; check the trigger's project and [projects] in the config`,
      };
    }

    // The run the user replied to: by message id first, then (older messages, pasted lines) by text.
    const replied = input.replied ? this.d.db.runByMessage(input.origin.chatId, input.replied.messageId) : undefined;
    let token: ResumeToken | undefined;
    if (trusted && !input.continueNewest) {
      token = findResumeToken(prompt, this.d.engines);
      // Only the bot's own messages carry resume lines we act on: a stranger's message in a group
      // could name any session.
      if (token === undefined && replied === undefined && input.replied?.fromBot)
        token = findResumeToken(input.replied.text, this.d.engines);
    }

    // A reply stays where the replied run ran, unless the message names another project.
    if (pick.project === undefined && replied?.project !== undefined && !s.projects.has(replied.project)) {
      return {
        ok: false,
        message: `the project '${replied.project}' of that run is no longer in the config; name a project to start a new run`,
      };
    }
    const project = pick.project ?? (replied !== undefined ? replied.project : this.chatProject(input.origin));
    const sameProjectAsReplied = replied !== undefined && project === replied.project;
    // The place's binding gives its @branch too, unless the message or the replied run chose the project.
    const bound = pick.project === undefined && replied === undefined ? this.binding(input.origin) : undefined;
    const branch = pick.branch ?? (sameProjectAsReplied ? replied?.branch : bound?.branch);
    const engine = pick.engine ?? token?.engine ?? replied?.engine ?? this.chatEngine(input.origin, project);
    if (!this.d.engines.has(engine)) {
      return {
        ok: false,
        message: `the engine '${engine}' is not available; check default_engine and run \`untether doctor\``,
      };
    }

    const target: DispatchTarget = {
      engine,
      prompt,
      ...(project === undefined ? {} : { project }),
      ...(branch === undefined ? {} : { branch }),
    };
    if (input.continueNewest) target.resume = { engine, value: "", isContinue: true };
    else if (token !== undefined && token.engine === engine) target.resume = token;
    else if (replied !== undefined && replied.engine === engine && sameProjectAsReplied && branch === replied.branch) {
      target.replied = replied;
      if (this.d.isActive(replied.runId)) target.follows = replied.runId;
      else if (replied.session !== undefined) target.resume = { engine, value: replied.session };
    }
    return { ok: true, target };
  }

  /** A request ready for the run manager, or why not (a message for the user). */
  async dispatch(input: DispatchInput): Promise<DispatchResult> {
    const t = this.target(input);
    if (!t.ok) return t;
    const { target } = t;
    const s = this.d.settings();
    const p = target.project === undefined ? undefined : s.projects.get(target.project);
    let cwd: string;
    if (target.branch !== undefined) {
      const wt = await this.worktree(input.origin, target.project, target.branch);
      if (!wt.ok) return wt;
      cwd = wt.cwd;
    } else if (p !== undefined) {
      cwd = p.path;
    } else {
      cwd = target.replied?.cwd ?? s.defaultCwd;
    }
    // The chat's own settings fill what the request does not fix (a cron's permission_mode wins).
    const own = this.d.chatSettings?.forRun(input.origin, target.engine, !isUnattended(input.source)) ?? {};
    const model = input.model ?? own.model;
    const permissionMode = this.#permissionMode(
      input.permissionMode === undefined && own.permissionMode !== undefined
        ? { ...input, permissionMode: own.permissionMode }
        : input,
      target.engine,
    );
    const chat: ChatRef =
      input.origin.threadId === undefined
        ? { chatId: input.origin.chatId }
        : { chatId: input.origin.chatId, threadId: input.origin.threadId };
    // Chat mode continues the conversation by itself; a conversation in a project or worktree is its own.
    const scoped =
      s.sessionMode === "chat" &&
      !isUnattended(input.source) &&
      !input.continueNewest &&
      target.resume === undefined &&
      target.follows === undefined;
    const request: RunRequest = {
      chat,
      ...(input.replyTo === undefined ? {} : { replyTo: input.replyTo }),
      prompt: target.prompt,
      engineId: target.engine,
      ...(target.resume === undefined ? {} : { resume: target.resume }),
      ...(target.follows === undefined ? {} : { follows: target.follows }),
      cwd,
      ...(target.project === undefined ? {} : { project: target.project }),
      ...(target.branch === undefined ? {} : { branch: target.branch }),
      source: input.source,
      ...(input.userId === undefined ? {} : { userId: input.userId }),
      ...(scoped ? { sessionScope: scopeFor(input.origin, target) } : {}),
      ...(model === undefined ? {} : { model }),
      ...(own.reasoning === undefined ? {} : { reasoning: own.reasoning }),
      ...(permissionMode === undefined ? {} : { permissionMode }),
      ...(own.verbose === undefined ? {} : { verbose: own.verbose }),
      ...(input.images === undefined || input.images.length === 0 ? {} : { images: input.images }),
    };
    return { ok: true, request };
  }

  /** Unattended runs never get a mode more permissive than the engine's config. */
  #permissionMode(input: DispatchInput, engineId: string): string | undefined {
    if (!isUnattended(input.source) || input.permissionMode === undefined) return input.permissionMode;
    const mode = unattendedMode(this.d.engines.get(engineId)?.permissions, input.permissionMode);
    if (mode !== input.permissionMode) {
      logger().warn(
        { source: sourceLabel(input.source), engine: engineId, requested: input.permissionMode },
        "run.permission_mode_refused",
      );
    }
    return mode;
  }

  /** The worktree of `branch` in a project (created on first use), or why not. */
  async worktree(
    origin: ChatOrigin,
    project: string | undefined,
    branch: string,
  ): Promise<{ ok: true; cwd: string; project: string } | { ok: false; message: string }> {
    const s = this.d.settings();
    const name = project ?? this.chatProject(origin);
    const p = name === undefined ? undefined : s.projects.get(name);
    if (name === undefined || p === undefined)
      return { ok: false, message: "@branch needs a project: start with /<project> or set default_project" };
    try {
      const cwd = await resolveWorktree(p.path, branch, {
        worktreesDir: p.worktreesDir ?? ".worktrees",
        worktreeBase: p.worktreeBase,
        env: this.d.gitEnv,
      });
      return { ok: true, cwd, project: name };
    } catch (e) {
      if (!(e instanceof WorktreeError)) throw e;
      logger().warn({ code: e.code, chat_id: origin.chatId, project: name }, "worktree.refused");
      return { ok: false, message: `@branch: ${e.message}` };
    }
  }
}

function scopeFor(origin: ChatOrigin, target: DispatchTarget): string {
  let scope = sessionScope(origin);
  if (target.project !== undefined) scope += `:project:${target.project}`;
  if (target.branch !== undefined) scope += `:branch:${target.branch}`;
  return scope;
}
