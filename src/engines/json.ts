// Small guards for the untyped JSON lines engines print, and the text helpers every parser uses.

export type Json = Record<string, unknown>;

export function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function numOf(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function rec(v: unknown): Json {
  return isRecord(v) ? v : {};
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** First non-empty string among `keys` of `input`. */
export function pick(input: Json, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = input[k];
    if (typeof v === "string" && v.length > 0) return v;
  }
  return undefined;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Text of a tool result / message content: a string, or a list of `{type:"text",text}` blocks. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((b) => (isRecord(b) && typeof b.text === "string" ? b.text : ""))
      .filter((t) => t.length > 0)
      .join("\n");
  }
  if (isRecord(content) && typeof content.text === "string") return content.text;
  return "";
}

/**
 * Providers wrap their error body as JSON inside a string (`{"error":{"message":…}}`, gemini's
 * `[API Error: {…}]`). Users want the message, not the envelope.
 */
export function unwrapErrorText(text: string): string {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start < 0 || end <= start) return text;
  try {
    const parsed: unknown = JSON.parse(text.slice(start, end + 1));
    const err = isRecord(parsed) ? (isRecord(parsed.error) ? parsed.error : parsed) : {};
    const msg = str(err.message);
    if (!msg) return text;
    const code = numOf(err.code);
    return code === undefined ? msg : `${code} ${msg}`;
  } catch {
    return text;
  }
}
