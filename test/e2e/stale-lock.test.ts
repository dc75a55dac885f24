// A lock file whose pid now belongs to another program (pids are reused after a crash) does not keep
// the compiled binary from starting; a live untether still does (test/cli/binary.test.ts).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;
let other: Bun.Subprocess;

beforeAll(async () => {
  h = await startHarness();
  other = Bun.spawn(["sleep", "60"], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
});

afterAll(async () => {
  other.kill();
  await h.stop();
  await h.emu.stop();
});

test("a lock naming a live pid of another program (a different start time) is taken over", async () => {
  expect(await h.stop()).toBe(0);
  // As a crashed untether would have left it, with its pid since reused by `sleep`.
  writeFileSync(
    `${h.configPath}.lock`,
    JSON.stringify({ pid: other.pid, startedAt: new Date().toISOString(), procStart: "1" }),
    { mode: 0o600 },
  );
  await h.restart();
  const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "still here?" });
  const answer = await h.emu.waitForBotMessage(
    h.dm,
    (x) => x.reply_to_message_id === m.message_id && /^done/.test(x.text ?? ""),
    20_000,
  );
  expect(answer.text ?? "").toContain("You said: still here?");
  expect(other.exitCode).toBeNull();
}, 60_000);
