// @branch worktrees against real temporary git repositories (a bare "origin", a clone as the project).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import fc from "fast-check";
import { branchProblem, gitEnv, resolveWorktree } from "../../src/core/worktrees.ts";

let root: string;
let project: string;
let env: Record<string, string>;

function git(cwd: string, ...args: string[]): string {
  const r = Bun.spawnSync(["git", ...args], {
    cwd,
    env: {
      ...env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.invalid",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.invalid",
    },
  });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

function commit(cwd: string, file: string, text: string): void {
  writeFileSync(join(cwd, file), text);
  git(cwd, "add", "--", file);
  git(cwd, "commit", "-q", "-m", file);
}

const headBranch = (dir: string) => git(dir, "rev-parse", "--abbrev-ref", "HEAD");
const commitOf = (dir: string, ref: string) => git(dir, "rev-parse", "--verify", `${ref}^{commit}`);
const opts = (extra: { worktreeBase?: string; worktreesDir?: string } = {}) => ({
  worktreesDir: ".worktrees",
  env,
  ...extra,
});

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "untether-wt-"));
  mkdirSync(join(root, "home"));
  env = { ...gitEnv({ PATH: process.env.PATH, HOME: join(root, "home") }), GIT_CONFIG_NOSYSTEM: "1" };
  git(root, "init", "-q", "--bare", "-b", "main", "origin.git");
  const seed = join(root, "seed");
  git(root, "init", "-q", "-b", "main", seed);
  commit(seed, "a.txt", "main\n");
  git(seed, "checkout", "-q", "-b", "remote-only");
  commit(seed, "r.txt", "remote\n");
  git(seed, "remote", "add", "origin", join(root, "origin.git"));
  git(seed, "push", "-q", "origin", "main", "remote-only");
  project = join(root, "project");
  git(root, "clone", "-q", join(root, "origin.git"), project);
  git(project, "branch", "local-br");
  git(project, "checkout", "-q", "-b", "develop");
  commit(project, "d.txt", "develop\n");
  git(project, "checkout", "-q", "main");
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("resolveWorktree", () => {
  test("an existing local branch is checked out in <worktrees_dir>/<branch>", async () => {
    const path = await resolveWorktree(project, "local-br", opts());
    expect(path).toBe(join(project, ".worktrees", "local-br"));
    expect(headBranch(path)).toBe("local-br");
    // Asked again, the same worktree is reused.
    expect(await resolveWorktree(project, "local-br", opts())).toBe(path);
  });

  test("a branch that exists only on origin becomes a local branch at origin/<branch>", async () => {
    const path = await resolveWorktree(project, "remote-only", opts());
    expect(headBranch(path)).toBe("remote-only");
    expect(commitOf(path, "HEAD")).toBe(commitOf(project, "origin/remote-only"));
    expect(existsSync(join(path, "r.txt"))).toBe(true);
  });

  test("a new branch starts from worktree_base", async () => {
    const path = await resolveWorktree(project, "feat/from-develop", opts({ worktreeBase: "develop" }));
    expect(path).toBe(join(project, ".worktrees", "feat", "from-develop"));
    expect(headBranch(path)).toBe("feat/from-develop");
    expect(commitOf(path, "HEAD")).toBe(commitOf(project, "develop"));
  });

  test("a new branch without worktree_base starts from the detected default branch (origin/HEAD)", async () => {
    const path = await resolveWorktree(project, "feat-default", opts());
    expect(headBranch(path)).toBe("feat-default");
    expect(commitOf(path, "HEAD")).toBe(commitOf(project, "origin/main"));
    // Not tracking origin/main: a plain `git push` must not target main.
    expect(() => git(path, "rev-parse", "--abbrev-ref", "@{upstream}")).toThrow();
  });

  test("without a remote, the default branch is main/master or the current branch", async () => {
    const solo = join(root, "solo");
    git(root, "init", "-q", "-b", "trunk", solo);
    commit(solo, "s.txt", "solo\n");
    const path = await resolveWorktree(solo, "topic", opts());
    expect(commitOf(path, "HEAD")).toBe(commitOf(solo, "trunk"));
  });

  test("an absolute worktrees_dir is used as is", async () => {
    const dir = join(root, "elsewhere-worktrees");
    const path = await resolveWorktree(project, "abs-dir", opts({ worktreesDir: dir }));
    expect(path).toBe(join(dir, "abs-dir"));
    expect(headBranch(path)).toBe("abs-dir");
  });

  test("the project itself is used when it is already on the branch", async () => {
    expect(await resolveWorktree(project, "main", opts())).toBe(project);
    expect(existsSync(join(project, ".worktrees", "main"))).toBe(false);
  });

  test("concurrent requests for the same new branch create one worktree", async () => {
    const paths = await Promise.all([1, 2, 3, 4].map(() => resolveWorktree(project, "race", opts())));
    expect(new Set(paths)).toEqual(new Set([join(project, ".worktrees", "race")]));
    expect(headBranch(paths[0] as string)).toBe("race");
  });

  const bad = [
    "../x",
    "-b",
    "--upload-pack=x",
    "a..b",
    "x.lock",
    "@{1}",
    "/abs",
    "trailing/",
    "a b",
    "a~1",
    "a^",
    "a:b",
    "a?",
    "a*",
    "a[b",
    "a\\b",
    "a\x01b",
    "a\x7fb",
    ".hidden",
    "x/.y",
    "a//b",
    "end.",
    "@",
    "HEAD",
    "",
    "   ",
    "x".repeat(201),
    "feature/../../../etc",
    "..",
    "x/..",
    "foo.lock/bar",
  ];
  for (const name of bad) {
    test(`the branch name ${JSON.stringify(name.length > 40 ? `${name.slice(0, 10)}…` : name)} is refused before git runs`, async () => {
      const before = [git(project, "branch", "--list"), git(project, "worktree", "list", "--porcelain")];
      await expect(resolveWorktree(project, name, opts())).rejects.toMatchObject({ code: "worktree.bad_branch" });
      expect([git(project, "branch", "--list"), git(project, "worktree", "list", "--porcelain")]).toEqual(before);
    });
  }

  test("names we accept are names git accepts, and stay under the worktrees root", () => {
    const wtRoot = join(project, ".worktrees");
    const chars = fc.constantFrom(..."ab-_./@{}~^:?*[\\ .lock".split(""));
    fc.assert(
      fc.property(
        fc.array(chars, { minLength: 1, maxLength: 12 }).map((a) => a.join("")),
        (name) => {
          if (branchProblem(name) !== undefined) return;
          const rel = relative(wtRoot, resolve(wtRoot, name));
          expect(rel.startsWith("..") || rel === "").toBe(false);
          const r = Bun.spawnSync(["git", "check-ref-format", "--branch", name], { cwd: project, env });
          expect(r.exitCode).toBe(0);
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });

  test("a directory that is not a worktree squatting the path is refused", async () => {
    mkdirSync(join(project, ".worktrees", "squat"), { recursive: true });
    writeFileSync(join(project, ".worktrees", "squat", "keep.txt"), "mine\n");
    await expect(resolveWorktree(project, "squat", opts())).rejects.toMatchObject({ code: "worktree.not_a_worktree" });
    expect(existsSync(join(project, ".worktrees", "squat", "keep.txt"))).toBe(true);
    writeFileSync(join(project, ".worktrees", "a-file"), "x");
    await expect(resolveWorktree(project, "a-file", opts())).rejects.toMatchObject({ code: "worktree.not_a_worktree" });
  });

  test("a symlink inside the worktrees root cannot lead the worktree outside it", async () => {
    const outside = join(root, "outside");
    mkdirSync(outside);
    symlinkSync(outside, join(project, ".worktrees", "evil"));
    await expect(resolveWorktree(project, "evil/x", opts())).rejects.toMatchObject({ code: "worktree.escape" });
    expect(readdirSync(outside)).toEqual([]);
  });

  test("no base branch: a repository without commits, or a worktree_base that does not exist", async () => {
    const empty = join(root, "empty");
    git(root, "init", "-q", "-b", "main", empty);
    await expect(resolveWorktree(empty, "x", opts())).rejects.toMatchObject({ code: "worktree.no_base" });
    await expect(resolveWorktree(project, "y", opts({ worktreeBase: "no-such-branch" }))).rejects.toMatchObject({
      code: "worktree.no_base",
    });
  });

  test("git's own refusal is reported with paths sanitised", async () => {
    // The branch is checked out in a worktree outside the root, so `git worktree add` refuses.
    git(project, "worktree", "add", "-q", "-b", "taken", join(root, "taken-wt"), "main");
    const err = await resolveWorktree(project, "taken", opts()).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err?.code).toBe("worktree.git_failed");
    expect(err?.message).not.toContain(root);
  });
});
