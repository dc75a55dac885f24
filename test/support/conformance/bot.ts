// One bot per engine for the conformance suite: the fake model server, the real CLI (from the
// cache scripts/conformance-install.ts fills) behind an env-recording wrapper, and dist/untether
// under `strace -f -e trace=connect`, driven through the emulator as a Telegram user.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureConformanceClis } from "../../../scripts/conformance-install.ts";
import type { HistoryEntry } from "../../../src/emulator/index.ts";
import { type FakeModels, startFakeModels } from "../fake-models/index.ts";
import { git } from "../git.ts";
import { type Harness, startHarness } from "../harness.ts";
import { type ConformanceEngine, type EngineSetup, setupEngine } from "./engine-setup.ts";
import { type EngineStart, engineStarts, writeEnvWrapper } from "./env-wrapper.ts";
import { descendants } from "./procs.ts";

/** The cached CLIs' .bin folder; installs them first when a test file is run on its own. */
export const CLI_BIN = ensureConformanceClis();

export const FINAL_RE = /^(done|error|cancelled) ·/;
/** Generous: a real CLI starts in 1–5 s, and a run may take a few model turns. */
export const RUN_TIMEOUT_MS = 90_000;
export const BRANCH = "feature-x";

export interface ConformanceBot {
  engine: ConformanceEngine;
  h: Harness;
  models: FakeModels;
  setup: EngineSetup;
  /** A second project, `/other …`. */
  other: string;
  /** `<project>/.worktrees/feature-x` once an `@feature-x` run created it. */
  worktree: string;
  straceLog: string;
  /** The pid of dist/untether (strace's child). */
  botPid(): number;
  starts(): EngineStart[];
  send(text: string, opts?: { chat?: number; replyTo?: number; from?: number }): { message_id: number };
  finalFor(id: number, chat?: number, re?: RegExp): Promise<HistoryEntry>;
  ask(
    text: string,
    opts?: { chat?: number; replyTo?: number },
  ): Promise<{ id: number; final: HistoryEntry; text: string }>;
  stop(): Promise<void>;
}

const tomlList = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;

export async function startConformanceBot(
  engine: ConformanceEngine,
  opts: { engineToml?: string; env?: Record<string, string> } = {},
): Promise<ConformanceBot> {
  const models = startFakeModels();
  const home = mkdtempSync(join(tmpdir(), `untether-conf-${engine}-`));
  const work = mkdtempSync(join(tmpdir(), `untether-conf-${engine}-aux-`));
  const setup = setupEngine(engine, home, models.url);
  const wrapDir = join(work, "wrap");
  const dumpDir = join(work, "starts");
  writeEnvWrapper(wrapDir, engine, join(CLI_BIN, engine), dumpDir);
  const other = join(home, "other");
  mkdirSync(other, { recursive: true });
  const straceLog = join(work, "connect.strace");
  const extraToml = [
    "",
    "[projects.other]",
    `path = "${other}"`,
    "",
    "[security]",
    `env_extra_allow = ${tomlList(setup.extraAllow)}`,
    setup.engineToml,
    opts.engineToml ?? "",
  ].join("\n");
  const h = await startHarness({
    home,
    topToml: `default_engine = "${engine}"`,
    extraToml,
    env: {
      PATH: `${wrapDir}:${CLI_BIN}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      TMPDIR: tmpdir(),
      ...setup.env,
      ...opts.env,
    },
    wrap: ["strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=connect", "-o", straceLog],
  });
  // A git project with a branch for @feature-x.
  git(h.project, home, "init", "-q", "-b", "main");
  writeFileSync(join(h.project, "README.md"), "main\n");
  git(h.project, home, "add", "README.md");
  git(h.project, home, "commit", "-q", "-m", "init");
  git(h.project, home, "branch", BRANCH);

  const botPid = () => {
    const kids = descendants(h.proc.pid);
    const pid = kids.find((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes("untether");
      } catch {
        return false;
      }
    });
    if (pid === undefined) throw new Error("dist/untether is not running under strace");
    return pid;
  };
  const send = (text: string, o: { chat?: number; replyTo?: number; from?: number } = {}) => {
    const input: { chatId: number; from: number; text: string; replyTo?: number } = {
      chatId: o.chat ?? h.dm,
      from: o.from ?? h.alice,
      text,
    };
    if (o.replyTo !== undefined) input.replyTo = o.replyTo;
    return h.emu.sendUserMessage(input);
  };
  // The final answer is a new message: the first reply is the progress message, which shows a
  // "done" header too before it is deleted.
  const finalFor = (id: number, chat = h.dm, re = FINAL_RE) =>
    h.emu.waitFor(
      () =>
        h.emu
          .botMessages(chat)
          .filter((x) => x.reply_to_message_id === id)
          .slice(1)
          .find((x) => re.test(x.text ?? "")),
      RUN_TIMEOUT_MS,
      `the final answer to message ${id}`,
    );
  return {
    engine,
    h,
    models,
    setup,
    other,
    worktree: join(h.project, ".worktrees", BRANCH),
    straceLog,
    botPid,
    starts: () => engineStarts(dumpDir).filter((s) => s.cli === engine),
    send,
    finalFor,
    async ask(text, o = {}) {
      const m = send(text, o);
      const final = await finalFor(m.message_id, o.chat ?? h.dm);
      return { id: m.message_id, final, text: final.text ?? "" };
    },
    async stop() {
      try {
        process.kill(botPid(), "SIGTERM");
      } catch {
        h.proc.kill("SIGTERM");
      }
      await Promise.race([h.proc.exited, Bun.sleep(30_000)]);
      if (h.proc.exitCode === null) h.proc.kill("SIGKILL");
      await h.emu.stop();
      await models.stop();
    },
  };
}
