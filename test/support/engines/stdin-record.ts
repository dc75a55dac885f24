#!/usr/bin/env bun
// Fake engine CLI that records how it was started: its argv and everything it read on stdin, as JSON
// { argv, stdin } in the file named by UNTETHER_TEST_RECORD. It reads until stdin ends, or until a
// complete JSON line carrying a prompt arrives (Claude's and the mock's stdin stays open for answers).
import { writeFileSync } from "node:fs";

function carriesPrompt(line: string): boolean {
  try {
    const msg = JSON.parse(line) as { type?: unknown };
    return msg.type === "user" || msg.type === "prompt";
  } catch {
    return false;
  }
}

const dec = new TextDecoder();
let stdin = "";
let checked = 0;
read: for await (const chunk of Bun.stdin.stream()) {
  stdin += dec.decode(chunk, { stream: true });
  for (let nl = stdin.indexOf("\n", checked); nl >= 0; nl = stdin.indexOf("\n", checked)) {
    const line = stdin.slice(checked, nl);
    checked = nl + 1;
    if (carriesPrompt(line)) break read;
  }
}
stdin += dec.decode();
writeFileSync(process.env.UNTETHER_TEST_RECORD ?? "/dev/null", JSON.stringify({ argv: process.argv.slice(2), stdin }));
// Stay alive a moment (stdin fully read, so nothing more can arrive): a /proc scanner running beside
// the test must get to see this process even on a loaded machine.
await Bun.sleep(300);
process.exit(0);
