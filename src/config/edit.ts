// Changing untether.toml from the command line: typed values, edits of a plain TOML document, TOML
// literals for display, and an atomic 0600 write that keeps the file's comments and layout.

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { patch } from "@decimalturn/toml-patch";
import type { TSchema } from "@sinclair/typebox";
import { parse, stringify, TomlDate } from "smol-toml";
import { ConfigError } from "./errors.ts";
import type { TomlDoc } from "./migrate.ts";
import { ConfigSchema } from "./schema.ts";

function isTable(v: unknown): v is TomlDoc {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/**
 * A value typed on the command line: a TOML literal when it parses as one (`true`, `456`,
 * `[1, 2]`, `"quoted"`), else the text itself as a string (`openai`, `123:ABC…`).
 */
export function parseCliValue(raw: string): unknown {
  const text = raw.trim();
  if (text === "") return "";
  try {
    const doc = parse(`__v__ = ${text}`) as { __v__?: unknown };
    if ("__v__" in doc && Object.keys(doc).length === 1) return doc.__v__;
  } catch {
    // not a TOML literal: a plain string
  }
  return text;
}

/** The schema of a key, when the key is known (walks tables, [projects.<alias>] and engine tables). */
export function schemaAt(segments: readonly string[]): TSchema | undefined {
  let node: TSchema | undefined = ConfigSchema;
  for (const seg of segments) {
    if (node === undefined) return undefined;
    const s = node as { properties?: Record<string, TSchema>; patternProperties?: Record<string, TSchema> };
    if (s.properties) node = s.properties[seg];
    else if (s.patternProperties) node = Object.values(s.patternProperties)[0];
    else return undefined;
  }
  return node;
}

/** Text where the schema wants a string stays text (`model 4` means the model named "4"). */
export function coerceForKey(segments: readonly string[], raw: string, parsed: unknown): unknown {
  const schema = schemaAt(segments) as { type?: string } | undefined;
  if (schema?.type === "string" && typeof parsed !== "string" && !isTable(parsed) && !Array.isArray(parsed)) {
    return raw.trim();
  }
  return parsed;
}

export type Lookup = { found: false } | { found: true; value: unknown };

export function getAt(doc: TomlDoc, segments: readonly string[]): Lookup {
  let node: unknown = doc;
  for (const seg of segments) {
    if (!isTable(node) || !(seg in node)) return { found: false };
    node = node[seg];
  }
  return { found: true, value: node };
}

/** Sets a value, creating missing tables; a non-table on the way is an error. */
export function setAt(doc: TomlDoc, segments: readonly string[], value: unknown): void {
  let node: TomlDoc = doc;
  segments.slice(0, -1).forEach((seg, i) => {
    const next = node[seg];
    if (next === undefined) node[seg] = {};
    else if (!isTable(next)) {
      throw new ConfigError(
        "config.invalid",
        `${segments.slice(0, i + 1).join(".")} is not a table, so ${segments.join(".")} cannot be set; unset it first`,
        { key: segments.slice(0, i + 1).join(".") },
      );
    }
    node = node[seg] as TomlDoc;
  });
  node[segments[segments.length - 1] as string] = value;
}

/** Removes a key and every parent table left empty. Returns false when the key was not there. */
export function unsetAt(doc: TomlDoc, segments: readonly string[]): boolean {
  const parents: TomlDoc[] = [];
  let node: unknown = doc;
  for (const seg of segments.slice(0, -1)) {
    if (!isTable(node) || !isTable(node[seg])) return false;
    parents.push(node);
    node = node[seg];
  }
  const last = segments[segments.length - 1] as string;
  if (!isTable(node) || !(last in node)) return false;
  delete node[last];
  for (let i = parents.length - 1; i >= 0; i--) {
    const seg = segments[i] as string;
    const parent = parents[i] as TomlDoc;
    if (isTable(parent[seg]) && Object.keys(parent[seg] as TomlDoc).length === 0) delete parent[seg];
    else break;
  }
  return true;
}

// ---- display --------------------------------------------------------------------------------

const BARE_KEY_RE = /^[A-Za-z0-9_-]+$/;

function tomlString(s: string): string {
  // JSON escapes are valid TOML basic-string escapes; DEL is the one control char JSON leaves raw.
  return JSON.stringify(s).replace(/\u007f/g, "\\u007F");
}

/** One inline TOML literal: `"text"`, `42`, `true`, `[1, 2]`, `{ id = "x" }`. */
export function tomlLiteral(value: unknown): string {
  if (typeof value === "string") return tomlString(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  if (value instanceof TomlDate) return value.toISOString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `[${value.map(tomlLiteral).join(", ")}]`;
  if (isTable(value)) {
    const parts = Object.entries(value).map(
      ([k, v]) => `${BARE_KEY_RE.test(k) ? k : tomlString(k)} = ${tomlLiteral(v)}`,
    );
    return parts.length === 0 ? "{}" : `{ ${parts.join(", ")} }`;
  }
  return tomlString(String(value));
}

/** Every leaf as `[dotted key, value]`, keys sorted at each level; arrays (of tables too) are leaves. */
export function flattenDocument(doc: TomlDoc, prefix: readonly string[] = []): [string[], unknown][] {
  const out: [string[], unknown][] = [];
  for (const key of Object.keys(doc).sort()) {
    const value = doc[key];
    const path = [...prefix, key];
    if (isTable(value) && Object.keys(value).length > 0) out.push(...flattenDocument(value, path));
    else out.push([path, value]);
  }
  return out;
}

// ---- writing --------------------------------------------------------------------------------

function randomSuffix(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex");
}

export interface RenderedConfig {
  text: string;
  /** False when the previous text's comments and layout could not be kept (the file is re-printed). */
  kept: boolean;
}

/**
 * The text of `doc`, written as an edit of `previous` (the file as it was read): only the lines of
 * keys that changed differ, comments and layout stay. The edit is checked by parsing it back with
 * the loader's own parser; if it does not give exactly `doc`, the document is printed afresh
 * (`kept: false`) rather than written wrong.
 */
export function renderConfigText(previous: string | undefined, doc: TomlDoc): RenderedConfig {
  if (previous === undefined || previous.trim() === "") return { text: stringify(doc), kept: true };
  // New tables as [sections] first (the way people write them); inline ones if that cannot be done.
  const attempts = [
    () => dropEmptyParentHeaders(patch(previous, doc, { trailingComma: false, inlineTableStart: 100 }), previous),
    () => patch(previous, doc, { trailingComma: false }),
  ].map((make) => () => restoreCommentLines(previous, make()));
  for (const attempt of attempts) {
    try {
      const text = attempt();
      if (Bun.deepEquals(parse(text), doc)) return { text, kept: true };
    } catch {
      // the patcher could not express this edit this way
    }
  }
  return { text: stringify(doc), kept: false };
}

const isCommentLine = (line: string) => line.trimStart().startsWith("#");

/**
 * The patcher sometimes drops a comment line next to a key it removes (`# limits` above the next
 * table). Every whole-line comment of `previous` that the edit dropped is put back where it was
 * (a line diff: kept lines, the edit's new lines, and the old comment lines).
 */
function restoreCommentLines(previous: string, edited: string): string {
  const a = previous.split("\n");
  const b = edited.split("\n");
  // Longest common subsequence table, from the end (files are small).
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    const row = lcs[i] as number[];
    const below = lcs[i + 1] as number[];
    for (let j = b.length - 1; j >= 0; j--) {
      row[j] = a[i] === b[j] ? (below[j + 1] as number) + 1 : Math.max(below[j] as number, row[j + 1] as number);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(a[i] as string);
      i++;
      j++;
    } else if (j < b.length && (i >= a.length || (lcs[i]?.[j + 1] ?? 0) >= (lcs[i + 1]?.[j] ?? 0))) {
      out.push(b[j] as string);
      j++;
    } else {
      if (isCommentLine(a[i] as string)) out.push(a[i] as string);
      i++;
    }
  }
  return out.join("\n");
}

/** `[a]` followed only by blank lines and then `[a.b]`: the patcher's empty parent of a new table. */
function dropEmptyParentHeaders(text: string, previous: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const header = /^\[([A-Za-z0-9_.-]+)\]\s*$/.exec(line);
    if (header && !previous.split("\n").some((l) => l.trim() === line.trim())) {
      let j = i + 1;
      while (j < lines.length && (lines[j] as string).trim() === "") j++;
      const child = lines[j]?.trim() ?? "";
      if (child.startsWith(`[${header[1]}.`)) {
        i = j - 1;
        continue;
      }
    }
    out.push(line);
  }
  return out.join("\n");
}

/**
 * Writes the document atomically: a 0600 temp file next to the target, fsync, rename, fsync of the
 * folder. A missing folder is created 0700 (an existing one keeps its mode). The result is always
 * 0600, tightening looser files. With `previous` (the file's text when it was read), comments and
 * layout are kept (see renderConfigText); returns whether they were.
 */
export function writeConfigAtomic(path: string, doc: TomlDoc, previous?: string): boolean {
  const dir = dirname(path);
  const { text, kept } = renderConfigText(previous, doc);
  const tmp = join(dir, `.${basename(path)}.${randomSuffix()}.tmp`);
  let fd: number | undefined;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    fd = openSync(tmp, "wx", 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw new ConfigError(
      "config.write_failed",
      `cannot write ${path} (${code}); check the folder's owner and permissions`,
      {
        cause: e,
      },
    );
  }
  try {
    const dfd = openSync(dir, "r");
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // directory fsync is best effort (not supported everywhere)
  }
  return kept;
}
