// The Markdown agents actually write → Telegram HTML. A deliberately small subset: every construct
// is emitted as open tag + rendered content + close tag, so the output is well-formed by
// construction; markup that does not close (or that Telegram cannot show) stays as escaped text.
import { escapeHtml } from "./html.ts";

/** Beyond this nesting depth, delimiters are literal: bounds recursion on hostile input. */
const MAX_DEPTH = 16;

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const BULLET = /^([ \t]*)[-*+•][ \t]+(.*)$/;
const ORDERED = /^([ \t]*)(\d{1,9})[.)][ \t]+(.*)$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const LANG_SAFE = /^[A-Za-z0-9_+#.-]{1,32}$/;

export function markdownToTelegramHtml(md: string): string {
  const lines = md.replace(/\r\n?/g, "\n").split("\n");
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.trim() === "") {
      if (out.length > 0 && out[out.length - 1] !== "") out.push("");
      i++;
      continue;
    }
    const fence = FENCE_OPEN.exec(line);
    if (fence) {
      i = renderFence(lines, i, fence[1] as string, fence[2] ?? "", out);
      continue;
    }
    if (QUOTE.test(line)) {
      const inner: string[] = [];
      while (i < lines.length) {
        const q = QUOTE.exec(lines[i] as string);
        if (!q) break;
        inner.push(renderLine(q[1] as string));
        i++;
      }
      out.push(`<blockquote>${inner.join("\n")}</blockquote>`);
      continue;
    }
    out.push(renderLine(line));
    i++;
  }
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out.join("\n");
}

/** Renders a fenced block starting at `start`; an unclosed fence runs to the end (as CommonMark). */
function renderFence(lines: string[], start: number, marker: string, info: string, out: string[]): number {
  const closer = new RegExp(`^ {0,3}${marker[0] === "`" ? "`" : "~"}{${marker.length},}[ \\t]*$`);
  const body: string[] = [];
  let i = start + 1;
  while (i < lines.length && !closer.test(lines[i] as string)) body.push(lines[i++] as string);
  const code = escapeHtml(body.join("\n"));
  const lang = LANG_SAFE.test(info) ? info : "";
  // Telegram rejects an entity without visible text, so an empty fence renders as nothing.
  if (code.trim() !== "") {
    out.push(lang ? `<pre><code class="language-${lang}">${code}</code></pre>` : `<pre>${code}</pre>`);
  }
  return i + 1;
}

function renderLine(raw: string): string {
  const line = raw.replace(/[ \t]+$/, "");
  if (RULE.test(line)) return "———";
  const heading = HEADING.exec(line);
  if (heading) return heading[2] ? `<b>${inline(heading[2], 0, true)}</b>` : escapeHtml(line);
  const bullet = BULLET.exec(line);
  if (bullet) return `${bullet[1]}- ${inline(bullet[2] as string, 0, true)}`;
  const ordered = ORDERED.exec(line);
  if (ordered) return `${ordered[1]}${ordered[2]}. ${inline(ordered[3] as string, 0, true)}`;
  return inline(line, 0, true);
}

interface Delim {
  token: string;
  tag: string;
  /** `_` emphasis only at word boundaries, so snake_case stays as written. */
  wordBound: boolean;
}

const DELIMS: readonly Delim[] = [
  { token: "**", tag: "b", wordBound: false },
  { token: "__", tag: "b", wordBound: true },
  { token: "~~", tag: "s", wordBound: false },
  { token: "*", tag: "i", wordBound: false },
  { token: "_", tag: "i", wordBound: true },
];

