// reply_markup validation with Telegram's error texts. Only inline keyboards end up on a message
// (Telegram never echoes reply keyboards back in Message.reply_markup).
import { badRequest } from "./api-error.ts";
import type { TgInlineKeyboardButton, TgInlineKeyboardMarkup } from "./types.ts";

const MAX_CALLBACK_DATA_BYTES = 64;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function button(raw: unknown): TgInlineKeyboardButton {
  if (!isRecord(raw) || typeof raw.text !== "string")
    throw badRequest("can't parse inline keyboard button: Text must be a String");
  if (raw.text.trim() === "") throw badRequest("text buttons are unallowed in the inline keyboard");
  if (typeof raw.callback_data === "string") {
    const bytes = Buffer.byteLength(raw.callback_data, "utf8");
    if (bytes < 1 || bytes > MAX_CALLBACK_DATA_BYTES) throw badRequest("BUTTON_DATA_INVALID");
    return { text: raw.text, callback_data: raw.callback_data };
  }
  if (typeof raw.url === "string") {
    if (!/^(https?|tg):\/\/\S+$/i.test(raw.url)) throw badRequest("BUTTON_URL_INVALID");
    return { text: raw.text, url: raw.url };
  }
  throw badRequest("can't parse inline keyboard button: InlineKeyboardButton must have exactly one optional field");
}

/** The inline keyboard to keep on the message, undefined when there is none (or another markup kind). */
export function inlineKeyboard(raw: unknown): TgInlineKeyboardMarkup | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) throw badRequest("can't parse reply keyboard markup JSON object");
  if (!("inline_keyboard" in raw)) return undefined;
  const rows = raw.inline_keyboard;
  if (!Array.isArray(rows)) throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array');
  const keyboard = rows.map((row) => {
    if (!Array.isArray(row))
      throw badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
    return row.map(button);
  });
  const nonEmpty = keyboard.filter((row) => row.length > 0);
  return nonEmpty.length > 0 ? { inline_keyboard: nonEmpty } : undefined;
}
