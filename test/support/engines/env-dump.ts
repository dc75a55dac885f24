#!/usr/bin/env bun
// Fake engine: prints its own environment (names and values) as one JSON line, then, with --wait,
// blocks until a line arrives on stdin (so a test can inspect /proc/<pid>/environ while it lives).
const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
process.stdout.write(`${JSON.stringify({ type: "env", pid: process.pid, env })}\n`);
if (process.argv.includes("--wait")) {
  const reader = Bun.stdin.stream().getReader();
  await reader.read();
}
process.stdout.write(`${JSON.stringify({ type: "done", answer: "env dumped" })}\n`);
