// JSON lines from a child's stdout: partial UTF-8 across chunks, a last line without newline, and
// lines of many megabytes without quadratic re-scanning (only the new chunk is searched).

/** Lines longer than this are skipped (reported as oversized), not buffered forever. */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;

export type LineItem = { line: string } | { oversized: number };

export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  maxChars = MAX_LINE_CHARS,
): AsyncGenerator<LineItem> {
  const dec = new TextDecoder();
  let parts: string[] = [];
  let size = 0;
  let skipping = false;
  const push = (s: string) => {
    if (skipping) {
      size += s.length;
      return;
    }
    parts.push(s);
    size += s.length;
    if (size > maxChars) {
      skipping = true;
      parts = [];
    }
  };
  const finish = (): LineItem => {
    const item: LineItem = skipping ? { oversized: size } : { line: parts.join("") };
    parts = [];
    size = 0;
    skipping = false;
    return item;
  };
  for await (const chunk of stream) {
    const text = dec.decode(chunk, { stream: true });
    let start = 0;
    for (let idx = text.indexOf("\n"); idx >= 0; idx = text.indexOf("\n", start)) {
      push(text.slice(start, idx));
      yield finish();
      start = idx + 1;
    }
    if (start < text.length) push(text.slice(start));
  }
  const tail = dec.decode();
  if (tail) push(tail);
  if (size > 0 || parts.length > 0) yield finish();
}

/** A JSON object from a line, tolerating a prefix before the first "{" (some CLIs print warnings). */
export function decodeJsonLine(line: string): Record<string, unknown> | undefined {
  // No trim(): on a multi-megabyte line it would copy it; JSON.parse skips surrounding whitespace.
  const start = line.indexOf("{");
  if (start < 0) return undefined;
  try {
    const v: unknown = JSON.parse(start === 0 ? line : line.slice(start));
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
