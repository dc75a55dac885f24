// `@branch` through the bot on the emulator: the run happens in the branch's git worktree.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { git as gitIn } from "../support/git.ts";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;

const git = (...args: string[]) => gitIn(h.project, h.home, ...args);

beforeAll(async () => {
  // Files on, outbox delivery off: what the agent writes into .untether-outbox/ stays where it ran.
  h = await startHarness({ telegramToml: "\n[transports.telegram.files]\nenabled = true\noutbox_enabled = false\n" });
  git("init", "-q", "-b", "main");
  writeFileSync(join(h.project, "README.md"), "main\n");
  git("add", "README.md");
  git("commit", "-q", "-m", "init");
  git("checkout", "-q", "-b", "feature-x");
  writeFileSync(join(h.project, "branch.txt"), "only on feature-x\n");
  git("add", "branch.txt");
  git("commit", "-q", "-m", "branch");
  git("checkout", "-q", "main");
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

const finalFor = (id: number) =>
  h.emu.waitForBotMessage(
    h.dm,
    (x) => x.reply_to_message_id === id && /^(done|error|cancelled) ·/.test(x.text ?? ""),
    30_000,
  );

describe("@branch worktrees", () => {
  test("@feature-x runs the agent in <project>/.worktrees/feature-x with the branch checked out", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "@feature-x mock:outbox r.txt" });
    const final = await finalFor(m.message_id);
    expect(final.text ?? "").toStartWith("done");
    expect(final.text ?? "").toContain("demo @feature-x");
    const wt = join(h.project, ".worktrees", "feature-x");
    expect(git("-C", wt, "rev-parse", "--abbrev-ref", "HEAD")).toBe("feature-x");
    expect(existsSync(join(wt, ".untether-outbox", "r.txt"))).toBe(true);
    expect(existsSync(join(h.project, ".untether-outbox"))).toBe(false);
    expect(git("rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
  }, 60_000);

  test("a new branch gets a new worktree from the default branch", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/mock @fix/new-thing hello" });
    const final = await finalFor(m.message_id);
    expect(final.text ?? "").toContain("You said: hello");
    const wt = join(h.project, ".worktrees", "fix", "new-thing");
    expect(git("-C", wt, "rev-parse", "--abbrev-ref", "HEAD")).toBe("fix/new-thing");
    expect(git("-C", wt, "rev-parse", "HEAD")).toBe(git("rev-parse", "main"));
  }, 60_000);

  test("a bad branch name gets an error reply and no run", async () => {
    const before = h.emu.botMessages(h.dm).length;
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "@../../etc hello" });
    const r = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id, 15_000);
    expect(r.text ?? "").toContain("invalid branch name");
    // A later run finishes first proves nothing else was queued for the bad message.
    const next = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "after the bad one" });
    await finalFor(next.message_id);
    expect(h.emu.botMessages(h.dm).filter((x) => x.reply_to_message_id === m.message_id)).toHaveLength(1);
    expect(h.emu.botMessages(h.dm).length).toBeGreaterThan(before);
    expect(existsSync(join(h.project, "..", "etc"))).toBe(false);
  }, 60_000);

  test("/file @feature-x get reads from the branch's worktree; plain /file get from the project root", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/file @feature-x get branch.txt" });
    const r = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id, 15_000);
    expect(r.document?.file_name).toBe("branch.txt");
    expect(new TextDecoder().decode(h.emu.fileBytes(r.document!.file_id))).toBe("only on feature-x\n");
    const plain = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/file get branch.txt" });
    const p = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === plain.message_id, 15_000);
    expect(p.document).toBeUndefined();
  }, 60_000);
});
