#!/usr/bin/env bun
// Fake engine: one JSON line of about 5 MB (written in pieces, with multibyte characters), then a result.
const size = Number(process.argv[2] ?? 5_000_000);
const piece = "é€x".repeat(1000);
const out = Bun.stdout.writer();
out.write('{"type":"note","text":"');
for (let n = 0; n < size; n += piece.length) out.write(piece);
out.write('"}\n{"type":"done","answer":"big"}\n');
await out.flush();
