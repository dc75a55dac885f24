// Acceptance: `untether doctor` against the Bot API emulator with a temp config — the green case,
// each broken case with its line and exit code, --json, usage errors, and no token in any output.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { doctorCommand, doctorHelp } from "../../src/cli/doctor.ts";
import type { DoctorOptions } from "../../src/doctor/types.ts";
import { context, fakeDetect, options, type World, world, writeGreen } from "../doctor/helpers.ts";

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.stop();
});

interface Run {
  code: number;
  out: string;
  err: string;
}

async function doctor(args: string[] = [], overrides: Partial<DoctorOptions> = {}, env = w.env): Promise<Run> {
  const r = context(w, env);
  const code = await doctorCommand(args, r.ctx, options(overrides));
  const run = { code, out: r.out(), err: r.err() };
  // Whatever the case, the token never reaches the user.
  expect(run.out + run.err).not.toContain(w.emu.token);
  expect(run.out + run.err).not.toContain(w.emu.token.split(":")[1] as string);
  return run;
}

/** The check lines (between the header and the summary). */
const checkLines = (out: string) =>
  out.split("\n").filter((l) => /^(\[ok\]|\[warn\]|\[FAIL\]|\[skip\]|✓|!|✗|-)/.test(l));
const line = (out: string, label: string) => checkLines(out).find((l) => l.includes(` ${label}: `)) ?? "";

