// The built-in mock agent: a real child process (this program re-executed with `__mock-engine`) that
// prints a deterministic JSONL run, so tests and the demo exercise the whole pipeline — the exact env,
// the process group, cancel, JSONL parsing — without any AI CLI installed. Like the real engines it
// gets its prompt on stdin (first line `{"type":"prompt","text":…}`), never on its command line.
//
// Prompts with special behaviour: `mock:fail`, `mock:slow`, `mock:hang` (ignores SIGTERM),
// `mock:garbage`, `mock:long <chars>`, `mock:flood <events>`, `mock:ask <command>` (asks permission
// over a Claude-like stdin control channel), `mock:env` (answers with its environment's names),
// `mock:outbox <name>` (writes a file into .untether-outbox/; <name> must be a plain file name),
// `mock:pwd` (answers with its working directory and session), `mock:quiet <seconds>` (its session
// line, then silence for that long (at most 600 s), then an answer), `mock:questions` (Claude's
// AskUserQuestion: two questions, the second multi-select) and `mock:plan [<chars>]` (ExitPlanMode with a
// plan of about that length): both answer with the decision they got, so tests see what reached the engine.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mockLongAnswer } from "./mock-long-answer.ts";

/** One path component of ordinary characters: no separators, no `.`/`..`, no hidden or control names. */
const OUTBOX_NAME_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/;

interface MockArgs {
  session?: string;
  delayMs: number;
}

function parseArgs(args: string[]): MockArgs {
  const out: MockArgs = { delayMs: 0 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--session") out.session = args[++i];
    else if (a === "--delay-ms") out.delayMs = Number(args[++i] ?? "0") || 0;
  }
  return out;
}

/** stdin as lines, one reader for the whole run (the prompt line, then permission answers). */
function stdinLines(): () => Promise<string | undefined> {
  const reader = Bun.stdin.stream().getReader();
  const dec = new TextDecoder();
  let buf = "";
  let ended = false;
  return async () => {
    for (;;) {
      const i = buf.indexOf("\n");
      if (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        return line;
      }
      if (ended) {
        const rest = buf;
        buf = "";
        return rest === "" ? undefined : rest;
      }
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        buf += dec.decode();
      } else {
        buf += dec.decode(value, { stream: true });
      }
    }
  };
}

/** The prompt from its stdin line `{"type":"prompt","text":…}`; empty when none came. */
function promptOf(line: string | undefined): string {
  try {
    const msg = JSON.parse(line ?? "") as { type?: unknown; text?: unknown };
    return msg.type === "prompt" && typeof msg.text === "string" ? msg.text : "";
  } catch {
    return "";
  }
}

/** The questions of `mock:questions` (Claude's AskUserQuestion input shape). */
export const MOCK_QUESTIONS = [
  {
    question: "Which database?",
    header: "Database",
    options: [
      { label: "SQLite", description: "one file, no server" },
      { label: "Postgres", description: "a server" },
    ],
    multiSelect: false,
  },
  {
    question: "Which checks should run?",
    header: "Checks",
    options: [{ label: "Lint" }, { label: "Tests" }, { label: "Types" }],
    multiSelect: true,
  },
];

/** A Markdown plan of about `chars` characters: numbered steps. */
export function mockPlan(chars: number): string {
  const lines = ["# Plan", ""];
  for (let i = 1; lines.join("\n").length < chars; i++)
    lines.push(`${i}. Step ${i}: change **module ${i}** and test it`);
  return lines.join("\n");
}

function controlResponse(line: string | undefined): {
  behavior?: string;
  message?: string;
  updatedInput?: { answers?: unknown };
} {
  try {
    const msg = JSON.parse(line ?? "") as { response?: { response?: Record<string, unknown> } };
    return msg.response?.response ?? {};
  } catch {
    return {};
  }
}

