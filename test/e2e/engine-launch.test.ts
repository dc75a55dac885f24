// How the compiled binary launches engines, seen as another local user would see it: while every
// engine runs, a scanner reads every /proc/*/cmdline — no allowlisted secret and no prompt may ever
// appear there. The spawn log names the environment as KEY=*** only and never shows the prompt. Two
// CLIs sit behind shell shims (as asdf/mise/nvm install them): the env audit stays quiet about the
// names a shell sets by itself and still reports anything else.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startCmdlineScan } from "../support/cmdline-scanner.ts";
import { makeFakeCli } from "../support/fake-engine.ts";
import { type Harness, startHarness } from "../support/harness.ts";

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
for (const [engine, fixture] of Object.entries(REPLAYS))
  makeFakeCli(fakeDir, engine, join(FIX, fixture), { delayMs: 100 });

// Shims first on PATH: each sets the shell's own names (and the opencode one a stray variable too),
// then execs the fake CLI.
const shimDir = mkdtempSync(join(tmpdir(), "untether-shims-"));
function writeShim(cli: string, extra: string): void {
  const path = join(shimDir, cli);
  const lines = [
    "#!/bin/sh",
    "cd / && cd - >/dev/null",
    "SHLVL=2",
    "_=/usr/local/bin/shim",
    "export PWD OLDPWD SHLVL _",
    extra,
    `exec ${fakeDir}/${cli} "$@"`,
  ];
  writeFileSync(path, `${lines.join("\n")}\n`);
  chmodSync(path, 0o755);
}
writeShim("gemini", "");
writeShim("opencode", "SHIM_STRAY_VAR=1 && export SHIM_STRAY_VAR");

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { PATH: `${shimDir}:${fakeDir}:${process.env.PATH}`, ...SECRETS } });
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

async function runOnce(text: string): Promise<string> {
  const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text });
  const final = await h.emu.waitForBotMessage(
    h.dm,
    (x) => x.reply_to_message_id === m.message_id && /^(done|error) ·/.test(x.text ?? ""),
    25_000,
  );
  return final.text ?? "";
}

/** Untether's own log lines whose event name passes `match`, parsed. */
function logLines(match: (event: string) => boolean): Array<Record<string, unknown>> {
  return h
    .output()
    .split("\n")
    .filter((l) => l.includes('"msg":"'))
    .map((l) => JSON.parse(l.slice(l.indexOf("{"))) as Record<string, unknown>)
    .filter((r) => match(String(r.msg)));
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
    // The scanner was reading while the engines ran: it saw every fake CLI (each replays for a while).
    // The re-executed mock is too short-lived to be seen reliably; its argv is covered by the spawn-log
    // test below and by test/engines/prompt-delivery.test.ts.
    expect(report.witnessed[0]).toBeGreaterThanOrEqual(Object.keys(REPLAYS).length);
    expect(report.hits).toEqual([]);
  }, 120_000);

  test("the spawn log shows KEY=*** for each variable and never a value or the prompt", async () => {
    const spawns = logLines((m) => m === "engine.spawn");
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

  test("env audit: shell-own names (PWD, OLDPWD, SHLVL, _) are not reported, a stray variable is", async () => {
    const audits = logLines((m) => m.endsWith(".env_audit.leaked_var"));
    // Every fake CLI runs behind a /bin/sh wrapper, gemini and opencode behind a second shim too:
    // the only report is opencode's stray variable.
    expect(audits.map((a) => `${String(a.msg)} ${String(a.name)}`)).toEqual([
      "opencode.env_audit.leaked_var SHIM_STRAY_VAR",
    ]);
  });
});
