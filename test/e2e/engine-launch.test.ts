// How the compiled binary launches engines, seen as another local user would see it: while every
// engine runs, a scanner reads every /proc/*/cmdline — no allowlisted secret and no prompt may ever
// appear there. The spawn log names the environment as KEY=*** only and never shows the prompt.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startCmdlineScan } from "../support/cmdline-scanner.ts";
import { makeFakeCli } from "../support/fake-engine.ts";
import { startHarness, type Harness } from "../support/harness.ts";

const FIX = resolve(import.meta.dir, "../fixtures/engines");
const REPLAYS: Record<string, string> = {
  claude: "claude/resume-stream.exchange.jsonl",
  codex: "codex/say-hi.stdout.jsonl",
  pi: "pi/say-hi.stdout.jsonl",
  gemini: "gemini/say-hi.stdout.jsonl",
  opencode: "opencode/say-hi.stdout.jsonl",
  amp: "amp/tool-bash.synthetic.stdout.jsonl",
};

// Secret-looking values of allowlisted names: every engine but Claude (no use_api_billing) gets them.
const SECRETS: Record<string, string> = {
  ANTHROPIC_API_KEY: "sk-ant-api03-LaunchTestValue0123456789abcdef",
  OPENAI_API_KEY: "sk-proj-LaunchTestValue0123456789abcdef",
  GITHUB_TOKEN: "ghp_LaunchTestValue0123456789abcdefABCD",
  CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-LaunchTestValue0123456789abcdef",
};

// A distinctive prompt: it must reach the engine (stdin) and never a command line.
const CANARY = "canary-prompt-5b1e8d refactor the billing module";

const fakeDir = mkdtempSync(join(tmpdir(), "untether-launch-"));
for (const [engine, fixture] of Object.entries(REPLAYS)) makeFakeCli(fakeDir, engine, join(FIX, fixture), { delayMs: 100 });

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { PATH: `${fakeDir}:${process.env.PATH}`, ...SECRETS } });
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

async function runOnce(text: string): Promise<string> {
  const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text });
  const final = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id && /^(done|error) ·/.test(x.text ?? ""), 25_000);
  return final.text ?? "";
}

/** Untether's own log lines with the given event name, parsed. */
function logLines(event: string): Array<Record<string, unknown>> {
  return h
    .output()
    .split("\n")
    .filter((l) => l.includes(`"msg":"${event}"`))
    .map((l) => JSON.parse(l.slice(l.indexOf("{"))) as Record<string, unknown>);
}

describe("engine launch through the binary", () => {
  test("no secret and no prompt is on any process's command line while each engine runs", async () => {
    const scan = await startCmdlineScan([...Object.values(SECRETS), CANARY], ["fake-engine.ts", "__mock-engine"]);
    for (const engine of Object.keys(REPLAYS)) {
      expect(await runOnce(`/${engine} ${CANARY}`)).toStartWith(`done · ${engine}`);
    }
    // The mock echoes what it read on stdin: the prompt got through.
    const mock = await runOnce(CANARY);
    expect(mock).toStartWith("done · mock");
    expect(mock).toContain(`You said: ${CANARY}`);
    const report = await scan.stop();
    // The scanner saw every fake CLI and the re-executed mock engine.
    expect(report.witnessed[0]).toBeGreaterThanOrEqual(Object.keys(REPLAYS).length);
    expect(report.witnessed[1]).toBeGreaterThanOrEqual(1);
    expect(report.hits).toEqual([]);
  }, 120_000);

  test("the spawn log shows KEY=*** for each variable and never a value or the prompt", async () => {
    const spawns = logLines("engine.spawn");
    expect(spawns.length).toBeGreaterThanOrEqual(7);
    for (const s of spawns) {
      const env = s.env as string[];
      expect(env).toContain("PATH=***");
      expect(env.every((e) => /^[A-Z_][A-Z0-9_]*=\*\*\*$/.test(e))).toBe(true);
      expect((s.argv as string[])[0]).not.toEndWith("/env");
      expect(JSON.stringify(s)).not.toContain("canary-prompt");
    }
    expect(spawns.find((s) => s.engine === "codex")?.env).toContain("OPENAI_API_KEY=***");
    expect(spawns.find((s) => s.engine === "claude")?.env).toContain("CLAUDE_CODE_OAUTH_TOKEN=***");
    for (const value of Object.values(SECRETS)) expect(h.output()).not.toContain(value);
  });
});
