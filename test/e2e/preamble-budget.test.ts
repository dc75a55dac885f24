// [preamble] and [cost_budget] through the bot: a real engine (a fake CLI on PATH recording what it
// received) gets the preamble before the user's text; the mock engine does not. A run that reports a
// cost over the day's limit lets that run finish and refuses the next one, naming the key.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { formatUsd } from "../../src/core/cost-budget.ts";
import { BUILTIN_PREAMBLE } from "../../src/core/preamble.ts";
import { makeFakeCli } from "../support/fake-engine.ts";
import { type Harness, startHarness } from "../support/harness.ts";

const FIX = resolve(import.meta.dir, "../fixtures/engines");
const fakeDir = mkdtempSync(join(tmpdir(), "untether-fakecli-"));
const record = join(fakeDir, "codex-record.json");
makeFakeCli(fakeDir, "codex", join(FIX, "codex/say-hi.stdout.jsonl"), { record });
makeFakeCli(fakeDir, "claude", join(FIX, "claude/say-hi.stdout.jsonl"));
/** The total_cost_usd the claude fixture's result line reports. */
function claudeFixtureCost(): number {
  for (const line of readFileSync(join(FIX, "claude/say-hi.stdout.jsonl"), "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const m = JSON.parse(line) as { type?: unknown; total_cost_usd?: unknown };
    if (m.type === "result" && typeof m.total_cost_usd === "number") return m.total_cost_usd;
  }
  throw new Error("claude/say-hi.stdout.jsonl reports no total_cost_usd");
}
const env = { PATH: `${fakeDir}:${process.env.PATH}` };

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  await h?.emu.stop();
  h = undefined;
});

async function finalFor(hh: Harness, text: string) {
  const m = hh.emu.sendUserMessage({ chatId: hh.dm, from: hh.alice, text });
  return hh.emu.waitForBotMessage(
    hh.dm,
    (x) => x.reply_to_message_id === m.message_id && /^(done|error) ·/.test(x.text ?? ""),
    20_000,
  );
}

/** What the fake codex read on stdin (its prompt). */
function codexPrompt(): string {
  const rec = JSON.parse(readFileSync(record, "utf8")) as { stdin: string[] };
  return rec.stdin.join("\n");
}

describe("[preamble]", () => {
  test("default: codex gets the built-in preamble, the --- separator, then the user's text; mock gets the bare prompt", async () => {
    h = await startHarness({ env });
    expect((await finalFor(h, "/codex please fix the tests")).text ?? "").toStartWith("done · codex");
    expect(codexPrompt()).toBe(`${BUILTIN_PREAMBLE}\n\n---\n\nplease fix the tests`);
    const mock = await finalFor(h, "just echo me");
    expect(mock.text ?? "").toContain("You said: just echo me");
    expect(mock.text ?? "").not.toContain("Telegram chat through Untether");
  }, 60_000);

  test("a custom text replaces the built-in one", async () => {
    h = await startHarness({ env, extraToml: '\n[preamble]\ntext = "Answer in French."' });
    await finalFor(h, "/codex say hi");
    expect(codexPrompt()).toBe("Answer in French.\n\n---\n\nsay hi");
  }, 60_000);

  test("enabled = false: the prompt goes as sent", async () => {
    h = await startHarness({ env, extraToml: "\n[preamble]\nenabled = false" });
    await finalFor(h, "/codex say hi");
    expect(codexPrompt()).toBe("say hi");
  }, 60_000);
});

describe("[cost_budget]", () => {
  test("a run reporting more than max_cost_per_day finishes, warns, and the next run is refused", async () => {
    // The limits sit below the cost the claude fixture reports (about 60 % and 12 % of it).
    const cost = claudeFixtureCost();
    expect(cost).toBeGreaterThan(0);
    h = await startHarness({
      env,
      extraToml: `\n[cost_budget]\nenabled = true\nmax_cost_per_day = ${cost * 0.6}\nmax_cost_per_run = ${cost * 0.12}`,
    });
    const first = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/claude say hi" });
    const done = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === first.message_id && /^done · claude/.test(x.text ?? ""),
      20_000,
    );
    expect(done.text ?? "").toContain("Hi");
    const perRun = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === first.message_id && (x.text ?? "").includes("cost_budget.max_cost_per_run"),
      10_000,
    );
    expect(perRun.text ?? "").toContain(formatUsd(cost));
    await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === first.message_id && /% of cost_budget\.max_cost_per_day/.test(x.text ?? ""),
      10_000,
    );

    const next = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/claude say hi again" });
    const refused = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === next.message_id, 10_000);
    expect(refused.text ?? "").toContain("cost_budget.max_cost_per_day");
    expect(refused.text ?? "").toContain("untether config set cost_budget.max_cost_per_day");
    expect(refused.text ?? "").toContain("00:00 UTC");
    // Refused before it started: no progress message, no answer.
    expect(h.emu.history(h.dm).filter((x) => x.reply_to_message_id === next.message_id)).toHaveLength(1);
    // The mock engine reports no cost, but the day's limit holds for every engine.
    const mock = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "hello" });
    const refusedMock = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === mock.message_id, 10_000);
    expect(refusedMock.text ?? "").toContain("cost_budget.max_cost_per_day");
  }, 60_000);
});
