// Progress view and final answers → Telegram HTML (parse_mode HTML), always within Telegram's
// 4096-character limit. Everything user- or engine-provided is escaped here.
import type { ActionStatus, ActionView, ProgressState } from "../core/progress.ts";
import { redactSecrets } from "../log/redact.ts";
import {
  escapeHtml,
  parseHtml,
  renderRange,
  safeCut,
  TELEGRAM_TEXT_LIMIT,
  telegramTextLength,
  truncateHtml,
  truncateText,
} from "./html.ts";
import { markdownToTelegramHtml as markdownToHtml } from "./markdown.ts";

export { escapeHtml, TELEGRAM_TEXT_LIMIT, telegramTextLength } from "./html.ts";
export { markdownToTelegramHtml } from "./markdown.ts";

const GLYPH: Record<ActionStatus, string> = { running: "▸", updated: "↻", done: "✓", failed: "✗" };
const TITLE_MAX = 300;
const DETAIL_MAX = 120;
const PATH_MAX = 100;
const FILES_SHOWN = 3;
/** Running actions older than this get an elapsed tail, so a long command visibly lives. */
const STALE_MS = 60_000;
// Caps on the parts that are never cut, so the body always keeps room.
const ENGINE_MAX = 40;
const FOOTER_MAX = 300;
const RESUME_MAX = 1000;

