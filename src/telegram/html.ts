// Telegram HTML primitives: escaping, length as Telegram counts it, and cutting well-formed HTML at
// visible-character positions (open tags are closed at a cut and re-opened after it, so a code
// block split across two messages keeps its language).

/** The 4096 "characters after entity parsing" limit of sendMessage / editMessageText. */
export const TELEGRAM_TEXT_LIMIT = 4096;

import { escapeHtml } from "../core/html.ts";

export { escapeHtml };

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/** Telegram supports numeric entities and only these four named ones. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot);/g, (whole, ent: string) => {
    if (ent[0] !== "#") return NAMED[ent] ?? whole;
    const code =
      ent[1] === "x" || ent[1] === "X" ? Number.parseInt(ent.slice(2), 16) : Number.parseInt(ent.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

const TAG = /<[^>]*>/g;

/** The visible text of an HTML message: tags removed, entities decoded. */
export function visibleText(html: string): string {
  return decodeEntities(html.replace(TAG, ""));
}

/** Message length as Telegram counts it: visible text in UTF-16 code units. */
export function telegramTextLength(html: string): number {
  return visibleText(html).length;
}

interface OpenTag {
  readonly name: string;
  readonly raw: string;
}

interface TextRun {
  readonly text: string;
  /** The tags open around this text, outermost first. Shared between runs: compared by identity. */
  readonly stack: readonly OpenTag[];
  /** Offset of this run in the document's visible text. */
  readonly start: number;
}

/** Well-formed HTML as visible text plus, for every stretch of it, the tags around it. */
export interface HtmlDoc {
  readonly text: string;
  readonly runs: readonly TextRun[];
}

const TOKEN = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>|[^<]+|</g;

/** Parses HTML we produced (or a caller's well-formed header/footer). Empty elements are dropped. */
export function parseHtml(html: string): HtmlDoc {
  const runs: TextRun[] = [];
  let stack: readonly OpenTag[] = [];
  let text = "";
  for (const m of html.matchAll(TOKEN)) {
    const [raw, slash, name] = m;
    if (name === undefined) {
      const t = raw === "<" ? "<" : decodeEntities(raw);
      runs.push({ text: t, stack, start: text.length });
      text += t;
    } else if (slash === "") {
      stack = [...stack, { name: name.toLowerCase(), raw }];
    } else {
      const at = stack.map((t) => t.name).lastIndexOf(name.toLowerCase());
      if (at >= 0) stack = stack.slice(0, at);
    }
  }
  return { text, runs };
}

function runIndexAt(doc: HtmlDoc, offset: number): number {
  let lo = 0;
  let hi = doc.runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((doc.runs[mid] as TextRun).start <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The HTML of visible characters [start, end), every tag balanced. */
export function renderRange(doc: HtmlDoc, start: number, end: number): string {
  if (end <= start || doc.runs.length === 0) return "";
  let out = "";
  let open: readonly OpenTag[] = [];
  for (let i = runIndexAt(doc, start); i < doc.runs.length; i++) {
    const run = doc.runs[i] as TextRun;
    if (run.start >= end) break;
    const from = Math.max(start, run.start) - run.start;
    const to = Math.min(end, run.start + run.text.length) - run.start;
    if (to <= from) continue;
    let common = 0;
    while (common < open.length && common < run.stack.length && open[common] === run.stack[common]) common++;
    for (let k = open.length - 1; k >= common; k--) out += `</${(open[k] as OpenTag).name}>`;
    for (let k = common; k < run.stack.length; k++) out += (run.stack[k] as OpenTag).raw;
    open = run.stack;
    out += escapeHtml(run.text.slice(from, to));
  }
  for (let k = open.length - 1; k >= 0; k--) out += `</${(open[k] as OpenTag).name}>`;
  return out;
}

/** Never cut between the two halves of a surrogate pair. */
export function safeCut(text: string, at: number): number {
  if (at <= 0 || at >= text.length) return at;
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

/** At most `max` visible characters; a cut text ends with "…". */
export function truncateHtml(html: string, max: number): string {
  const doc = parseHtml(html);
  if (doc.text.length <= max) return html;
  if (max <= 0) return "";
  return `${renderRange(doc, 0, safeCut(doc.text, max - 1))}…`;
}

/** Plain text cut to `max` UTF-16 units with "…" (before escaping). */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, safeCut(text, max - 1))}…`;
}
