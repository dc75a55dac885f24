// `@branch` runs: the branch's git worktree under the project's worktrees root, created on first use.
// The branch name comes from a chat message, so it is validated before git sees it, always placed
// after `--` or as an option's value, and the resulting path must stay under the worktrees root.
import { existsSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { UntetherError } from "../errors.ts";
import { sanitizeForUser } from "../log/redact.ts";

export type WorktreeErrorCode =
  | "worktree.bad_branch"
  | "worktree.escape"
  | "worktree.not_a_worktree"
  | "worktree.no_base"
  | "worktree.git_failed";

export class WorktreeError extends UntetherError {
  declare readonly code: WorktreeErrorCode;
  constructor(code: WorktreeErrorCode, message: string) {
    super(code, message);
  }
}

export interface WorktreeOptions {
  /** `worktrees_dir`: relative to the project unless absolute. */
  worktreesDir: string;
  /** `worktree_base`: where new branches start; else the detected default branch. */
  worktreeBase?: string;
  /** Environment for git (PATH, HOME, GIT_*); see gitEnv(). */
  env: Record<string, string>;
}

export const MAX_BRANCH_LENGTH = 200;

/** The reason a branch name is refused, or undefined when it is acceptable (git check-ref-format, stricter). */
export function branchProblem(name: string): string | undefined {
  if (name === "") return "is empty";
  if (name.length > MAX_BRANCH_LENGTH) return `is longer than ${MAX_BRANCH_LENGTH} characters`;
  // Control characters, space, DEL and git's forbidden punctuation.
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return "contains a space, a control character or one of ~ ^ : ? * [ \\";
  if (name.startsWith("-")) return "starts with '-'";
  if (name.startsWith("/") || name.endsWith("/")) return "starts or ends with '/'";
  if (name.includes("..")) return "contains '..'";
  if (name.includes("@{") || name === "@") return "contains '@{' or is '@'";
  if (name.endsWith(".")) return "ends with '.'";
  if (name === "HEAD") return "is HEAD";
  for (const part of name.split("/")) {
    if (part === "") return "contains '//'";
    if (part.startsWith(".")) return "has a part starting with '.'";
    if (part.endsWith(".lock")) return "has a part ending with '.lock'";
  }
  return undefined;
}

export function validateBranch(raw: string): string {
  const name = raw.trim();
  const problem = branchProblem(name);
  if (problem !== undefined) {
    throw new WorktreeError(
      "worktree.bad_branch",
      `invalid branch name: it ${problem}. Use letters, digits, '-', '_', '.' and '/', e.g. @feature-x.`,
    );
  }
  return name;
}

/** The minimal environment git needs: no prompts (a hung credential prompt would block the run), stable messages. */
export function gitEnv(source: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = { PATH: source.PATH ?? "/usr/bin:/bin", LC_ALL: "C", GIT_TERMINAL_PROMPT: "0" };
  if (source.HOME) env.HOME = source.HOME;
  if (source.GIT_CONFIG_GLOBAL) env.GIT_CONFIG_GLOBAL = source.GIT_CONFIG_GLOBAL;
  return env;
}

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function git(args: string[], cwd: string, env: Record<string, string>): Promise<GitResult> {
  const proc = Bun.spawn(["git", ...args], {
    cwd,
    env: { ...env, GIT_TERMINAL_PROMPT: "0" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout: stdout.trim(), stderr: stderr.trim() };
}

async function gitOrThrow(what: string, args: string[], cwd: string, env: Record<string, string>): Promise<string> {
  const r = await git(args, cwd, env);
  if (r.code !== 0)
    throw new WorktreeError(
      "worktree.git_failed",
      `${what} failed: ${sanitizeForUser(r.stderr || `git exited with ${r.code}`, 400)}`,
    );
  return r.stdout;
}

async function refExists(ref: string, cwd: string, env: Record<string, string>): Promise<boolean> {
  return (await git(["show-ref", "--verify", "--quiet", ref], cwd, env)).code === 0;
}

function isUnder(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}

/** The deepest existing ancestor (or the path itself), resolved through symlinks. */
function realExisting(p: string): { real: string; rest: string } {
  let cur = p;
  while (!existsSync(cur)) {
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return { real: realpathSync(cur), rest: relative(cur, p) };
}

/** Worktrees git knows for the repository: absolute path → branch ref (or undefined when detached). */
async function listWorktrees(
  projectPath: string,
  env: Record<string, string>,
): Promise<Map<string, string | undefined>> {
  const out = await gitOrThrow("git worktree list", ["worktree", "list", "--porcelain"], projectPath, env);
  const map = new Map<string, string | undefined>();
  let current: string | undefined;
  for (const line of out.split("\n")) {
    if (line.startsWith("worktree ")) {
      const listed = line.slice("worktree ".length);
      // Compared with realpath()ed directories, so symlinked temp dirs (macOS /var) still match.
      current = existsSync(listed) ? realpathSync(listed) : listed;
      map.set(current, undefined);
    } else if (line.startsWith("branch ") && current !== undefined) {
      map.set(current, line.slice("branch ".length));
    }
  }
  return map;
}

async function defaultBase(projectPath: string, env: Record<string, string>): Promise<string | undefined> {
  const originHead = await git(["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"], projectPath, env);
  if (originHead.code === 0 && originHead.stdout !== "") return originHead.stdout;
  for (const name of ["main", "master"]) if (await refExists(`refs/heads/${name}`, projectPath, env)) return name;
  const head = await git(["symbolic-ref", "--quiet", "--short", "HEAD"], projectPath, env);
  if (head.code === 0 && head.stdout !== "" && (await refExists(`refs/heads/${head.stdout}`, projectPath, env)))
    return head.stdout;
  return undefined;
}

// One resolution at a time per repository: two messages for the same branch must not both run
// `git worktree add`, and git itself locks .git/config while creating branches.
const locks = new Map<string, Promise<unknown>>();

function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  const settled = next.catch(() => undefined);
  locks.set(key, settled);
  void settled.then(() => {
    if (locks.get(key) === settled) locks.delete(key);
  });
  return next;
}

/** The working directory for a run on `branch` of the project: the project itself or its worktree. */
export async function resolveWorktree(projectPath: string, branch: string, opts: WorktreeOptions): Promise<string> {
  const name = validateBranch(branch);
  const project = resolve(projectPath);
  return withLock(project, () => resolveLocked(project, name, opts));
}

async function resolveLocked(project: string, branch: string, opts: WorktreeOptions): Promise<string> {
  const { env } = opts;
  const current = await git(["symbolic-ref", "--quiet", "--short", "HEAD"], project, env);
  if (current.code === 0 && current.stdout === branch) return project;

  const root = resolve(project, opts.worktreesDir);
  const target = resolve(root, branch);
  if (!isUnder(root, target))
    throw new WorktreeError("worktree.escape", "that branch would leave the project's worktrees directory.");
  // Symlinks inside the root must not lead the worktree elsewhere.
  const realRoot = existsSync(root) ? realpathSync(root) : root;
  const { real, rest } = realExisting(target);
  const realTarget = resolve(real, rest);
  if (existsSync(root) && !isUnder(realRoot, realTarget)) {
    throw new WorktreeError(
      "worktree.escape",
      "that branch's worktree path leads outside the project's worktrees directory (a symlink?).",
    );
  }

  if (existsSync(target)) {
    const worktrees = await listWorktrees(project, env);
    const real = realpathSync(target);
    if (!statSync(target).isDirectory() || !worktrees.has(real)) {
      throw new WorktreeError(
        "worktree.not_a_worktree",
        `${rel(project, target)} exists but is not a git worktree of this project; move it away or pick another branch.`,
      );
    }
    if (worktrees.get(real) !== `refs/heads/${branch}`) {
      throw new WorktreeError(
        "worktree.not_a_worktree",
        `the worktree ${rel(project, target)} is not on branch ${branch}; check the branch out there or remove the worktree.`,
      );
    }
    return target;
  }

  if (await refExists(`refs/heads/${branch}`, project, env)) {
    await gitOrThrow("git worktree add", ["worktree", "add", "--", target, branch], project, env);
  } else if (await refExists(`refs/remotes/origin/${branch}`, project, env)) {
    await gitOrThrow(
      "git worktree add",
      ["worktree", "add", "-b", branch, "--", target, `origin/${branch}`],
      project,
      env,
    );
  } else {
    const base = opts.worktreeBase !== undefined ? opts.worktreeBase.trim() : await defaultBase(project, env);
    if (base === undefined) {
      throw new WorktreeError(
        "worktree.no_base",
        'cannot tell which branch a new worktree should start from; set worktree_base for this project (e.g. "main").',
      );
    }
    if (
      branchProblem(base) !== undefined ||
      (await git(["rev-parse", "--verify", "--quiet", `${base}^{commit}`], project, env)).code !== 0
    ) {
      throw new WorktreeError(
        "worktree.no_base",
        `the base branch ${base} does not exist; check worktree_base for this project.`,
      );
    }
    await gitOrThrow(
      "git worktree add",
      ["worktree", "add", "--no-track", "-b", branch, "--", target, base],
      project,
      env,
    );
  }
  return target;
}

function rel(project: string, p: string): string {
  const r = relative(project, p);
  return r.startsWith("..") || isAbsolute(r) ? "the worktree directory" : r;
}