describe("untether doctor", () => {
  test("an all-green config exits 0 with every line [ok]", async () => {
    writeGreen(w);
    const r = await doctor();
    expect(r.code).toBe(0);
    const lines = checkLines(r.out);
    expect(lines.length).toBeGreaterThan(15);
    for (const l of lines) expect(l.startsWith("[ok] ")).toBe(true);
    expect(r.out).toContain("@untether_emulator_bot");
    expect(r.out).toContain("[ok] access: allowlist: 1 user(s)");
    expect(r.out).toMatch(/0 warning\(s\), 0 error\(s\): all good\n$/);
    expect(r.err).toBe("");
  });

  test("a terminal without NO_COLOR gets ✓ symbols; NO_COLOR gets ASCII", async () => {
    writeGreen(w);
    const tty = context(w);
    tty.ctx.isTty = true;
    expect(await doctorCommand([], tty.ctx, options())).toBe(0);
    for (const l of tty.out().split("\n").slice(1, -2)) expect(l).toMatch(/^(\x1b\[32m✓\x1b\[0m| {4}fix:)/);
    const noColor = context(w, { ...w.env, NO_COLOR: "1" });
    noColor.ctx.isTty = true;
    await doctorCommand([], noColor.ctx, options());
    expect(noColor.out()).toContain("[ok] bot token: @untether_emulator_bot");
  });

  test("a wrong token (401) is an error with the fix, and the dependent checks are skipped", async () => {
    const wrong = `${w.emu.token.split(":")[0]}:AAwrongwrongwrongwrongwrongwrongwrong`;
    writeGreen(w, { token: wrong });
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(line(r.out, "bot token")).toStartWith("[FAIL] bot token: rejected by Telegram: 401 Unauthorized");
    expect(r.out).toContain(
      "    fix: untether config set transports.telegram.bot_token - (then paste the token from @BotFather)",
    );
    expect(line(r.out, "chat_id")).toBe("[skip] chat_id: skipped (token invalid)");
    expect(r.out).not.toContain("AAwrongwrong");
  });

  test("an unknown chat (getChat 400) is an error naming the chat", async () => {
    writeGreen(w, { chatId: 424242 });
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(line(r.out, "chat_id")).toStartWith("[FAIL] chat_id: chat 424242 unreachable: 400");
    expect(r.out).toContain("fix: untether config set transports.telegram.chat_id");
  });

  test("a 409 from getUpdates (injected) means another poller", async () => {
    writeGreen(w);
    w.emu.injectFault({ kind: "conflict", method: "getUpdates" });
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(line(r.out, "single poller")).toBe(
      "[FAIL] single poller: another process is polling this bot token (409 Conflict)",
    );
    expect(r.out).toContain("    fix: stop the other untether/bot using this token");
  });

  test("a real second poller is caught by the probe window", async () => {
    writeGreen(w);
    const base = `${w.emu.apiBaseUrl}/bot${w.emu.token}/getUpdates`;
    let polling = true;
    // Another bot: long-polls, and polls again at once when it is pre-empted.
    const other = (async () => {
      while (polling)
        await fetch(base, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ timeout: 1 }),
        });
    })();
    await w.emu.waitFor(() => w.emu.isPolling());
    const r = await doctor([], { conflictProbeSeconds: 1 });
    polling = false;
    await other;
    expect(line(r.out, "single poller")).toStartWith("[FAIL] single poller: another process is polling");
    expect(r.code).toBe(1);
  });

  test("a pending update is still there after doctor (no offset is sent)", async () => {
    writeGreen(w);
    w.emu.sendUserMessage({ chatId: w.userId, from: w.userId, text: "hi" });
    const r = await doctor();
    expect(r.code).toBe(0);
    expect(w.emu.pendingUpdates()).toHaveLength(1);
    for (const call of w.emu.calls({ method: "getUpdates" })) expect(JSON.stringify(call)).not.toContain("offset");
  });

  test("an unreachable Bot API names the host, never the token", async () => {
    writeGreen(w);
    const port = w.emu.port;
    await w.emu.stop();
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(line(r.out, "bot token")).toStartWith(`[FAIL] bot token: cannot reach the Bot API at 127.0.0.1:${port}`);
  });

  test("allow_any_user is a loud warning and keeps exit 0", async () => {
    writeGreen(w, { telegramExtra: "allow_any_user = true" });
    const r = await doctor();
    expect(r.code).toBe(0);
    expect(line(r.out, "access")).toStartWith(
      "[warn] access: allow_any_user = true: ANYONE who finds the bot can run agents",
    );
  });

  test("no allowlist and no allow_any_user is an error naming both keys", async () => {
    writeGreen(w);
    const { writeConfig } = await import("../config/helpers.ts");
    const { readFileSync } = await import("node:fs");
    writeConfig(w.configPath, readFileSync(w.configPath, "utf8").replace(/allowed_user_ids = \[\d+\]/, ""));
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(line(r.out, "access")).toContain("allowed_user_ids nor transports.telegram.allow_any_user");
  });

  test("a 0644 config is an error with the chmod fix", async () => {
    writeGreen(w, {}, 0o644);
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(line(r.out, "config file permissions")).toStartWith("[FAIL] config file permissions: mode 644");
    expect(r.out).toContain(`    fix: chmod 600 ${w.configPath}`);
  });

  test("a group-writable config folder is an error; a 0755 one too (Untether never chmods it)", async () => {
    writeGreen(w);
    const dir = dirname(w.configPath);
    chmodSync(dir, 0o755);
    let r = await doctor();
    expect(r.code).toBe(1);
    expect(line(r.out, "state directory")).toStartWith("[FAIL] state directory:");
    expect(r.out).toContain(`    fix: chmod 700 ${dir} if the folder is Untether's own`);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    chmodSync(dir, 0o775);
    r = await doctor();
    expect(r.code).toBe(1);
    expect(line(r.out, "config folder permissions")).toStartWith("[FAIL] config folder permissions: mode 775");
  });

  test("a missing default engine is an error with the npm install command", async () => {
    writeGreen(w);
    const r = await doctor([], { detectEngine: fakeDetect([]) });
    expect(r.code).toBe(1);
    expect(line(r.out, "engine codex (default)")).toStartWith(
      "[FAIL] engine codex (default): `codex` not found on PATH",
    );
    expect(r.out).toContain("    fix: npm install -g @openai/codex");
    expect(line(r.out, "engine claude")).toBe("[ok] engine claude: not installed");
  });

  test("the mock default engine is always available", async () => {
    writeGreen(w, { extra: "" });
    const { readFileSync } = await import("node:fs");
    const { writeConfig } = await import("../config/helpers.ts");
    writeConfig(
      w.configPath,
      readFileSync(w.configPath, "utf8").replace('default_engine = "codex"', 'default_engine = "mock"'),
    );
    const r = await doctor([], { detectEngine: fakeDetect([]) });
    expect(r.code).toBe(0);
    expect(line(r.out, "engine mock (default)")).toBe("[ok] engine mock (default): built in, always available");
  });

  test("triggers that can run shell commands unattended are a warning naming them; a strict cron is not", async () => {
    const triggers = (cronMode: string) => `[triggers]
enabled = true
server = { port = 39217 }

[[triggers.crons]]
id = "nightly"
schedule = "0 3 * * *"
prompt = "report"
engine = "codex"
permission_mode = "${cronMode}"

[[triggers.crons]]
id = "digest"
schedule = "0 4 * * *"
prompt = "digest"
engine = "gemini"
`;
    writeGreen(w, { extra: triggers("safe") });
    const r = await doctor([], { portFree: async () => true });
    expect(line(r.out, "unattended runs")).toBe(
      "[warn] unattended runs: cron digest (gemini) can run shell commands without anybody approving them",
    );
    writeGreen(w, {
      extra: triggers("safe").replace('engine = "gemini"', 'engine = "codex"\npermission_mode = "safe"'),
    });
    expect(line((await doctor([], { portFree: async () => true })).out, "unattended runs")).toStartWith(
      "[ok] unattended runs: 2 triggered run(s); none",
    );
    writeGreen(w, { extra: triggers("never-mind") });
    expect(line((await doctor([], { portFree: async () => true })).out, "unattended runs")).toContain(
      "cron nightly (codex)",
    );
  });

  test("a short deny_globs is no warning: the built-in list applies on top and is counted", async () => {
    writeGreen(w, {
      telegramExtra: '[transports.telegram.files]\ndeny_globs = [".git/**", ".env", "**/*.pem", "**/.ssh/**"]',
    });
    const r = await doctor();
    expect(r.code).toBe(0);
    expect(line(r.out, "deny globs compile")).toBe("[ok] deny globs compile: 14 built-in + 4 configured");
    expect(r.out).not.toContain("default deny globs");
  });

  test("a secret-named variable engines would see is a warning with its name, never its value", async () => {
    const value = "npm_supersecretvalue123456";
    const env = { ...w.env, NPM_TOKEN: value, OPENAI_API_KEY: "sk-notlisted", AWS_SECRET_ACCESS_KEY: "hidden" };
    // The NPM_ prefix alone does not pass NPM_TOKEN; listing it exactly does, and doctor says so.
    writeGreen(w);
    expect(line((await doctor([], {}, env)).out, "secrets in engine env")).toStartWith("[ok]");
    writeGreen(w, { extra: '\n[security]\nenv_extra_allow = ["NPM_TOKEN"]\n' });
    const r = await doctor([], {}, env);
    expect(r.code).toBe(0);
    expect(line(r.out, "secrets in engine env")).toBe(
      "[warn] secrets in engine env: engines would see 1 secret-looking variable(s): NPM_TOKEN",
    );
    expect(r.out).not.toContain(value);
  });

  test("a config that does not load is an error with its key; later checks are skipped", async () => {
    const { writeConfig } = await import("../config/helpers.ts");
    writeConfig(w.configPath, `[transports.telegram]\nbot_token = "${w.emu.token}"\nchat_id = "not a number"\n`);
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(line(r.out, "config loads")).toStartWith("[FAIL] config loads:");
    expect(line(r.out, "config loads")).toContain("chat_id");
    expect(line(r.out, "bot token")).toBe("[skip] bot token: skipped (the config did not load)");
    expect(r.out).toMatch(/ error\(s\), \d+ skipped: problems found\n$/);
  });

  test("a missing config file is one error (not ✓) with the command that creates it; the rest is skipped", async () => {
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(line(r.out, "config file")).toStartWith("[FAIL] config file: ");
    expect(line(r.out, "config file")).toEndWith("does not exist");
    expect(r.out).toContain("    fix: untether init");
    expect(line(r.out, "config loads")).toBe("[skip] config loads: skipped (no config file)");
    expect(line(r.out, "bot token")).toBe("[skip] bot token: skipped (no config file)");
    expect(checkLines(r.out).filter((l) => l.startsWith("[FAIL]"))).toHaveLength(1);
    expect(checkLines(r.out).filter((l) => l.startsWith("[warn]"))).toHaveLength(0);
  });

  test("only bot_token set (no chat_id yet): the token is tested; chat and access are skipped, not warned", async () => {
    const { writeConfig } = await import("../config/helpers.ts");
    writeConfig(
      w.configPath,
      `[transports.telegram]\nbot_token = "${w.emu.token}"\napi_base_url = "${w.emu.apiBaseUrl}"\n`,
    );
    const r = await doctor();
    expect(line(r.out, "bot token")).toBe(`[ok] bot token: @untether_emulator_bot (id ${w.emu.bot.id})`);
    expect(line(r.out, "chat_id")).toBe("[skip] chat_id: skipped (chat_id is not set yet)");
    expect(line(r.out, "single poller")).toStartWith("[ok] single poller: no other process");
    expect(line(r.out, "access")).toBe("[skip] access: skipped (the config did not load)");
    expect(checkLines(r.out).filter((l) => l.startsWith("[warn]"))).toHaveLength(0);
  });

  test("while untether runs (it holds the lock), single poller names its pid and does not probe getUpdates", async () => {
    writeGreen(w);
    const { acquireInstanceLock } = await import("../../src/state/lock.ts");
    const lock = acquireInstanceLock(`${w.configPath}.lock`);
    try {
      const before = w.emu.callCount({ method: "getUpdates" });
      const r = await doctor();
      expect(line(r.out, "single poller")).toStartWith(`[ok] single poller: untether is running, pid ${process.pid}`);
      expect(w.emu.callCount({ method: "getUpdates" })).toBe(before);
    } finally {
      lock.release();
    }
    const r = await doctor();
    expect(line(r.out, "single poller")).toStartWith("[ok] single poller: no other process");
  });

  test("--json prints one document with one entry per check", async () => {
    writeGreen(w, { telegramExtra: "allow_any_user = true" });
    const human = await doctor();
    const r = await doctor(["--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { ok: boolean; checks: Array<{ id: string; status: string; fix?: string }> };
    expect(doc.ok).toBe(true);
    expect(doc.checks).toHaveLength(checkLines(human.out).length);
    expect(new Set(doc.checks.map((c) => c.id)).size).toBe(doc.checks.length);
    const access = doc.checks.find((c) => c.id === "access.allowlist");
    expect(access?.status).toBe("warn");
    expect(access?.fix).toContain("allow_any_user false");
  });

  test("--json stdout stays pure JSON when internals log (blocked voice endpoint, legacy keys)", async () => {
    const { writeConfig } = await import("../config/helpers.ts");
    writeConfig(
      w.configPath,
      `bot_token = "${w.emu.token}"\nchat_id = ${w.userId}\n[transports.telegram]\napi_base_url = "${w.emu.apiBaseUrl}"\n` +
        `allowed_user_ids = [${w.userId}]\nvoice_transcription = true\nvoice_transcription_api_key = "k-123456"\n` +
        `voice_transcription_base_url = "http://10.1.2.3/v1"\n`,
    );
    const r = await doctor(["--json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as { checks: Array<{ id: string; status: string }> };
    expect(doc.checks.find((c) => c.id === "voice.endpoint")?.status).toBe("error");
    expect(doc.checks.find((c) => c.id === "config.load")?.status).toBe("ok");
  });

  test("--json reports ok: false and exit 1 on an error", async () => {
    writeGreen(w, { chatId: 1 });
    const r = await doctor(["--json"]);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.out) as { ok: boolean }).ok).toBe(false);
  });

  test("--help prints the help; an unknown flag is a usage error (exit 2)", async () => {
    expect((await doctor(["--help"])).out).toBe(doctorHelp);
    const r = await doctor(["--verbose"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown option for doctor: --verbose");
    expect(r.out).toBe("");
  });
});
