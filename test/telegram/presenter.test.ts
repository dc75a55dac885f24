import { describe, expect, test } from "bun:test";
import { createMockEngine } from "../../src/engines/mock.ts";
import { answerHead, createRunViewFactory, type PresenterSettings } from "../../src/telegram/presenter.ts";
import { telegramTextLength } from "../../src/telegram/render.ts";

const engine = createMockEngine();
const answer = Array.from({ length: 80 }, (_, i) => `Paragraph ${i}: ${"words ".repeat(30)}`).join("\n\n");

function finished(settings: Partial<PresenterSettings> = {}, source = "telegram") {
  const view = createRunViewFactory(() => ({
    maxActions: 5,
    verbose: false,
    showResumeLine: true,
    messageOverflow: "split",
    showCost: true,
    maxAnswerParts: 100,
    ...settings,
  }))({
    runId: 1,
    engine,
    source,
    startedAt: Date.now(),
  });
  view.setStatus("running");
  view.apply({ type: "started", engine: "mock", resume: { engine: "mock", value: "mock-abc" } });
  view.apply({ type: "completed", engine: "mock", ok: true, answer, resume: { engine: "mock", value: "mock-abc" } });
  view.setStatus("done");
  return view.finalAnswer(Date.now()).parts;
}

describe("final answers", () => {
  test("split: every part within the limit, the resume line on the last only", () => {
    const parts = finished();
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) expect(telegramTextLength(p)).toBeLessThanOrEqual(4096);
    expect(parts.filter((p) => p.includes("mock --session mock-abc"))).toEqual([parts.at(-1)!]);
  });

  test("trim: one message, cut short, saying how to get all of it", () => {
    const parts = finished({ messageOverflow: "trim" });
    expect(parts).toHaveLength(1);
    expect(parts[0]).toContain("message_overflow");
    expect(parts[0]).toContain("mock --session mock-abc");
  });

  test("a triggered run names its source in the footer", () => {
    expect(finished({}, "cron:nightly").at(-1)).toContain("cron:nightly");
  });

  test("no resume line when show_resume_line is off", () => {
    expect(finished({ showResumeLine: false }).join("")).not.toContain("mock --session");
  });
});

describe("answers past max_answer_parts", () => {
  function finishedAnswer(settings: Partial<PresenterSettings>) {
    const view = createRunViewFactory(() => ({
      maxActions: 5,
      verbose: false,
      showResumeLine: true,
      messageOverflow: "split",
      showCost: false,
      maxAnswerParts: 3,
      ...settings,
    }))({ runId: 1, engine, source: "telegram", startedAt: Date.now() });
    view.setStatus("running");
    view.apply({ type: "completed", engine: "mock", ok: true, answer, resume: { engine: "mock", value: "mock-abc" } });
    view.setStatus("done");
    return view.finalAnswer(Date.now());
  }

  test("one short message with the first paragraph and the resume line, plus answer.md holding all of it", () => {
    const final = finishedAnswer({});
    expect(final.parts).toHaveLength(1);
    expect(final.parts[0]).toContain("Paragraph 0:");
    expect(final.parts[0]).not.toContain("Paragraph 1:");
    expect(final.parts[0]).toContain("answer.md");
    expect(final.parts[0]).toContain("mock --session mock-abc");
    expect(final.document?.fileName).toBe("answer.md");
    expect(new TextDecoder().decode(final.document?.data)).toBe(`${answer}\n`);
    expect((final.fallbackParts ?? []).length).toBeGreaterThan(3);
  });

  test("within the limit the answer stays messages; trim never makes a document", () => {
    expect(finishedAnswer({ maxAnswerParts: 100 }).document).toBeUndefined();
    const trimmed = finishedAnswer({ messageOverflow: "trim" });
    expect(trimmed.document).toBeUndefined();
    expect(trimmed.parts).toHaveLength(1);
  });

  test("a first paragraph longer than the head is cut at a word", () => {
    const head = answerHead(`${"word ".repeat(1000)}\n\nsecond`);
    expect(head.length).toBeLessThan(1300);
    expect(head.endsWith(" …")).toBe(true);
  });
});

describe("a chat's /verbose", () => {
  function progressOf(runVerbose: boolean | undefined, configVerbose: boolean): string {
    const view = createRunViewFactory(() => ({
      maxActions: 5,
      verbose: configVerbose,
      showResumeLine: false,
      messageOverflow: "split",
      showCost: false,
      maxAnswerParts: 3,
    }))({
      runId: 1,
      engine,
      source: "telegram",
      startedAt: 0,
      ...(runVerbose === undefined ? {} : { verbose: runVerbose }),
    });
    view.setStatus("running");
    view.apply({ type: "started", engine: "mock", resume: { engine: "mock", value: "s" } });
    view.apply({
      type: "action",
      engine: "mock",
      phase: "completed",
      ok: false,
      action: { id: "c1", kind: "command", title: "cat out.txt", detail: { output: "No such file or directory" } },
    });
    return view.progressHtml(1000, []);
  }

  test("on: each action's output under its line, whatever [progress] verbosity says", () => {
    expect(progressOf(true, false)).toContain("→ No such file or directory");
  });

  test("off: titles only, even when the config is verbose; unset: the config decides", () => {
    expect(progressOf(false, true)).not.toContain("No such file");
    expect(progressOf(undefined, true)).toContain("→ No such file or directory");
    expect(progressOf(undefined, false)).not.toContain("No such file");
  });
});