export async function runMockEngine(args: string[], out: (line: string) => void): Promise<number> {
  const readLine = stdinLines();
  const a = { ...parseArgs(args), prompt: promptOf(await readLine()) };
  const emit = (o: Record<string, unknown>) => out(`${JSON.stringify(o)}\n`);
  const pause = () => (a.delayMs > 0 ? Bun.sleep(a.delayMs) : Promise.resolve());
  const session = a.session ?? `mock-${crypto.randomUUID().slice(0, 8)}`;
  const [keyword = "", ...rest] = a.prompt.trim().split(/\s+/);
  const arg = rest.join(" ");

  if (keyword === "mock:fail") {
    process.stderr.write("Error: cannot open /home/someone/secret-project/config.yml:12 (permission denied)\n");
    return 1;
  }
  if (keyword === "mock:hang") {
    process.on("SIGTERM", () => {});
    emit({ type: "session", id: session });
    await Bun.sleep(3_600_000);
    return 0;
  }
  emit({ type: "session", id: session, resumed: a.session !== undefined });
  if (keyword === "mock:quiet") {
    const seconds = Math.min(Math.max(Number(arg) || 0, 0), 600);
    await Bun.sleep(seconds * 1000);
    emit({ type: "final", session, answer: `Quiet for ${seconds}s.` });
    return 0;
  }
  await pause();
  if (keyword === "mock:garbage") {
    out("this is not json\n{broken json\n\u0000\u0001 binary noise\n");
  }
  emit({ type: "note", id: "plan", text: "Reading the task" });
  await pause();
  emit({ type: "command", id: "cmd1", phase: "started", command: "ls -la" });
  await pause();
  emit({ type: "command", id: "cmd1", phase: "completed", command: "ls -la", exit_code: 0 });
  await pause();
  if (keyword === "mock:slow") await Bun.sleep(600_000);
  if (keyword === "mock:flood") {
    // "mock:flood <events> [<total ms>]": events spread evenly over the given time.
    const [count, total] = arg.split(/\s+/);
    const n = Math.min(Number(count) || 1000, 1_000_000);
    const spanMs = Math.min(Number(total) || 0, 600_000);
    const batches = Math.max(1, Math.ceil(n / 100));
    for (let i = 0; i < n; i++) {
      emit({ type: "note", id: `flood${i}`, text: `step ${i + 1} of ${n}` });
      if (spanMs > 0 && i % 100 === 99) await Bun.sleep(spanMs / batches);
    }
  }
  if (keyword === "mock:ask") {
    const command = arg || "rm -rf build";
    emit({
      type: "control_request",
      request_id: "ask1",
      request: { subtype: "can_use_tool", tool_name: "Bash", input: { command } },
    });
    const line = await readLine();
    let allowed = false;
    try {
      const msg = JSON.parse(line ?? "") as { response?: { response?: { behavior?: string } } };
      allowed = msg.response?.response?.behavior === "allow";
    } catch {
      allowed = false;
    }
    emit({
      type: "final",
      session,
      answer: allowed
        ? `Permission granted: I ran \`${command}\`.`
        : `Permission denied: I did not run \`${command}\`.`,
    });
    return 0;
  }
  if (keyword === "mock:questions" || keyword === "mock:plan") {
    const questions = keyword === "mock:questions";
    emit({
      type: "control_request",
      request_id: "ask2",
      request: {
        subtype: "can_use_tool",
        tool_name: questions ? "AskUserQuestion" : "ExitPlanMode",
        input: questions ? { questions: MOCK_QUESTIONS } : { plan: mockPlan(Math.min(Number(arg) || 300, 50_000)) },
      },
    });
    const response = controlResponse(await readLine());
    const answer =
      response.behavior === "allow"
        ? `Allowed with answers: ${JSON.stringify(response.updatedInput?.answers ?? null)}`
        : `Denied: ${response.message ?? ""}`;
    emit({ type: "final", session, answer });
    return 0;
  }
  if (keyword === "mock:outbox") {
    const name = arg || "report.txt";
    // The mock writes only inside the project's outbox: `mock:outbox ../../x` must not write anywhere else.
    if (!OUTBOX_NAME_RE.test(name)) {
      emit({
        type: "final",
        session,
        answer: `Refused: "mock:outbox" takes a plain file name (letters, digits, . _ -), not ${JSON.stringify(name)}.`,
      });
      return 0;
    }
    const dir = join(process.cwd(), ".untether-outbox");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), `report written by the mock agent for ${name}\n`);
    emit({ type: "file", id: "f-outbox", path: `.untether-outbox/${name}` });
  }
  emit({ type: "file", id: "f1", path: "notes.md" });
  await pause();
  let answer: string;
  if (keyword === "mock:long") {
    answer = mockLongAnswer(Math.min(Number(arg) || 10_000, 200_000));
  } else if (keyword === "mock:env") {
    answer = `ENV: ${Object.keys(process.env).sort().join(" ")}`;
  } else if (keyword === "mock:pwd") {
    answer = [`PWD: ${process.cwd()}`, a.session ? `(continuing session \`${a.session}\`)` : "(a new session)"].join(
      "\n",
    );
  } else {
    answer = [
      `You said: ${a.prompt}`,
      "",
      a.session ? `(continuing session \`${a.session}\`)` : "(a new session)",
      "",
      "```sh",
      "echo done",
      "```",
    ].join("\n");
  }
  emit({ type: "final", session, answer });
  return 0;
}
