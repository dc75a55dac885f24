// Each real engine, replayed from its recorded transcript by a fake CLI on PATH, through the bot on
// the emulator: the user sees the engine's actions, its final answer and its resume line. Claude's
// permission requests become Approve/Deny buttons whose answers reach the engine's stdin.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { CompletedEvent, EngineEvent } from "../../src/engines/events.ts";
import { createEngineRegistry } from "../../src/engines/registry.ts";
import { makeFakeCli } from "../support/fake-engine.ts";
import { type Harness, startHarness } from "../support/harness.ts";

const FIX = resolve(import.meta.dir, "../fixtures/engines");
const REPLAYS: Record<string, string> = {
  codex: "codex/tool-shell-workspace-write.stdout.jsonl",
  pi: "pi/tool-bash.stdout.jsonl",
  gemini: "gemini/tool-shell-yolo.stdout.jsonl",
  opencode: "opencode/tool-bash.stdout.jsonl",
  amp: "amp/tool-bash.synthetic.stdout.jsonl",
};

const fakeDir = mkdtempSync(join(tmpdir(), "untether-fakecli-"));
const record = join(fakeDir, "claude-record.json");
// A pause between lines, as a real engine has, so the progress message shows the run as it happens.
// Codex prints only three lines from its command to its final message: its pause is longer, so the
// command is on screen for more than one render interval (min_render_interval = 0.5 in the harness).
const PAUSE_MS: Record<string, number> = { codex: 300 };
for (const [engine, fixture] of Object.entries(REPLAYS))
  makeFakeCli(fakeDir, engine, join(FIX, fixture), { delayMs: PAUSE_MS[engine] ?? 150 });
makeFakeCli(fakeDir, "claude", join(FIX, "claude/tool-bash-allow.exchange.jsonl"), {
  alt: join(FIX, "claude/tool-bash-deny.exchange.jsonl"),
  record,
});

const registry = createEngineRegistry({});

/** What the engine's own parser makes of the recording: the truth the bot must show. */
function expected(engine: string, fixture: string): { completed: CompletedEvent; actions: string[] } {
  const def = registry.get(engine)!;
  const parser = def.createParser({ prompt: "x", cwd: "/tmp" });
  const events: EngineEvent[] = [];
  for (const line of readFileSync(join(FIX, fixture), "utf8").split("\n")) {
    if (!line.trim()) continue;
    events.push(...parser.parse(JSON.parse(line) as Record<string, unknown>));
  }
  const completed = events.find((e): e is CompletedEvent => e.type === "completed")!;
  const actions = events.flatMap((e) => (e.type === "action" ? [e.action.kind] : []));
  return { completed, actions };
}

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { PATH: `${fakeDir}:${process.env.PATH}` } });
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

describe("six engines through the bot", () => {
  for (const [engine, fixture] of Object.entries(REPLAYS)) {
    test(`${engine}: actions, final answer and resume line`, async () => {
      const want = expected(engine, fixture);
      expect(want.completed.ok).toBe(true);
      const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: `/${engine} FAKE_BASH please` });
      const final = await h.emu.waitForBotMessage(
        h.dm,
        (x) => x.reply_to_message_id === m.message_id && /^(done|error) ·/.test(x.text ?? ""),
        20_000,
      );
      expect((final.text ?? "").slice(0, 200)).toStartWith(`done · ${engine}`);
      expect(final.text ?? "").toContain(want.completed.answer.trim().slice(0, 30));
      const resumeLine = registry.get(engine)!.resume.format(want.completed.resume!);
      expect(final.text ?? "").toContain(resumeLine);
      // The progress message showed the engine's command while it ran.
      const progress = h.emu
        .history(h.dm)
        .find((x) => x.reply_to_message_id === m.message_id && x.message_id !== final.message_id);
      expect(progress).toBeDefined();
      await h.emu.waitFor(() => h.emu.history(h.dm).find((x) => x.message_id === progress!.message_id)?.deleted, 5000);
      if (want.actions.includes("command")) {
        const edits = h.emu
          .calls({ method: "editMessageText" })
          .filter((c) => Number((c.params as Record<string, unknown>).message_id) === progress!.message_id);
        expect(edits.some((c) => String((c.params as Record<string, unknown>).text).includes("echo hello"))).toBe(true);
      }
    }, 30_000);
  }
});

/** The lines the fake Claude received on stdin, as one JSON text. */
function stdinSeen(): string {
  const rec = JSON.parse(readFileSync(record, "utf8")) as { stdin: unknown[] };
  return JSON.stringify(rec.stdin.map((l) => (typeof l === "string" ? JSON.parse(l) : l)));
}

describe("claude approvals", () => {
  async function askAndPress(label: string, from: number) {
    const m = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, text: "/claude FAKE_BASH run it" });
    const progress = await h.emu.waitForBotMessage(
      h.group,
      (x) => x.reply_to_message_id === m.message_id && JSON.stringify(x.reply_markup ?? {}).includes("Approve"),
      20_000,
    );
    expect(progress.text ?? "").toContain("Permission needed: Bash");
    expect(progress.text ?? "").toContain("echo hello > out.txt");
    const press = h.emu.pressButton({ chatId: h.group, messageId: progress.message_id, from, text: label });
    return { m, progress, toast: await h.emu.waitForCallbackAnswer(press.id) };
  }

  test("a stranger's press is refused; Approve sends the allow response and the tool runs", async () => {
    const { m, progress, toast } = await askAndPress("✅ Approve", h.mallory);
    expect(toast.text ?? "").toBe("Not authorised.");
    const own = h.emu.pressButton({
      chatId: h.group,
      messageId: progress.message_id,
      from: h.alice,
      text: "✅ Approve",
    });
    expect((await h.emu.waitForCallbackAnswer(own.id)).text).toBe("Approved.");
    const final = await h.emu.waitForBotMessage(
      h.group,
      (x) => x.reply_to_message_id === m.message_id && /^done/.test(x.text ?? ""),
      20_000,
    );
    expect(final.text ?? "").toContain("Tool finished");
    const responses = stdinSeen();
    expect(responses).toContain('"behavior":"allow"');
    expect(responses).toContain('"updatedInput":{"command":"echo hello > out.txt"');
  }, 30_000);

  test("Deny sends the deny response and the agent reports it", async () => {
    const { m, toast } = await askAndPress("❌ Deny", h.alice);
    expect(toast.text ?? "").toBe("Denied.");
    const final = await h.emu.waitForBotMessage(
      h.group,
      (x) => x.reply_to_message_id === m.message_id && /^(done|error)/.test(x.text ?? ""),
      20_000,
    );
    expect(final.text ?? "").toMatch(/Tool failed|denied/i);
    expect(stdinSeen()).toContain('"behavior":"deny"');
  }, 30_000);
});
