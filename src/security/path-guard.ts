// Confines file access (/file put and get, the outbox, webhook file_write, cron file_read) to a
// project root.
//
// Three layers, each enough on its own for its part of the threat:
// 1. normalizeRelativePath: a syntactic check of what the user typed. Paths are never URL-decoded
//    (`%2e%2e` is a file literally named so) and never Unicode-folded when opened; instead, a
//    component whose NFKC form changes its punctuation (fullwidth dot, one-dot leader, fullwidth
//    solidus, …) is refused, because it reads as something it is not.
// 2. denyReason: deny globs matched at any depth, case-insensitively, on the raw and the NFKC form.
// 3. The open itself: on Linux every directory is opened through the previous directory's
//    descriptor (`/proc/self/fd/<fd>/<name>` behaves like openat), the final component with
//    O_NOFOLLOW, and each descriptor's real path (readlink of /proc/self/fd/<fd>) must stay inside
//    the real root and pass the deny globs. The check and the read use the same descriptor, so
//    swapping a path component for a symlink between them cannot escape.
import { constants, existsSync } from "node:fs";
import {
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  opendir,
  readlink,
  realpath,
  rename,
  unlink,
} from "node:fs/promises";
import picomatch from "picomatch";
import { UntetherError } from "../errors.ts";
import { BUILTIN_DENY_GLOBS } from "./deny-globs.ts";
import { randomBytes } from "./random.ts";

export class PathGuardError extends UntetherError {
  /** The deny glob that matched, for `path.denied`. */
  readonly rule?: string;

  constructor(code: string, message: string, opts: { rule?: string; cause?: unknown } = {}) {
    super(code, message, opts.cause === undefined ? undefined : { cause: opts.cause });
    if (opts.rule !== undefined) this.rule = opts.rule;
  }
}

export const MAX_PATH_BYTES = 4096;
export const MAX_PATH_COMPONENTS = 64;
export const MAX_NAME_BYTES = 255;

const encoder = new TextEncoder();
const byteLength = (s: string): number => encoder.encode(s).byteLength;

