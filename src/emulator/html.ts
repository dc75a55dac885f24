// Telegram's parse_mode=HTML: the allowed tags, the four named entities plus numeric ones, and
// tdlib's error texts for malformed markup (offsets in UTF-8 bytes of the source, as Telegram reports).
import { badRequest } from "./api-error.ts";
import type { TgMessageEntity } from "./types.ts";

export interface ParsedText {
  text: string;
  entities: TgMessageEntity[];
}

const ENTITY_OF_TAG: Record<string, string> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  span: "spoiler",
  "tg-spoiler": "spoiler",
  a: "text_link",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
};

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

interface OpenTag {
  tag: string;
  start: number;
  url?: string;
  language?: string;
  expandable?: boolean;
}

function parseError(detail: string): Error {
  return badRequest(`can't parse entities: ${detail}`);
}

function byteOffset(src: string, index: number): number {
  return Buffer.byteLength(src.slice(0, index), "utf8");
}

const isSpace = (c: string | undefined): boolean => c === " " || c === "\n" || c === "\t" || c === "\r";

/** Decodes the entity at `i` (which is "&"); null when it is not one Telegram knows (kept literally). */
function decodeEntity(src: string, i: number): { char: string; next: number } | null {
  const m = /^&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,10}|[a-zA-Z]{2,8});/.exec(src.slice(i, i + 16));
  if (!m || m[1] === undefined) return null;
  const body = m[1];
  const next = i + m[0].length;
  if (!body.startsWith("#")) {
    const named = NAMED[body.toLowerCase()];
    return named === undefined ? null : { char: named, next };
  }
  const code =
    body[1] === "x" || body[1] === "X" ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
  if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return null;
  return { char: String.fromCodePoint(code), next };
}

function decodeAll(value: string): string {
  let out = "";
  for (let i = 0; i < value.length; ) {
    const d = value[i] === "&" ? decodeEntity(value, i) : null;
    if (d) {
      out += d.char;
      i = d.next;
    } else {
      out += value[i];
      i++;
    }
  }
  return out;
}

/** Reads `<tag attr="v" flag>` starting at `i` (the "<"); returns the tag, its attributes and the index after ">". */
function readStartTag(src: string, i: number): { tag: string; attrs: Map<string, string>; next: number } {
  const begin = i;
  let j = i + 1;
  while (j < src.length && !isSpace(src[j]) && src[j] !== ">") j++;
  const tag = src.slice(i + 1, j).toLowerCase();
  if (!(tag in ENTITY_OF_TAG))
    throw parseError(`Unsupported start tag "${tag}" at byte offset ${byteOffset(src, begin)}`);
  const attrs = new Map<string, string>();
  for (;;) {
    while (isSpace(src[j])) j++;
    if (j >= src.length) throw parseError(`Unclosed start tag at byte offset ${byteOffset(src, begin)}`);
    if (src[j] === ">") return { tag, attrs, next: j + 1 };
    const nameStart = j;
    while (j < src.length && !isSpace(src[j]) && src[j] !== "=" && src[j] !== ">") j++;
    const name = src.slice(nameStart, j).toLowerCase();
    while (isSpace(src[j])) j++;
    if (src[j] !== "=") {
      attrs.set(name, "");
      continue;
    }
    j++;
    while (isSpace(src[j])) j++;
    const quote = src[j];
    let value: string;
    if (quote === '"' || quote === "'") {
      const end = src.indexOf(quote, j + 1);
      if (end < 0) throw parseError(`Unclosed start tag at byte offset ${byteOffset(src, begin)}`);
      value = src.slice(j + 1, end);
      j = end + 1;
    } else {
      const valueStart = j;
      while (j < src.length && !isSpace(src[j]) && src[j] !== ">") j++;
      value = src.slice(valueStart, j);
    }
    attrs.set(name, decodeAll(value));
  }
}

function openTag(
  src: string,
  begin: number,
  tag: string,
  attrs: Map<string, string>,
  start: number,
  parent?: OpenTag,
): OpenTag {
  if (tag === "span" && attrs.get("class") !== "tg-spoiler") {
    throw parseError(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(src, begin)}`);
  }
  const open: OpenTag = { tag, start };
  if (tag === "a") open.url = attrs.get("href");
  if (tag === "code" && parent?.tag === "pre") {
    const cls = attrs.get("class") ?? "";
    if (cls.startsWith("language-")) open.language = cls.slice("language-".length);
  }
  if (tag === "blockquote" && attrs.has("expandable")) open.expandable = true;
  return open;
}

function entityOf(open: OpenTag, end: number): TgMessageEntity | null {
  const length = end - open.start;
  if (length <= 0) return null;
  const base = { offset: open.start, length };
  switch (open.tag) {
    case "a":
      return open.url ? { type: "text_link", ...base, url: open.url } : null;
    case "blockquote":
      return { type: open.expandable ? "expandable_blockquote" : "blockquote", ...base };
    case "code":
      // <pre><code class="language-x"> is one pre entity with a language, not two entities.
      return open.language !== undefined ? null : { type: "code", ...base };
    case "pre":
      return open.language !== undefined ? { type: "pre", ...base, language: open.language } : { type: "pre", ...base };
    default:
      return { type: ENTITY_OF_TAG[open.tag] ?? "bold", ...base };
  }
}

/** Parses Telegram HTML into plain text and entities, or throws ApiError 400 "can't parse entities: …". */
export function htmlToEntities(src: string): ParsedText {
  let text = "";
  const entities: TgMessageEntity[] = [];
  const stack: OpenTag[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === "&") {
      const d = decodeEntity(src, i);
      text += d ? d.char : "&";
      i = d ? d.next : i + 1;
      continue;
    }
    if (c !== "<") {
      text += c;
      i++;
      continue;
    }
    const begin = i;
    if (src[i + 1] !== "/") {
      const { tag, attrs, next } = readStartTag(src, i);
      stack.push(openTag(src, begin, tag, attrs, text.length, stack.at(-1)));
      i = next;
      continue;
    }
    const close = src.indexOf(">", i);
    if (close < 0) throw parseError(`Unclosed end tag at byte offset ${byteOffset(src, begin)}`);
    const name = src
      .slice(i + 2, close)
      .trim()
      .toLowerCase();
    const top = stack.at(-1);
    if (!top) throw parseError(`Unexpected end tag at byte offset ${byteOffset(src, begin)}`);
    if (name !== top.tag) {
      throw parseError(
        `Unmatched end tag at byte offset ${byteOffset(src, begin)}, expected "</${top.tag}>", found "</${name}>"`,
      );
    }
    stack.pop();
    const e = entityOf(top, text.length);
    if (e) entities.push(e);
    const parent = stack.at(-1);
    if (top.language !== undefined && parent?.tag === "pre") parent.language = top.language;
    i = close + 1;
  }
  const unclosed = stack.at(-1);
  if (unclosed) throw parseError(`Can't find end tag corresponding to start tag "${unclosed.tag}"`);
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text, entities };
}
