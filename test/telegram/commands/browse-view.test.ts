import { describe, expect, test } from "bun:test";
import type { DirEntryInfo } from "../../../src/security/path-guard.ts";
import {
  BrowseSessions,
  type BrowseView,
  browseButtons,
  pageOf,
  parentDir,
  parseAction,
  visibleEntries,
} from "../../../src/telegram/commands/browse-view.ts";

const file = (name: string, size = 1): DirEntryInfo => ({ name, kind: "file", size });
const dir = (name: string): DirEntryInfo => ({ name, kind: "directory", size: 0 });

function view(over: Partial<BrowseView> = {}): BrowseView {
  return { chat: { chatId: 1 }, cwd: "/p", label: "demo", dir: "", entries: [], truncated: false, page: 0, ...over };
}

describe("visibleEntries", () => {
  test("directories first, then files, each sorted; dotfiles, symlinks and others hidden", () => {
    const shown = visibleEntries([
      file("b.txt"),
      dir("src"),
      file(".hidden"),
      dir(".cache"),
      { name: "link", kind: "symlink", size: 0 },
      { name: "fifo", kind: "other", size: 0 },
      file("A.md"),
      dir("docs"),
    ]);
    expect(shown.map((e) => e.name)).toEqual(["docs", "src", "A.md", "b.txt"]);
  });
});

describe("paging", () => {
  const entries = visibleEntries(Array.from({ length: 45 }, (_, i) => file(`f${String(i).padStart(2, "0")}`)));

  test("pages of 20 with their indexes in the whole listing; out-of-range pages are clamped", () => {
    expect(pageOf(entries, 0).items.map((x) => x.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const last = pageOf(entries, 2);
    expect(last).toMatchObject({ page: 2, pages: 3 });
    expect(last.items.map((x) => x.entry.name)).toEqual(["f40", "f41", "f42", "f43", "f44"]);
    expect(pageOf(entries, 99).page).toBe(2);
    expect(pageOf(entries, -1).page).toBe(0);
    expect(pageOf([], 0)).toMatchObject({ page: 0, pages: 1, items: [] });
  });

  test("buttons: one per entry, ◀ ▶ where there is a page, ⬆ Up below the top; all within 64 bytes", () => {
    const first = browseButtons("tok12345", view({ entries, dir: "src/lib" }));
    expect(first).toHaveLength(21);
    expect(first[0]).toEqual([{ text: "📄 f00", data: "br:tok12345:f0" }]);
    expect(first[20]?.map((b) => b.text)).toEqual(["▶", "⬆ Up"]);
    const middle = browseButtons("tok12345", view({ entries, page: 1 }));
    expect(middle[20]?.map((b) => `${b.text}=${b.data}`)).toEqual(["◀=br:tok12345:p0", "▶=br:tok12345:p2"]);
    const top = browseButtons("tok12345", view({ entries: visibleEntries([dir("src")]) }));
    expect(top).toEqual([[{ text: "📁 src/", data: "br:tok12345:d0" }]]);
    const long = browseButtons("tok12345", view({ entries: visibleEntries([file("x".repeat(300))]) }));
    for (const row of [...first, ...long])
      for (const b of row) expect(Buffer.byteLength(b.data)).toBeLessThanOrEqual(64);
  });

  test("actions parse; anything else is refused", () => {
    expect(parseAction("p3")).toEqual({ kind: "page", page: 3 });
    expect(parseAction("u")).toEqual({ kind: "up" });
    expect(parseAction("d12")).toEqual({ kind: "open", index: 12 });
    expect(parseAction("f0")).toEqual({ kind: "file", index: 0 });
    for (const bad of ["", "f", "f-1", "x1", "d../etc", "p1234567", "u1", "f1 "])
      expect(parseAction(bad)).toBeUndefined();
  });

  test("parentDir", () => {
    expect(parentDir("a/b/c")).toBe("a/b");
    expect(parentDir("a")).toBe("");
    expect(parentDir("")).toBe("");
  });
});

describe("BrowseSessions", () => {
  function sessions(max = 3, ttlMs = 1000) {
    let now = 0;
    let n = 0;
    const s = new BrowseSessions({ now: () => now, ttlMs, max, token: () => `t${n++}` });
    return { s, advance: (ms: number) => (now += ms) };
  }

  test("a token finds its view until it expires; use extends its life", () => {
    const { s, advance } = sessions();
    const v = view();
    const t = s.add(v);
    advance(900);
    expect(s.get(t)).toBe(v);
    advance(900);
    expect(s.get(t)).toBe(v);
    advance(1000);
    expect(s.get(t)).toBeUndefined();
    expect(s.get("never-issued")).toBeUndefined();
  });

  test("bounded: the least recently used view is forgotten first; expired ones are swept on add", () => {
    const { s, advance } = sessions(3);
    const [a, b, c] = [s.add(view()), s.add(view()), s.add(view())];
    expect(s.get(a)).toBeDefined();
    const d = s.add(view());
    expect(s.size).toBe(3);
    expect(s.get(b)).toBeUndefined();
    expect([a, c, d].every((t) => s.get(t) !== undefined)).toBe(true);
    advance(5000);
    s.add(view());
    expect(s.size).toBe(1);
  });

  test("random tokens are short and URL-safe", () => {
    const s = new BrowseSessions({ now: () => 0, ttlMs: 1000, max: 10 });
    const t = s.add(view());
    expect(t).toMatch(/^[A-Za-z0-9_-]{8}$/);
  });
});
