// Context bindings: a chat or forum topic tied to a project (and an @branch worktree) with `/ctx set` or
// `/topic`. A message there with no directive runs in that context; a topic falls back to its chat's.
// Stored in the state database, so they survive a restart.
import type { StateDb } from "../state/db.ts";
import { branchProblem } from "./worktrees.ts";

export interface ContextBinding {
  project: string;
  branch?: string;
}

type Place = { chatId: number; threadId?: number };

function keyOf(p: Place): string {
  return p.threadId === undefined ? `ctx:${p.chatId}` : `ctx:${p.chatId}:${p.threadId}`;
}

function parse(raw: string | undefined): ContextBinding | undefined {
  if (!raw) return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v !== "object" || v === null || !("project" in v) || typeof v.project !== "string") return undefined;
    const branch = "branch" in v && typeof v.branch === "string" ? v.branch : undefined;
    return branch === undefined ? { project: v.project } : { project: v.project, branch };
  } catch {
    return undefined;
  }
}

/** "web @feature-x": how a binding is shown, and the name of a topic bound to it. */
export function bindingLabel(b: ContextBinding): string {
  return b.branch === undefined ? b.project : `${b.project} @${b.branch}`;
}

/** "<project> [@branch]" as typed after /ctx set or /topic; a message for the user when malformed. */
export function parseBindingArgs(
  args: string,
  projects: readonly string[],
  fallbackProject?: string,
): { ok: true; binding: ContextBinding } | { ok: false; message: string } {
  const words = args.split(/\s+/).filter(Boolean);
  let project: string | undefined;
  let branch: string | undefined;
  for (const w of words) {
    if (w.startsWith("@")) {
      if (branch !== undefined) return { ok: false, message: "only one @branch" };
      branch = w.slice(1);
      const problem = branchProblem(branch);
      if (problem !== undefined) return { ok: false, message: `the branch name ${problem}` };
    } else {
      if (project !== undefined) return { ok: false, message: "only one project" };
      project = w.replace(/^\//, "").toLowerCase();
    }
  }
  project ??= fallbackProject;
  if (project === undefined) return { ok: false, message: "name a project" };
  if (!projects.includes(project)) {
    const known = projects.length ? projects.join(", ") : "none — add [projects.<alias>] to the config";
    return { ok: false, message: `unknown project '${project}' (projects: ${known})` };
  }
  return { ok: true, binding: branch === undefined ? { project } : { project, branch } };
}

export class ContextBindings {
  readonly #db: StateDb;

  constructor(db: StateDb) {
    this.#db = db;
  }

  /** The binding of exactly this place (a topic's own, or a chat's). */
  own(p: Place): ContextBinding | undefined {
    return parse(this.#db.getKv(keyOf(p)));
  }

  /** What applies here: the topic's own binding, else its chat's. */
  effective(p: Place): ContextBinding | undefined {
    return this.own(p) ?? (p.threadId === undefined ? undefined : this.own({ chatId: p.chatId }));
  }

  set(p: Place, b: ContextBinding): void {
    this.#db.setKv(keyOf(p), JSON.stringify(b));
  }

  clear(p: Place): boolean {
    const had = this.own(p) !== undefined;
    this.#db.setKv(keyOf(p), "");
    return had;
  }
}
