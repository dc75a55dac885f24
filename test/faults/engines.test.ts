// Engines that misbehave at the process level, driven through the bot with a fake `codex` on PATH
// (test/faults/support/fake-codex.sh): a CLI that forks children and exits without waiting for them,
// and a CLI that prints a 5 MB JSON line.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { delimiter } from "node:path";
import { type Harness, startHarness } from "../support/harness.ts";
import { fakeCliDir, waitGone } from "./support/cli.ts";

let h: Harness;
let leaked: number[] = [];

beforeAll(async () => {
  h = await startHarness({ env: { PATH: [fakeCliDir("codex", "fake-codex.sh"), process.env.PATH].join(delimiter) } });
});

afterAll(async () => {
  for (const pid of leaked) {
    try {
      process.kill(pid, "SIGKILL"); // only if the test failed: never leave `sleep 300` behind
    } catch {
      // gone, as expected
    }
  }
  await h.stop();
  await h.emu.stop();
});

async function ask(text: string, timeoutMs = 30_000) {
  const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text });
  // The final answer: a new message without buttons (the progress message keeps its Cancel button).
  return await h.emu.waitForBotMessage(
    h.dm,
    (x) => x.reply_to_message_id === m.message_id && !x.reply_markup && /^(done|error|cancelled) ·/.test(x.text ?? ""),
    timeoutMs,
  );
}

describe("engine processes", () => {
  test("a CLI that forks `sleep 300` children and exits: the answer arrives and every child is killed", async () => {
    const final = await ask("/codex fork please");
    expect(final.text ?? "").toStartWith("done · codex");
    const m = /forked children pids: (\d+) (\d+)/.exec(final.text ?? "");
    expect(m).not.toBeNull();
    const pids = [Number(m![1]), Number(m![2])];
    leaked = pids;
    expect(pids.every((p) => p > 1)).toBe(true);
    // Both children, the one holding stdout and the one that detached its stdio, die with the run.
    expect(await waitGone(pids)).toEqual([]);
    expect((await ask("still here?")).text ?? "").toContain("You said: still here?");
  }, 60_000);

  test("a 5 MB JSON line (a command's whole output) does not stop the run: the answer arrives", async () => {
    const final = await ask("/codex cat the big log", 60_000);
    expect(final.text ?? "").toStartWith("done · codex");
    expect(final.text ?? "").toContain("the big line went through");
    // None of the 5 MB leaked into a message: every bot message is within Telegram's limit.
    for (const b of h.emu.botMessages(h.dm)) expect((b.text ?? "").length).toBeLessThanOrEqual(4096);
    expect(h.proc.exitCode).toBeNull();
    expect((await ask("and after the big line?")).text ?? "").toContain("You said: and after the big line?");
  }, 90_000);
});
