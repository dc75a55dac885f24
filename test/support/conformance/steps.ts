// The steps every engine goes through, as a user in the chat: a plain answer, a shell tool call,
// resume by reply (also of an answer from another project and from an @branch worktree),
// /continue, cancel, and the two proofs over the whole file: the engine's environment held only
// allowlisted names, and nothing connected anywhere but loopback.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isAllowed, parseEnvExtras } from "../../../src/security/env-policy.ts";
import { PLAIN_ANSWER } from "../fake-models/script.ts";
import { BRANCH, type ConformanceBot, RUN_TIMEOUT_MS, startConformanceBot } from "./bot.ts";
import type { ConformanceEngine } from "./engine-setup.ts";
import { offMachine, parseConnects } from "./loopback.ts";
import { cmdline, descendants, survivors } from "./procs.ts";

/** A variable in the bot's environment that no allowlist names: it must never reach an engine. */
export const CANARY = { AWS_SECRET_ACCESS_KEY: "conformance-canary-not-for-engines" };

const T = RUN_TIMEOUT_MS + 30_000;
/** Polls a condition the emulator cannot signal (the fake model server's requests). */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

const seen = (n: number) => `I see ${n} user messages in this conversation.`;

export interface SuiteOptions {
  /** Extra `[engines.<id>]` TOML (e.g. Claude's asking permission mode). */
  engineToml?: string;
  /** The engine's own shell-tool tests replace the generic one (Claude's approvals). */
  shellTests?: (bot: () => ConformanceBot) => void;
}

export function conformanceSuite(engine: ConformanceEngine, opts: SuiteOptions = {}): void {
  let bot!: ConformanceBot;
  const real = (p: string) => realpathSync(p);
  const lastCwd = () => bot.starts().at(-1)?.cwd;

  beforeAll(async () => {
    const toml: { engineToml?: string } = {};
    if (opts.engineToml !== undefined) toml.engineToml = opts.engineToml;
    bot = await startConformanceBot(engine, { ...toml, env: CANARY });
  });

  afterAll(async () => {
    await bot?.stop();
  });

  test(
    `${engine}: a plain answer, with the engine's resume line`,
    async () => {
      const { text } = await bot.ask("say hi");
      expect(text).toStartWith(`done · ${engine}`);
      expect(text).toContain(PLAIN_ANSWER);
      expect(text).toMatch(new RegExp(`^↩️ ${engine} (--resume|--session|resume) \\S+$`, "m"));
      expect(bot.models.requests.some((r) => r.method === "POST")).toBe(true);
    },
    T,
  );

  if (opts.shellTests) opts.shellTests(() => bot);
  else {
    test(
      `${engine}: a shell tool call runs in the project and its result reaches the model`,
      async () => {
        rmSync(join(bot.h.project, "out.txt"), { force: true });
        const { text } = await bot.ask("FAKE_BASH please write hello to out.txt");
        expect(text).toStartWith(`done · ${engine}`);
        expect(text).toContain("Tool finished");
        expect(readFileSync(join(bot.h.project, "out.txt"), "utf8")).toBe("hello\n");
      },
      T,
    );
  }

  test(
    `${engine}: replying to the answer resumes the session (the model sees both turns)`,
    async () => {
      const first = await bot.ask("FAKE_REMEMBER first turn");
      expect(first.text).toContain(seen(1));
      const second = await bot.ask("FAKE_REMEMBER second turn", { replyTo: first.final.message_id });
      expect(second.text).toStartWith(`done · ${engine}`);
      expect(second.text).toContain(seen(2));
    },
    2 * T,
  );

  test(
    `${engine}: replying to an answer from another project resumes it there`,
    async () => {
      const first = await bot.ask("/other FAKE_REMEMBER in the other project");
      expect(first.text).toContain(seen(1));
      expect({ run: "first", cwd: lastCwd() }).toEqual({ run: "first", cwd: real(bot.other) });
      const second = await bot.ask("FAKE_REMEMBER again", { replyTo: first.final.message_id });
      expect({ run: "reply", cwd: lastCwd() }).toEqual({ run: "reply", cwd: real(bot.other) });
      expect(second.text).toContain(seen(2));
    },
    2 * T,
  );

  test(
    `${engine}: replying to an answer from an @branch worktree resumes it in the worktree`,
    async () => {
      const first = await bot.ask(`@${BRANCH} FAKE_REMEMBER on the branch`);
      expect(first.text).toContain(seen(1));
      expect({ run: "first", cwd: lastCwd() }).toEqual({ run: "first", cwd: real(bot.worktree) });
      const second = await bot.ask("FAKE_REMEMBER again on the branch", { replyTo: first.final.message_id });
      expect({ run: "reply", cwd: lastCwd() }).toEqual({ run: "reply", cwd: real(bot.worktree) });
      expect(second.text).toContain(seen(2));
    },
    2 * T,
  );

  test(
    `${engine}: /continue continues the newest session in the project`,
    async () => {
      const first = await bot.ask("FAKE_REMEMBER before continue");
      expect(first.text).toContain(seen(1));
      const second = await bot.ask("/continue FAKE_REMEMBER continued");
      expect(second.text).toStartWith(`done · ${engine}`);
      expect(second.text).toContain(seen(2));
      expect(lastCwd()).toBe(real(bot.h.project));
    },
    2 * T,
  );

  test(
    `${engine}: cancel stops the run and leaves no process of it`,
    async () => {
      const asked = bot.models.requests.length;
      const m = bot.send("FAKE_SLOW tell me a long story");
      const progress = await bot.h.emu.waitForBotMessage(
        bot.h.dm,
        (x) => x.reply_to_message_id === m.message_id,
        RUN_TIMEOUT_MS,
      );
      // The engine is streaming the slow answer: its processes are the ones that must go.
      await until(
        () => bot.models.requests.slice(asked).some((r) => JSON.stringify(r.body).includes("FAKE_SLOW")),
        "the slow request",
      );
      const pids = descendants(bot.botPid());
      expect(pids.length).toBeGreaterThan(0);
      const press = bot.h.emu.pressButton({
        chatId: bot.h.dm,
        messageId: progress.message_id,
        from: bot.h.alice,
        text: "✖ Cancel",
      });
      expect((await bot.h.emu.waitForCallbackAnswer(press.id)).text).toBe("Cancelling…");
      const final = await bot.finalFor(m.message_id, bot.h.dm, /^cancelled ·/);
      expect(final.text ?? "").toStartWith("cancelled");
      const left = await survivors(pids);
      expect(left.map((p) => `${p} ${cmdline(p)}`)).toEqual([]);
    },
    T,
  );

  test(`${engine}: every engine start saw only allowlisted variables`, () => {
    const extras = parseEnvExtras(bot.setup.extraAllow, []);
    const starts = bot.starts();
    expect(starts.length).toBeGreaterThan(0);
    for (const s of starts) {
      expect(Object.keys(s.env).filter((k) => !isAllowed(k, extras))).toEqual([]);
      expect(s.env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    }
  });

  test(`${engine}: nothing connected anywhere but loopback`, () => {
    const log = readFileSync(bot.straceLog, "utf8");
    // The trace works: it saw the engine reach the fake model server.
    expect(parseConnects(log).some((c) => c.port === bot.models.port)).toBe(true);
    expect(offMachine(log).map((c) => c.line)).toEqual([]);
  });
}
