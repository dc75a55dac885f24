// Refreshes test/fixtures/engines/ from the real CLIs (the pinned ones the conformance suite
// installs) run against the fake model server, so the parser tests follow the real output.
//   bun scripts/conformance-record.ts [engine …]     (default: claude codex pi gemini opencode)
// Each scenario runs the command the reference transcripts were recorded with and writes exactly
// what the CLI printed to <engine>/<scenario>.stdout.jsonl; the recording folder is written {{ACC}}.
// Claude's stream-json exchanges (tool-bash-*, interrupt, resume-stream, tool-write-allow-init)
// need a driven stdin and stay as recorded. Amp is not in the registry: its fixtures stay. So does
// codex/tool-shell-read-only.recorded.stdout.jsonl (an earlier run with command_execution items).
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CONFORMANCE_ENGINES, type ConformanceEngine, setupEngine } from "../test/support/conformance/engine-setup.ts";
import { startFakeModels } from "../test/support/fake-models/index.ts";
import { ensureConformanceClis } from "./conformance-install.ts";

const FIXTURES = resolve(import.meta.dir, "../test/fixtures/engines");
const BASH = "FAKE_BASH please write hello to out.txt";
const REMEMBER = "FAKE_REMEMBER what did I say before?";
const AGAIN = "FAKE_REMEMBER and now?";

interface Ids {
  session?: string;
}
interface Scenario {
  name: string;
  args: (ids: Ids) => string[];
  env?: Record<string, string | undefined>;
  /** Keeps the session id this run printed, for the scenarios after it. */
  keep?: boolean;
}

const SCENARIOS: Record<ConformanceEngine, Scenario[]> = {
  claude: [
    { name: "say-hi", args: () => ["-p", "say hi", "--output-format", "stream-json", "--verbose"], keep: true },
    {
      name: "resume",
      args: (i) => ["-p", REMEMBER, "--output-format", "stream-json", "--verbose", "--resume", i.session ?? ""],
    },
    {
      name: "say-hi-partial",
      args: () => ["-p", "say hi", "--output-format", "stream-json", "--verbose", "--include-partial-messages"],
    },
    { name: "api-error", args: () => ["-p", "FAKE_API_ERROR", "--output-format", "stream-json", "--verbose"] },
  ],
  codex: [
    { name: "say-hi", args: () => ["exec", "--json", "--skip-git-repo-check", "say hi"], keep: true },
    { name: "resume", args: (i) => ["exec", "resume", "--json", "--skip-git-repo-check", i.session ?? "", REMEMBER] },
    {
      name: "say-hi-unknown-model",
      args: () => ["exec", "--json", "--skip-git-repo-check", "-m", "gpt-fake", "say hi"],
    },
    {
      name: "tool-shell-workspace-write",
      args: () => ["exec", "--json", "--skip-git-repo-check", "-s", "workspace-write", BASH],
    },
    { name: "tool-shell-read-only", args: () => ["exec", "--json", "--skip-git-repo-check", BASH] },
    { name: "api-error", args: () => ["exec", "--json", "--skip-git-repo-check", "FAKE_API_ERROR"] },
    {
      name: "error-missing-key",
      args: () => ["exec", "--json", "--skip-git-repo-check", "say hi"],
      env: { FAKE_OPENAI_API_KEY: undefined },
    },
  ],
  pi: [
    {
      name: "say-hi",
      args: () => ["--provider", "fake", "--model", "fake-model", "--mode", "json", "-p", "say hi"],
      keep: true,
    },
    {
      name: "resume",
      args: (i) => [
        "--provider",
        "fake",
        "--model",
        "fake-model",
        "--mode",
        "json",
        "--session",
        i.session ?? "",
        "-p",
        REMEMBER,
      ],
    },
    {
      name: "continue",
      args: () => ["--provider", "fake", "--model", "fake-model", "--mode", "json", "-c", "-p", AGAIN],
    },
    { name: "tool-bash", args: () => ["--provider", "fake", "--model", "fake-model", "--mode", "json", "-p", BASH] },
    {
      name: "api-error",
      args: () => ["--provider", "fake", "--model", "fake-model", "--mode", "json", "-p", "FAKE_API_ERROR"],
    },
  ],
  gemini: [
    { name: "say-hi", args: () => ["-p", "say hi", "--output-format", "stream-json"], keep: true },
    { name: "resume-latest", args: () => ["-p", REMEMBER, "--output-format", "stream-json", "--resume", "latest"] },
    { name: "resume-id", args: (i) => ["-p", REMEMBER, "--output-format", "stream-json", "--resume", i.session ?? ""] },
    { name: "tool-shell-yolo", args: () => ["-p", BASH, "--output-format", "stream-json", "--approval-mode", "yolo"] },
    { name: "tool-shell-default", args: () => ["-p", BASH, "--output-format", "stream-json"] },
    { name: "api-error", args: () => ["-p", "FAKE_API_ERROR", "--output-format", "stream-json"] },
  ],
  opencode: [
    { name: "say-hi", args: () => ["run", "--format", "json", "say hi"], keep: true },
    { name: "resume", args: (i) => ["run", "--format", "json", "--session", i.session ?? "", REMEMBER] },
    { name: "continue", args: () => ["run", "--format", "json", "-c", AGAIN] },
    { name: "tool-bash", args: () => ["run", "--format", "json", BASH] },
    {
      name: "tool-bash-ask",
      args: () => ["run", "--format", "json", BASH],
      env: { OPENCODE_PERMISSION: '{"bash":"ask"}' },
    },
    { name: "api-error", args: () => ["run", "--format", "json", "FAKE_API_ERROR"] },
  ],
};

