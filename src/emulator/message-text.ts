// Turns a bot's text or caption parameter into what Telegram stores: entities parsed, surrounding
// whitespace trimmed (Telegram does), then emptiness and length checked with Telegram's error texts.
import { badRequest } from "./api-error.ts";
import { htmlToEntities, type ParsedText } from "./html.ts";
import type { TgMessageEntity } from "./types.ts";

export const MAX_TEXT = 4096;
export const MAX_CAPTION = 1024;

export interface StoredText extends ParsedText {
  /** The source as the bot sent it (HTML when parse_mode was HTML). */
  raw: string;
  parseMode?: "HTML";
}

function trimmed(parsed: ParsedText): ParsedText {
  const lead = parsed.text.length - parsed.text.trimStart().length;
  const text = parsed.text.trim();
  const entities: TgMessageEntity[] = [];
  for (const e of parsed.entities) {
    const start = Math.max(0, e.offset - lead);
    const end = Math.min(text.length, e.offset + e.length - lead);
    if (end > start) entities.push({ ...e, offset: start, length: end - start });
  }
  return { text, entities };
}

function parse(raw: string, parseMode: string | undefined, entities: TgMessageEntity[] | undefined): StoredText {
  if (parseMode === undefined || parseMode === "") return { raw, ...trimmed({ text: raw, entities: entities ?? [] }) };
  if (parseMode.toLowerCase() === "html") return { raw, parseMode: "HTML", ...trimmed(htmlToEntities(raw)) };
  // Markdown and MarkdownV2 exist on Telegram; the emulator implements only what Untether sends.
  throw badRequest(`unsupported parse_mode "${parseMode}" (the emulator implements HTML only)`);
}

/** Length as Telegram counts it: UTF-16 code units, the unit entity offsets use. */
export function messageText(raw: string | undefined, parseMode?: string, entities?: TgMessageEntity[]): StoredText {
  const parsed = parse(raw ?? "", parseMode, entities);
  if (parsed.text.length === 0) throw badRequest("message text is empty");
  if (parsed.text.length > MAX_TEXT) throw badRequest("message is too long");
  return parsed;
}

/** A caption may be absent or empty; it is limited to 1024 characters. */
export function captionText(
  raw: string | undefined,
  parseMode?: string,
  entities?: TgMessageEntity[],
): StoredText | undefined {
  if (raw === undefined) return undefined;
  const parsed = parse(raw, parseMode, entities);
  if (parsed.text.length === 0) return undefined;
  if (parsed.text.length > MAX_CAPTION) throw badRequest("message caption is too long");
  return parsed;
}