export function formatElapsed(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function fileChanges(a: ActionView): string {
  const changes = Array.isArray(a.detail.changes) ? a.detail.changes : [];
  const items: string[] = [];
  for (const c of changes.slice(0, FILES_SHOWN)) {
    if (typeof c !== "object" || c === null) continue;
    const rec = c as Record<string, unknown>;
    const path = str(rec.path);
    if (!path) continue;
    items.push(`${escapeHtml(str(rec.kind) ?? "update")} <code>${escapeHtml(truncateText(path, PATH_MAX))}</code>`);
  }
  if (items.length === 0) return `files: ${escapeHtml(truncateText(a.title, TITLE_MAX))}`;
  const more = changes.length > FILES_SHOWN ? `, …(${changes.length - FILES_SHOWN} more)` : "";
  return `files: ${items.join(", ")}${more}`;
}

function actionTitle(a: ActionView): string {
  // Commands and engine warnings quote whatever they were given, credentials included.
  const t = escapeHtml(truncateText(redactSecrets(a.title), TITLE_MAX));
  switch (a.kind) {
    case "command":
      return `<code>${t}</code>`;
    case "tool":
      return `tool: ${t}`;
    case "web_search":
      return `searched: ${t}`;
    case "subagent":
      return `subagent: ${t}`;
    case "file_change":
      return fileChanges(a);
    default:
      return t;
  }
}

function detailText(a: ActionView): string | undefined {
  const d = a.detail;
  return str(d.output) ?? str(d.result) ?? str(d.summary) ?? str(d.text) ?? str(d.error);
}

function actionLines(a: ActionView, verbose: boolean, now: number): string {
  let line = `${GLYPH[a.status]} ${actionTitle(a)}`;
  if (a.status === "failed" && a.exitCode !== undefined && a.exitCode !== 0) line += ` (exit ${a.exitCode})`;
  if (a.status === "running" && now - a.startedAtMs >= STALE_MS) line += ` · ${formatElapsed(now - a.startedAtMs)}`;
  const detail = verbose ? detailText(a) : undefined;
  if (detail) line += `\n  → ${escapeHtml(truncateText(redactSecrets(detail).replace(/\s+/g, " "), DETAIL_MAX))}`;
  return line;
}

export interface ProgressRenderOptions {
  maxActions: number;
  verbose: boolean;
  /** Current time (ms, same clock as the state). */
  now: number;
  /** Plain text, e.g. "claude --resume abc"; shown in full, never cut. */
  resumeLine?: string;
  /** Plain text, e.g. "dir: api @feature-x". */
  footerContext?: string;
}

export function renderHeader(state: ProgressState, now: number): string {
  const engine = escapeHtml(truncateText(state.engine, ENGINE_MAX));
  return `<b>${state.label}</b> · ${engine} · ${formatElapsed(state.elapsedMs(now))} · step ${state.steps}`;
}

function renderFooter(state: ProgressState, context: string | undefined): string {
  const meta = [state.meta.model, state.meta.permissionMode, state.trigger].filter((m): m is string => !!m);
  const parts = [context ?? "", meta.join(" · ")].filter((p) => p !== "");
  if (parts.length === 0) return "";
  return `🏷 ${escapeHtml(truncateText(parts.join(" | "), FOOTER_MAX))}`;
}

export function renderResumeLine(resumeLine: string): string {
  return `↩️ <code>${escapeHtml(truncateText(resumeLine, RESUME_MAX))}</code>`;
}

/** The progress message. The body (oldest lines first) is what gets cut to fit. */
export function renderProgress(state: ProgressState, opts: ProgressRenderOptions): string {
  const header = renderHeader(state, opts.now);
  const tail = [renderFooter(state, opts.footerContext), opts.resumeLine ? renderResumeLine(opts.resumeLine) : ""]
    .filter((p) => p !== "")
    .join("\n\n");
  const lines = state.lastActions(opts.maxActions).map((a) => actionLines(a, opts.verbose, opts.now));
  if (state.label === "error" && state.error)
    lines.push(`<i>${escapeHtml(truncateText(redactSecrets(state.error), TITLE_MAX))}</i>`);

  const fixed = telegramTextLength(header) + (tail ? telegramTextLength(tail) + 2 : 0);
  const budget = TELEGRAM_TEXT_LIMIT - fixed - 2; // 2: the blank line after the header
  let body = fitLines(lines, budget);
  if (telegramTextLength(body) > budget) body = truncateHtml(body, budget);
  return [header, body, tail].filter((p) => p !== "").join("\n\n");
}

/** Drops the oldest lines (marking the gap with "…") until the rest fits `budget`. */
function fitLines(lines: string[], budget: number): string {
  const lengths = lines.map((l) => telegramTextLength(l) + 1);
  let total = lengths.reduce((a, b) => a + b, 0) - (lines.length > 0 ? 1 : 0);
  let first = 0;
  while (total > budget && first < lines.length - 1) {
    total -= lengths[first] as number;
    first++;
    if (first === 1) total += 2; // the "…" line
  }
  return (first > 0 ? ["…", ...lines.slice(first)] : lines).join("\n");
}

const MIN_LIMIT = 100;

export interface SplitOptions {
  /** HTML on the first part, and with "continued (i/N)" on the others. */
  header?: string;
  /** HTML (footer, resume line) on the last part only. */
  footer?: string;
  limit?: number;
}

/**
 * The final answer as one or more HTML messages: cut at a paragraph break, else a line break, else a
 * space, else anywhere (never inside a surrogate pair). A tag open at a cut — a code block with its
 * language, bold, a link — is closed and re-opened in the next part.
 */
export function splitForTelegram(md: string, opts: SplitOptions = {}): string[] {
  return splitHtml(markdownToHtml(md), opts);
}

export function splitHtml(html: string, opts: SplitOptions = {}): string[] {
  const limit = opts.limit ?? TELEGRAM_TEXT_LIMIT;
  if (limit < MIN_LIMIT) throw new RangeError(`limit must be at least ${MIN_LIMIT}`);
  // A header or footer can never take the body's room: each gets at most a quarter.
  const header = opts.header ? truncateHtml(opts.header, Math.floor(limit / 4)) : "";
  const footer = opts.footer ? truncateHtml(opts.footer, Math.floor(limit / 4)) : "";
  const doc = parseHtml(html);
  const headerLen = header ? telegramTextLength(header) : 0;
  const footerRoom = footer ? telegramTextLength(footer) + 2 : 0;

  // The marker's width depends on the number of parts: retry with more digits until it holds.
  for (let digits = 1; ; digits++) {
    const marker = "continued (".length + 2 * digits + "/)".length + (header ? " · ".length : 0);
    const room = limit - headerLen - marker - 2;
    const cuts = planCuts(doc.text, room, room - footerRoom);
    if (String(cuts.length).length > digits) continue;
    return cuts.map(([s, e], idx) => {
      const n = cuts.length;
      const isLast = idx === n - 1;
      const top = idx === 0 ? header : n > 1 ? `${header ? `${header} · ` : ""}<i>continued (${idx + 1}/${n})</i>` : "";
      return [top, renderRange(doc, s, e), isLast ? footer : ""].filter((p) => p !== "").join("\n\n");
    });
  }
}

/** [start, end) ranges of `text`; every part ≤ `room`, the last ≤ `lastRoom`. Separators are dropped. */
function planCuts(text: string, room: number, lastRoom: number): Array<[number, number]> {
  const cuts: Array<[number, number]> = [];
  let s = 0;
  while (true) {
    const rest = text.length - s;
    if (rest <= lastRoom) {
      cuts.push([s, text.length]);
      return cuts;
    }
    const window = rest <= room ? lastRoom : room;
    const [end, next] = cutPoint(text, s, window);
    cuts.push([s, end]);
    s = next;
  }
}

/** Where to end a part starting at `s` of at most `room` characters, and where the next one starts. */
function cutPoint(text: string, s: number, room: number): [number, number] {
  const max = s + room;
  for (const sep of ["\n\n", "\n", " "]) {
    const at = text.lastIndexOf(sep, max - sep.length);
    if (at > s) return [at, at + sep.length];
  }
  const hard = safeCut(text, max);
  return hard > s ? [hard, hard] : [max, max];
}