/** The session id a run printed (the field each CLI uses). */
function sessionOf(stdout: string): string | undefined {
  for (const line of stdout.split("\n")) {
    try {
      const m = JSON.parse(line) as Record<string, unknown>;
      for (const k of ["session_id", "thread_id", "sessionID"]) if (typeof m[k] === "string") return m[k] as string;
      if (m.type === "session" && typeof m.id === "string") return m.id;
    } catch {
      // not JSON: skip
    }
  }
  return undefined;
}

async function record(engine: ConformanceEngine, bin: string): Promise<void> {
  const models = startFakeModels();
  const acc = realpathSync(mkdtempSync(join(tmpdir(), "untether-record-")));
  const home = join(acc, ".run", engine, "home");
  const work = join(acc, ".run", engine, "work");
  mkdirSync(home, { recursive: true });
  mkdirSync(work, { recursive: true });
  // codex wants a git repository; the others do not mind one.
  Bun.spawnSync(["git", "init", "-q"], { cwd: work });
  const setup = setupEngine(engine, home, models.url);
  const ids: Ids = {};
  try {
    for (const s of SCENARIOS[engine]) {
      const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, TMPDIR: tmpdir() };
      for (const [k, v] of Object.entries({ ...setup.env, ...s.env })) if (v !== undefined) env[k] = v;
      rmSync(join(work, "out.txt"), { force: true });
      const p = Bun.spawn([join(bin, engine), ...s.args(ids)], {
        cwd: work,
        env,
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      const [out] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
      const code = await p.exited;
      if (s.keep) {
        const id = sessionOf(out);
        if (id !== undefined) ids.session = id;
      }
      const text = out.replaceAll(acc, "{{ACC}}");
      mkdirSync(join(FIXTURES, engine), { recursive: true });
      writeFileSync(join(FIXTURES, engine, `${s.name}.stdout.jsonl`), text);
      process.stdout.write(
        `${engine}/${s.name}.stdout.jsonl: ${text.split("\n").filter(Boolean).length} lines, exit ${code}\n`,
      );
    }
  } finally {
    await models.stop();
    rmSync(acc, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const bin = ensureConformanceClis();
  const asked = process.argv.slice(2);
  const engines = asked.length ? asked : [...CONFORMANCE_ENGINES];
  for (const e of engines) {
    if (!(CONFORMANCE_ENGINES as readonly string[]).includes(e)) {
      process.stderr.write(`unknown engine ${e}; one of ${CONFORMANCE_ENGINES.join(", ")}\n`);
      process.exit(2);
    }
    await record(e as ConformanceEngine, bin);
  }
}