const WORD = /[\p{L}\p{N}]/u;
const ESCAPABLE = /[\\`*_{}[\]()#+\-.!~>|<&"]/;

const isSpace = (c: string | undefined): boolean => c === undefined || /\s/.test(c);
const isWord = (c: string | undefined): boolean => c !== undefined && WORD.test(c);

function validCloser(s: string, j: number, d: Delim): boolean {
  if (isSpace(s[j - 1])) return false;
  const after = s[j + d.token.length];
  if (d.wordBound && isWord(after)) return false;
  // A single `*`/`_` must not be half of a double one.
  if (d.token.length === 1 && (after === d.token || s[j - 1] === d.token)) return false;
  return true;
}

function inline(s: string, depth: number, links: boolean): string {
  let out = "";
  let plain = 0;
  let i = 0;
  // Earliest start from which a closer search for a token already failed (closer validity depends
  // only on the closer's surroundings, so a later search fails too): keeps odd input linear-ish.
  const noCloserFrom = new Map<string, number>();
  const emit = (upTo: number, html: string, next: number): void => {
    out += escapeHtml(s.slice(plain, upTo)) + html;
    plain = next;
    i = next;
  };
  const findCloser = (d: Delim, from: number): number => {
    const failed = noCloserFrom.get(d.token);
    if (failed !== undefined && from >= failed) return -1;
    for (let j = s.indexOf(d.token, from); j >= 0; j = s.indexOf(d.token, j + 1)) {
      if (validCloser(s, j, d)) return j;
    }
    noCloserFrom.set(d.token, from);
    return -1;
  };

  while (i < s.length) {
    const c = s[i] as string;
    if (c === "\\" && i + 1 < s.length && ESCAPABLE.test(s[i + 1] as string)) {
      emit(i, escapeHtml(s[i + 1] as string), i + 2);
      continue;
    }
    if (c === "`") {
      let n = 1;
      while (s[i + n] === "`") n++;
      const j = closingTicks(s, i + n, n);
      if (j > i + n) {
        const body = s.slice(i + n, j);
        const trimmed = body.length > 2 && body.startsWith(" ") && body.endsWith(" ") ? body.slice(1, -1) : body;
        emit(i, `<code>${escapeHtml(trimmed)}</code>`, j + n);
      } else {
        i += n;
      }
      continue;
    }
    if (c === "[" && links && depth < MAX_DEPTH) {
      const link = parseLink(s, i);
      if (link) {
        const html = link.href
          ? `<a href="${escapeHtml(link.href)}">${inline(link.text, depth + 1, false)}</a>`
          : escapeHtml(s.slice(i, link.end));
        emit(i, html, link.end);
        continue;
      }
    }
    const d = depth < MAX_DEPTH ? DELIMS.find((x) => s.startsWith(x.token, i)) : undefined;
    if (d) {
      const from = i + d.token.length;
      const opens = !isSpace(s[from]) && !(d.wordBound && isWord(s[i - 1]));
      const j = opens ? findCloser(d, from + 1) : -1;
      if (j > from) {
        emit(i, `<${d.tag}>${inline(s.slice(from, j), depth + 1, links)}</${d.tag}>`, j + d.token.length);
      } else {
        i = from;
      }
      continue;
    }
    i++;
  }
  return out + escapeHtml(s.slice(plain));
}

/** Start of the next backtick run of exactly `n` after `from`, or -1. */
function closingTicks(s: string, from: number, n: number): number {
  for (let j = s.indexOf("`", from); j >= 0; ) {
    let k = j;
    while (s[k] === "`") k++;
    if (k - j === n) return j;
    j = s.indexOf("`", k);
  }
  return -1;
}

interface ParsedLink {
  text: string;
  /** Set only for an http(s) URL with a dotted, non-local host; other targets stay plain text. */
  href?: string;
  end: number;
}

function parseLink(s: string, start: number): ParsedLink | undefined {
  let depth = 0;
  let close = -1;
  for (let k = start; k < s.length; k++) {
    const c = s[k];
    if (c === "\\") k++;
    else if (c === "[") depth++;
    else if (c === "]" && --depth === 0) {
      close = k;
      break;
    }
  }
  if (close < 0 || s[close + 1] !== "(") return undefined;
  const end = s.indexOf(")", close + 2);
  if (end < 0) return undefined;
  const target = s.slice(close + 2, end).trim();
  const text = s.slice(start + 1, close);
  if (text === "") return undefined;
  const href = safeHref(target);
  return href ? { text, href, end: end + 1 } : { text, end: end + 1 };
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "0.0.0.0"]);

function safeHref(target: string): string | undefined {
  if (!/^https?:\/\/\S+$/i.test(target)) return undefined;
  try {
    const url = new URL(target);
    if (!url.hostname.includes(".") || LOCAL_HOSTS.has(url.hostname)) return undefined;
    return target;
  } catch {
    return undefined;
  }
}