// C0/C1 controls and the bidi overrides that make a name display as something else.
const CONTROL = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const ASCII_PUNCT = /[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/g;

const asciiPunctuation = (s: string): string => (s.match(ASCII_PUNCT) ?? []).sort().join("");

function err(code: string, message: string): PathGuardError {
  return new PathGuardError(code, message);
}

/** Checks one component for look-alikes: its NFKC form must not add, drop or change ASCII punctuation. */
function checkComponent(component: string): void {
  if (component === "..") throw err("path.traversal", "'..' is not allowed in paths.");
  if (component.toLowerCase() === ".git") throw err("path.git", "paths inside .git are not allowed.");
  if (component.trim() === "") throw err("path.invalid", "a path component is only whitespace.");
  if (byteLength(component) > MAX_NAME_BYTES) {
    throw err("path.too_long", `a file or directory name is longer than ${MAX_NAME_BYTES} bytes.`);
  }
  const folded = component.normalize("NFKC");
  if (folded === component) return;
  if (folded === ".." || folded === ".") {
    throw err("path.traversal", "a path component uses look-alike dots ('..' or '.'); this is not allowed.");
  }
  if (folded.toLowerCase() === ".git") throw err("path.git", "paths inside .git are not allowed.");
  if (asciiPunctuation(folded) !== asciiPunctuation(component)) {
    throw err("path.invalid", "a path component uses look-alike Unicode punctuation; use plain ASCII.");
  }
}

/**
 * Validates a user-supplied path relative to a project root and returns it in canonical form
 * (`.` and empty components dropped). Throws PathGuardError with a message fit to show the user.
 * We never URL-decode: `%2e%2e/x` names a directory literally called `%2e%2e`.
 */
export function normalizeRelativePath(input: string): string {
  if (byteLength(input) > MAX_PATH_BYTES) throw err("path.too_long", `path is longer than ${MAX_PATH_BYTES} bytes.`);
  if (input.includes("\0")) throw err("path.nul", "path contains a NUL byte.");
  if (!input.isWellFormed()) throw err("path.invalid", "path is not valid Unicode.");
  if (CONTROL.test(input)) throw err("path.invalid", "path contains control characters.");
  if (input.trim() === "") throw err("path.empty", "path is empty.");
  if (input.includes("\\")) throw err("path.invalid", "backslashes are not allowed in paths; use '/'.");
  if (input.startsWith("/") || input.normalize("NFKC").startsWith("/")) {
    throw err("path.absolute", "absolute paths are not allowed; give a path relative to the project root.");
  }
  const components = input.split("/").filter((c) => c !== "" && c !== ".");
  // `./~` is `~` too: check the first real component, not the first character.
  if (components[0]?.startsWith("~") === true) {
    throw err("path.home", "paths starting with '~' are not allowed; give a path relative to the project root.");
  }
  for (const component of components) checkComponent(component);
  if (components.length > MAX_PATH_COMPONENTS) {
    throw err("path.too_long", `path has more than ${MAX_PATH_COMPONENTS} components.`);
  }
  if (components.length === 0) throw err("path.empty", "path is empty.");
  return components.join("/");
}

const matchers = new Map<string, (path: string) => boolean>();

function matcherFor(glob: string): (path: string) => boolean {
  let matcher = matchers.get(glob);
  if (matcher === undefined) {
    try {
      matcher = picomatch(glob, { dot: true, nocase: true });
    } catch (cause) {
      throw new PathGuardError("path.bad_glob", `invalid deny glob: ${glob}`, { cause });
    }
    if (matchers.size > 1000) matchers.clear();
    matchers.set(glob, matcher);
  }
  return matcher;
}

/** Every contiguous run of components: the path, its suffixes, its directory prefixes, and between. */
function subPaths(components: readonly string[]): string[] {
  const out: string[] = [];
  for (let start = 0; start < components.length; start++) {
    for (let end = components.length; end > start; end--) out.push(components.slice(start, end).join("/"));
  }
  return out;
}

/**
 * The first deny glob (in `globs` order) matching `relPath`, or undefined. Globs match at any depth
 * (`.env` denies `sub/.env`), a file inside a denied directory is denied (`x/.ssh/id_ed25519`), case
 * is ignored (`.ENV`), and the NFKC form is tried too (`ｋｅｙ.ｐｅｍ`). A `.git` component is always
 * denied, reported as `.git/**`.
 */
export function denyReason(relPath: string, globs: readonly string[]): string | undefined {
  const forms = new Set([relPath, relPath.normalize("NFKC")]);
  const candidates: string[] = [];
  for (const form of forms) {
    const components = form.split("/").filter((c) => c !== "" && c !== ".");
    if (components.some((c) => c.toLowerCase() === ".git")) return ".git/**";
    candidates.push(...subPaths(components));
  }
  for (const glob of globs) {
    if (glob.trim() === "") continue;
    const matches = matcherFor(glob);
    if (candidates.some((c) => matches(c))) return glob;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Opening inside the root

export type OpenMode = "read" | "write-new" | "write-replace";

export interface GuardHooks {
  /** Called after every check and right before the final open (tests race a swap here). */
  beforeOpen?: () => void | Promise<void>;
  /** Called right after the final open, before the descriptor is used. */
  afterOpen?: () => void | Promise<void>;
}

export interface GuardOptions {
  /** Default BUILTIN_DENY_GLOBS (callers pass effectiveDenyGlobs(...)); [] for none (a `.git` component is still refused). */
  denyGlobs?: readonly string[];
  /** Create missing parent directories (writes only). */
  mkdirs?: boolean;
  /**
   * Reads: accept a regular file with more than one hard link (default false). A hard link is the same
   * inode under another name — a link to `.env` or to a file outside the project passes every path
   * check, so by default it is refused (`path.hard_link`).
   */
  allowHardLinks?: boolean;
  hooks?: GuardHooks;
}

export interface OpenedInsideRoot {
  handle: FileHandle;
  /** The canonical relative path that was asked for. */
  relPath: string;
  /** Absolute real path of the opened file (inside the real root). */
  realPath: string;
}

/** A directory we hold open: children are reached through `base`, which cannot be redirected. */
interface DirRef {
  base: string;
  real: string;
  handle?: FileHandle;
}

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK, O_NOCTTY } = constants;

let procFd: boolean | undefined;
/** Linux exposes /proc/self/fd; elsewhere we fall back to realpath checks (open to a swap race). */
function useProcFd(): boolean {
  procFd ??= process.platform === "linux" && existsSync("/proc/self/fd");
  return procFd;
}

function errnoOf(e: unknown): string | undefined {
  return e instanceof Error && "code" in e && typeof e.code === "string" ? e.code : undefined;
}

function fsError(e: unknown, relPath: string): PathGuardError {
  if (e instanceof PathGuardError) return e;
  const code = errnoOf(e);
  const opts = { cause: e };
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return new PathGuardError("path.not_found", `${relPath} does not exist.`, opts);
    case "ELOOP":
      return new PathGuardError("path.symlink", `${relPath} is a symlink; symlinks are not followed.`, opts);
    case "EISDIR":
      return new PathGuardError("path.is_directory", `${relPath} is a directory.`, opts);
    case "EEXIST":
      return new PathGuardError("path.exists", `${relPath} already exists.`, opts);
    case "EACCES":
    case "EPERM":
      return new PathGuardError("path.permission", `permission denied for ${relPath}.`, opts);
    case "ENAMETOOLONG":
      return new PathGuardError("path.too_long", "path is too long.", opts);
    default:
      return new PathGuardError("path.io", `could not access ${relPath} (${code ?? "error"}).`, opts);
  }
}

function isInside(realRoot: string, real: string): boolean {
  if (real === realRoot) return true;
  return real.startsWith(realRoot.endsWith("/") ? realRoot : `${realRoot}/`);
}

function relativeTo(realRoot: string, real: string): string {
  if (real === realRoot) return "";
  return real.slice(realRoot.endsWith("/") ? realRoot.length : realRoot.length + 1);
}

interface Walk {
  realRoot: string;
  globs: readonly string[];
  relPath: string;
}

/** Refuses a real path outside the root or matching a deny glob. */
function checkReal(walk: Walk, real: string): void {
  if (!isInside(walk.realRoot, real)) throw err("path.escape", `${walk.relPath} escapes the project root.`);
  const rule = denyReason(relativeTo(walk.realRoot, real), walk.globs);
  if (rule !== undefined) {
    throw new PathGuardError("path.denied", `path denied by rule: ${rule}`, { rule });
  }
}

async function fdRealPath(handle: FileHandle): Promise<string> {
  return readlink(`/proc/self/fd/${handle.fd}`);
}

async function closeQuietly(handle: FileHandle | undefined): Promise<void> {
  await handle?.close().catch(() => undefined);
}

async function openRootDir(walk: Walk): Promise<DirRef> {
  if (!useProcFd()) return { base: walk.realRoot, real: walk.realRoot };
  const handle = await open(walk.realRoot, O_RDONLY | O_DIRECTORY);
  return { base: `/proc/self/fd/${handle.fd}`, real: walk.realRoot, handle };
}

/** Steps into `name` below `dir`. In-root directory symlinks are followed, then verified. */
async function enterDir(walk: Walk, dir: DirRef, name: string, create: boolean): Promise<DirRef> {
  const path = `${dir.base}/${name}`;
  if (create) {
    await mkdir(path).catch((e: unknown) => {
      if (errnoOf(e) !== "EEXIST") throw e;
    });
  }
  if (!useProcFd()) {
    const real = await realpath(path);
    checkReal(walk, real);
    return { base: real, real };
  }
  let handle: FileHandle;
  try {
    handle = await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    // O_DIRECTORY|O_NOFOLLOW on a symlink fails ENOTDIR; only a symlink is worth a second look.
    if (errnoOf(e) !== "ENOTDIR" || !(await lstat(path)).isSymbolicLink()) throw e;
    handle = await open(path, O_RDONLY | O_DIRECTORY);
  }
  try {
    const real = await fdRealPath(handle);
    checkReal(walk, real);
    return { base: `/proc/self/fd/${handle.fd}`, real, handle };
  } catch (e) {
    await closeQuietly(handle);
    throw e;
  }
}

/** Opens the directory that will hold the last component; the caller closes `dir.handle`. */
async function openParent(
  root: string,
  relInput: string,
  opts: GuardOptions,
  create: boolean,
): Promise<{ walk: Walk; dir: DirRef; name: string }> {
  const relPath = normalizeRelativePath(relInput);
  const globs = opts.denyGlobs ?? BUILTIN_DENY_GLOBS;
  const rule = denyReason(relPath, globs);
  if (rule !== undefined) throw new PathGuardError("path.denied", `path denied by rule: ${rule}`, { rule });
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (cause) {
    throw new PathGuardError("path.root", "the project root does not exist.", { cause });
  }
  const walk: Walk = { realRoot, globs, relPath };
  const components = relPath.split("/");
  const name = components.pop() ?? "";
  let dir = await openRootDir(walk).catch((e: unknown) => {
    throw fsError(e, relPath);
  });
  try {
    for (const component of components) {
      const next = await enterDir(walk, dir, component, create);
      await closeQuietly(dir.handle);
      dir = next;
    }
    return { walk, dir, name };
  } catch (e) {
    await closeQuietly(dir.handle);
    throw fsError(e, relPath);
  }
}

const FLAGS: Record<OpenMode, number> = {
  // O_NONBLOCK: a FIFO planted in the project must not hang us (it is refused after fstat).
  read: O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
  "write-new": O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
  "write-replace": O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
};

/** Opens `name` in `dir` without following a symlink, then verifies the descriptor itself. */
async function openFinal(
  walk: Walk,
  dir: DirRef,
  name: string,
  mode: OpenMode,
  hooks?: GuardHooks,
  refuseHardLinks = false,
): Promise<OpenedInsideRoot> {
  const expected = dir.real.endsWith("/") ? `${dir.real}${name}` : `${dir.real}/${name}`;
  checkReal(walk, expected);
  await hooks?.beforeOpen?.();
  let handle: FileHandle;
  try {
    handle = await open(`${dir.base}/${name}`, FLAGS[mode], 0o666);
  } catch (e) {
    throw fsError(e, walk.relPath);
  }
  try {
    await hooks?.afterOpen?.();
    const real = useProcFd() ? await fdRealPath(handle) : expected;
    checkReal(walk, real);
    const stat = await handle.stat();
    if (stat.isDirectory()) throw err("path.is_directory", `${walk.relPath} is a directory.`);
    if (!stat.isFile()) throw err("path.not_file", `${walk.relPath} is not a regular file.`);
    if (refuseHardLinks && stat.nlink > 1) {
      throw err(
        "path.hard_link",
        `${walk.relPath} has ${stat.nlink} hard links; such files are not sent (set transports.telegram.files.allow_hard_links = true to allow).`,
      );
    }
    if (!useProcFd()) {
      // Without /proc we can only confirm the descriptor is the inode now at the checked path.
      const now = await lstat(expected);
      if (now.ino !== stat.ino || now.dev !== stat.dev)
        throw err("path.escape", `${walk.relPath} changed while opening.`);
    }
    return { handle, relPath: walk.relPath, realPath: real };
  } catch (e) {
    await closeQuietly(handle);
    throw fsError(e, walk.relPath);
  }
}

/**
 * Opens `relPath` below `root` as a regular file. "read" needs an existing file; "write-new" fails if
 * it exists; "write-replace" truncates or creates. The caller closes `handle`.
 */
export async function openInsideRoot(
  root: string,
  relPath: string,
  mode: OpenMode,
  opts: GuardOptions = {},
): Promise<OpenedInsideRoot> {
  const { walk, dir, name } = await openParent(root, relPath, opts, mode !== "read" && opts.mkdirs === true);
  try {
    return await openFinal(walk, dir, name, mode, opts.hooks, mode === "read" && opts.allowHardLinks !== true);
  } finally {
    await closeQuietly(dir.handle);
  }
}

export interface ReadResult {
  data: Uint8Array;
  relPath: string;
  realPath: string;
}

/** Reads a whole file, refusing (`path.too_large`) one over `maxBytes` without reading more than maxBytes+1. */
export async function readFileInsideRoot(
  root: string,
  relPath: string,
  maxBytes: number,
  opts: GuardOptions = {},
): Promise<ReadResult> {
  const opened = await openInsideRoot(root, relPath, "read", opts);
  const tooLarge = () => err("path.too_large", `${opened.relPath} is too large (limit ${maxBytes} bytes).`);
  try {
    const { size } = await opened.handle.stat();
    if (size > maxBytes) throw tooLarge();
    // The size can change after stat: read up to one byte past the limit from this descriptor.
    const buffer = new Uint8Array(maxBytes + 1);
    let filled = 0;
    while (filled < buffer.byteLength) {
      const { bytesRead } = await opened.handle.read(buffer, filled, buffer.byteLength - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > maxBytes) throw tooLarge();
    return { data: buffer.slice(0, filled), relPath: opened.relPath, realPath: opened.realPath };
  } finally {
    await closeQuietly(opened.handle);
  }
}

export interface StatResult {
  kind: "file" | "directory" | "other";
  size: number;
  mtimeMs: number;
  relPath: string;
  realPath: string;
}

/** Describes `relPath` without following a final symlink (refused as `path.symlink`). */
export async function statInsideRoot(root: string, relPath: string, opts: GuardOptions = {}): Promise<StatResult> {
  const { walk, dir, name } = await openParent(root, relPath, opts, false);
  try {
    const expected = dir.real.endsWith("/") ? `${dir.real}${name}` : `${dir.real}/${name}`;
    checkReal(walk, expected);
    const path = `${dir.base}/${name}`;
    const l = await lstat(path);
    if (l.isSymbolicLink()) throw err("path.symlink", `${walk.relPath} is a symlink; symlinks are not followed.`);
    if (!l.isDirectory()) {
      // Never open device nodes or FIFOs just to describe them.
      if (!l.isFile())
        return { kind: "other", size: l.size, mtimeMs: l.mtimeMs, relPath: walk.relPath, realPath: expected };
      const opened = await openFinal(walk, dir, name, "read");
      try {
        const s = await opened.handle.stat();
        return { kind: "file", size: s.size, mtimeMs: s.mtimeMs, relPath: walk.relPath, realPath: opened.realPath };
      } finally {
        await closeQuietly(opened.handle);
      }
    }
    const sub = await enterDir(walk, dir, name, false);
    try {
      const s = sub.handle === undefined ? l : await sub.handle.stat();
      return { kind: "directory", size: s.size, mtimeMs: s.mtimeMs, relPath: walk.relPath, realPath: sub.real };
    } finally {
      await closeQuietly(sub.handle);
    }
  } catch (e) {
    throw fsError(e, walk.relPath);
  } finally {
    await closeQuietly(dir.handle);
  }
}

export interface DirEntryInfo {
  name: string;
  /** From the entry itself, never followed: a symlink is reported as one, whatever it points at. */
  kind: "file" | "directory" | "symlink" | "other";
  /** Bytes, for regular files; 0 otherwise. */
  size: number;
}

export interface DirListing {
  /** The canonical relative path of the directory ("" for the root). */
  relPath: string;
  /** Every entry whose path passes the deny globs, in the order the directory returned them. */
  entries: DirEntryInfo[];
  /** More than `maxEntries` entries were there; the rest were not read. */
  truncated: boolean;
}

/**
 * Lists the directory `relDir` below `root` ("" or "." for the root itself). The directory is reached
 * the way every guarded path is (no `..`, no deny-glob match, a final symlink refused, each step's real
 * path inside the real root) and read through its own descriptor. Entries matching a deny glob are left
 * out, so a listing never names them; entries are described with lstat and never followed.
 */
export async function listDirInsideRoot(
  root: string,
  relDir: string,
  opts: GuardOptions & { maxEntries?: number } = {},
): Promise<DirListing> {
  const maxEntries = opts.maxEntries ?? 5000;
  const globs = opts.denyGlobs ?? BUILTIN_DENY_GLOBS;
  const isRoot = relDir.trim() === "" || relDir.trim() === ".";
  let dir: DirRef;
  let relPath = "";
  if (isRoot) {
    let realRoot: string;
    try {
      realRoot = await realpath(root);
    } catch (cause) {
      throw new PathGuardError("path.root", "the project root does not exist.", { cause });
    }
    dir = await openRootDir({ realRoot, globs, relPath: "" }).catch((e: unknown) => {
      throw fsError(e, ".");
    });
  } else {
    const parent = await openParent(root, relDir, opts, false);
    relPath = parent.walk.relPath;
    try {
      const expected = parent.dir.real.endsWith("/")
        ? `${parent.dir.real}${parent.name}`
        : `${parent.dir.real}/${parent.name}`;
      checkReal(parent.walk, expected);
      const l = await lstat(`${parent.dir.base}/${parent.name}`);
      if (l.isSymbolicLink()) throw err("path.symlink", `${relPath} is a symlink; symlinks are not followed.`);
      if (!l.isDirectory()) throw err("path.not_directory", `${relPath} is not a directory.`);
      dir = await enterDir(parent.walk, parent.dir, parent.name, false);
    } catch (e) {
      throw fsError(e, relPath);
    } finally {
      await closeQuietly(parent.dir.handle);
    }
  }
  try {
    const entries: DirEntryInfo[] = [];
    let truncated = false;
    for await (const d of await opendir(dir.base)) {
      const childRel = relPath === "" ? d.name : `${relPath}/${d.name}`;
      if (denyReason(childRel, globs) !== undefined) continue;
      if (entries.length >= maxEntries) {
        truncated = true;
        break;
      }
      const kind = d.isSymbolicLink() ? "symlink" : d.isDirectory() ? "directory" : d.isFile() ? "file" : "other";
      const size = kind === "file" ? ((await lstat(`${dir.base}/${d.name}`).catch(() => undefined))?.size ?? 0) : 0;
      entries.push({ name: d.name, kind, size });
    }
    return { relPath, entries, truncated };
  } catch (e) {
    throw fsError(e, relPath || ".");
  } finally {
    await closeQuietly(dir.handle);
  }
}

export interface WriteOptions extends GuardOptions {
  /** Replace an existing file instead of choosing `stem_1.ext`, `stem_2.ext`, … */
  force?: boolean;
}

export interface WriteResult {
  /** The relative path actually written (differs from the request after de-duplication). */
  relPath: string;
  realPath: string;
  bytes: number;
}

const MAX_DEDUP = 999;

/** `report.tar.gz` → `report.tar_1.gz`; `.bashrc` → `.bashrc_1`. */
export function dedupName(name: string, n: number): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)}_${n}${name.slice(dot)}` : `${name}_${n}`;
}

/**
 * Writes `data` to `relPath` below `root` atomically: a temp file in the target directory, then a
 * rename (force) or a hard link that fails on an existing name (no force: the next free
 * `stem_N.ext` is used, so nothing is ever overwritten by a race). Parents are created by default.
 */
export async function writeFileAtomicInsideRoot(
  root: string,
  relPath: string,
  data: Uint8Array,
  opts: WriteOptions = {},
): Promise<WriteResult> {
  const { walk, dir, name } = await openParent(root, relPath, opts, opts.mkdirs ?? true);
  const parentRel = walk.relPath.includes("/") ? walk.relPath.slice(0, walk.relPath.lastIndexOf("/") + 1) : "";
  const childOf = (n: string): string => `${dir.base}/${n}`;
  const realOf = (n: string): string => (dir.real.endsWith("/") ? `${dir.real}${n}` : `${dir.real}/${n}`);
  const temp = `.untether-upload-${randomBytes(8).toString("hex")}`;
  let tempCreated = false;
  try {
    checkReal(walk, realOf(name));
    const existing = await lstat(childOf(name)).catch(() => undefined);
    if (existing?.isDirectory() === true) throw err("path.is_directory", "upload target is a directory.");
    if (existing?.isSymbolicLink() === true) throw err("path.symlink", `${walk.relPath} is a symlink; not replaced.`);
    if (existing !== undefined && !existing.isFile())
      throw err("path.not_file", `${walk.relPath} is not a regular file.`);

    const out = await openFinal(walk, dir, temp, "write-new", opts.hooks);
    tempCreated = true;
    try {
      await out.handle.writeFile(data);
      await out.handle.sync();
    } finally {
      await closeQuietly(out.handle);
    }

    let finalName = name;
    if (opts.force === true) {
      await rename(childOf(temp), childOf(name));
      tempCreated = false;
    } else {
      finalName = await linkToFreeName(walk, name, childOf, realOf, temp);
    }
    return { relPath: `${parentRel}${finalName}`, realPath: realOf(finalName), bytes: data.byteLength };
  } catch (e) {
    throw fsError(e, walk.relPath);
  } finally {
    if (tempCreated) await unlink(childOf(temp)).catch(() => undefined);
    await closeQuietly(dir.handle);
  }
}

/** Hard-links the temp file to the first free name; link() never replaces an existing entry. */
async function linkToFreeName(
  walk: Walk,
  name: string,
  childOf: (n: string) => string,
  realOf: (n: string) => string,
  temp: string,
): Promise<string> {
  for (let n = 0; n <= MAX_DEDUP; n++) {
    const candidate = n === 0 ? name : dedupName(name, n);
    checkReal(walk, realOf(candidate));
    try {
      await link(childOf(temp), childOf(candidate));
      return candidate;
    } catch (e) {
      const code = errnoOf(e);
      if (code === "EEXIST") continue;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw e;
      // A filesystem without hard links: check-then-rename (a concurrent writer could race us here).
      if ((await lstat(childOf(candidate)).catch(() => undefined)) !== undefined) continue;
      await rename(childOf(temp), childOf(candidate));
      return candidate;
    }
  }
  throw err("path.exists", `${walk.relPath} and ${MAX_DEDUP} numbered variants already exist.`);
}
