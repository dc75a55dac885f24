import { expect, test } from "bun:test";
import { decodeJsonLine, type LineItem, readLines } from "../../src/engines/jsonl.ts";

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(ch);
      c.close();
    },
  });
}

async function collect(chunks: Uint8Array[], max?: number): Promise<LineItem[]> {
  const out: LineItem[] = [];
  for await (const item of readLines(streamOf(chunks), max)) out.push(item);
  return out;
}

test("multibyte characters split across chunks, and a last line without newline", async () => {
  const bytes = new TextEncoder().encode('{"a":"é€😀"}\n{"b":1}');
  const chunks = Array.from(bytes, (b) => Uint8Array.of(b)); // one byte per chunk
  expect(await collect(chunks)).toEqual([{ line: '{"a":"é€😀"}' }, { line: '{"b":1}' }]);
});

test("an oversized line is skipped and reported, the next line still arrives", async () => {
  const enc = new TextEncoder();
  const items = await collect([enc.encode("x".repeat(50)), enc.encode(`${"y".repeat(50)}\n{"ok":true}\n`)], 64);
  expect(items).toEqual([{ oversized: 100 }, { line: '{"ok":true}' }]);
});

test("decodeJsonLine: objects only, tolerating a prefix before the first brace", () => {
  expect(decodeJsonLine('{"a":1}')).toEqual({ a: 1 });
  expect(decodeJsonLine('Warning: x {"a":1}')).toEqual({ a: 1 });
  expect(decodeJsonLine("[1,2]")).toBeUndefined();
  expect(decodeJsonLine("null")).toBeUndefined();
  expect(decodeJsonLine("{broken")).toBeUndefined();
  expect(decodeJsonLine("   ")).toBeUndefined();
});
