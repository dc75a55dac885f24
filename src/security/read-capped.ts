// Reading a body without trusting its size: counted while it streams, cancelled as soon as it passes
// the cap, so at most the cap plus one chunk is ever held. Used for webhook bodies, outbound
// responses and Telegram file downloads.

export class StreamTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`more than ${maxBytes} bytes`);
  }
}

/** The stream's bytes, or StreamTooLargeError past `maxBytes`. Read errors propagate. */
export async function readCapped(stream: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new StreamTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** A declared Content-Length over the cap (or malformed) refuses the body before reading it. */
export function declaredTooLarge(headers: Headers, maxBytes: number): boolean {
  const declared = headers.get("content-length");
  return declared !== null && (!/^\d+$/.test(declared.trim()) || Number(declared) > maxBytes);
}
