// The state behind one /browse message: which directory of which project it shows, the listing it
// showed, and the page. Buttons carry only a short random token and an index into that listing
// (callback_data holds at most 64 bytes, and a path from a button is never trusted); the token map is
// bounded and its entries expire.
import type { Button, ButtonRows, ChatRef } from "../../core/transport.ts";
import type { DirEntryInfo } from "../../security/path-guard.ts";
import { randomBytes } from "../../security/random.ts";

export const BROWSE_PREFIX = "br";
export const PAGE_SIZE = 20;

export interface BrowseEntry {
  name: string;
  kind: "file" | "directory";
  size: number;
}

export interface BrowseView {
  chat: ChatRef;
  /** The browse message, once sent. */
  messageId?: number;
  /** The project (or worktree) directory every path is below. */
  cwd: string;
  /** What the header names: the project alias, with `@branch` for a worktree. */
  label: string;
  /** The directory shown, relative to `cwd` ("" for the top). */
  dir: string;
  entries: BrowseEntry[];
  truncated: boolean;
  page: number;
}

/**
 * What a listing shows: directories first, then files, each sorted by name; dotfiles, symlinks (they
 * may point anywhere, and /file get refuses them) and anything that is neither a file nor a directory
 * are left out. Deny-glob matches never reach here (the path guard drops them).
 */
export function visibleEntries(entries: readonly DirEntryInfo[]): BrowseEntry[] {
  const byName = (a: BrowseEntry, b: BrowseEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const shown: BrowseEntry[] = [];
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    if (e.kind === "file" || e.kind === "directory") shown.push({ name: e.name, kind: e.kind, size: e.size });
  }
  const dirs = shown.filter((e) => e.kind === "directory").sort(byName);
  const files = shown.filter((e) => e.kind === "file").sort(byName);
  return [...dirs, ...files];
}

export function pageCount(total: number, size = PAGE_SIZE): number {
  return Math.max(1, Math.ceil(total / size));
}

/** The page clamped into range, and the entries on it with their index in the whole listing. */
export function pageOf(
  entries: readonly BrowseEntry[],
  page: number,
  size = PAGE_SIZE,
): { page: number; pages: number; items: { index: number; entry: BrowseEntry }[] } {
  const pages = pageCount(entries.length, size);
  const p = Math.min(Math.max(0, Math.trunc(page)), pages - 1);
  const items = entries.slice(p * size, p * size + size).map((entry, i) => ({ index: p * size + i, entry }));
  return { page: p, pages, items };
}

/** The parent of a relative directory ("" stays ""). */
export function parentDir(dir: string): string {
  const i = dir.lastIndexOf("/");
  return i < 0 ? "" : dir.slice(0, i);
}

export function childPath(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

const MAX_BUTTON_TEXT = 60;

function label(entry: BrowseEntry): string {
  const icon = entry.kind === "directory" ? "📁" : "📄";
  const chars = [...entry.name];
  const name = chars.length > MAX_BUTTON_TEXT ? `${chars.slice(0, MAX_BUTTON_TEXT - 1).join("")}…` : entry.name;
  return `${icon} ${name}${entry.kind === "directory" ? "/" : ""}`;
}

/** One button per entry on the page, then ◀ ▶ and ⬆ Up where they apply. */
export function browseButtons(token: string, view: BrowseView): ButtonRows {
  const { page, pages, items } = pageOf(view.entries, view.page);
  const data = (action: string) => `${BROWSE_PREFIX}:${token}:${action}`;
  const rows: ButtonRows = items.map(({ index, entry }) => [
    { text: label(entry), data: data(`${entry.kind === "directory" ? "d" : "f"}${index}`) },
  ]);
  const nav: Button[] = [];
  if (page > 0) nav.push({ text: "◀", data: data(`p${page - 1}`) });
  if (page < pages - 1) nav.push({ text: "▶", data: data(`p${page + 1}`) });
  if (view.dir !== "") nav.push({ text: "⬆ Up", data: data("u") });
  if (nav.length > 0) rows.push(nav);
  return rows;
}

export type BrowseAction =
  | { kind: "page"; page: number }
  | { kind: "up" }
  | { kind: "open"; index: number }
  | { kind: "file"; index: number };

/** The action after `<token>:`; undefined for anything malformed. */
export function parseAction(action: string): BrowseAction | undefined {
  if (action === "u") return { kind: "up" };
  const m = /^([pdf])(\d{1,6})$/.exec(action);
  if (!m) return undefined;
  const n = Number(m[2]);
  if (m[1] === "p") return { kind: "page", page: n };
  return m[1] === "d" ? { kind: "open", index: n } : { kind: "file", index: n };
}

export interface BrowseSessionOptions {
  now(): number;
  /** How long a browse message's buttons work after its last use. */
  ttlMs: number;
  /** Most browse messages remembered; the least recently used one is forgotten first. */
  max: number;
  /** Random tokens; injectable for tests. */
  token?: () => string;
}

/** Token → view, bounded and expiring; the only place a button's token is turned into a path. */
export class BrowseSessions {
  readonly #o: BrowseSessionOptions;
  /** Insertion order is use order: a used entry is re-inserted at the end. */
  readonly #views = new Map<string, { view: BrowseView; expiresAt: number }>();

  constructor(o: BrowseSessionOptions) {
    this.#o = o;
  }

  get size(): number {
    return this.#views.size;
  }

  add(view: BrowseView): string {
    this.#sweep();
    let token = this.#newToken();
    while (this.#views.has(token)) token = this.#newToken();
    this.#views.set(token, { view, expiresAt: this.#o.now() + this.#o.ttlMs });
    while (this.#views.size > this.#o.max) {
      const oldest = this.#views.keys().next().value;
      if (oldest === undefined) break;
      this.#views.delete(oldest);
    }
    return token;
  }

  /** The live view for `token`, refreshed; undefined when unknown or expired. */
  get(token: string): BrowseView | undefined {
    const hit = this.#views.get(token);
    if (!hit) return undefined;
    this.#views.delete(token);
    if (hit.expiresAt <= this.#o.now()) return undefined;
    this.#views.set(token, { view: hit.view, expiresAt: this.#o.now() + this.#o.ttlMs });
    return hit.view;
  }

  #sweep(): void {
    const now = this.#o.now();
    for (const [token, v] of this.#views) if (v.expiresAt <= now) this.#views.delete(token);
  }

  #newToken(): string {
    return this.#o.token?.() ?? randomBytes(6).toString("base64url");
  }
}
