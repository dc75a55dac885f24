#!/usr/bin/env bun
// Replay fake of an engine CLI, built from the real recordings in test/fixtures/engines/.
//
//   fake-engine.ts --fixture <x.stdout.jsonl | x.exchange.jsonl> [--alt <other.exchange.jsonl>]
//                  [--record <file>] [--delay-ms N] [--exit-code N] -- <the CLI's own argv…>
//
// `.stdout.jsonl`: prints the recorded lines. `.exchange.jsonl`: prints the "out" lines and, at each
// "in" line, waits for a stdin line of the same type. At a recorded permission answer, if the answer
// actually received has the other behaviour (allow vs deny), it continues in `--alt` (the other
// recording) after its answer, with that recording's ids rewritten to this one's — so Approve and
// Deny can both be tested from tool-bash-allow + tool-bash-deny. Control requests the recording did
// not expect (our `initialize`) get a success answer, as the real CLI gives.
// `--record` receives JSON { argv, cwd, env, stdin: [lines] }, rewritten on every stdin line.
//
// The runner filters the environment, so everything comes through argv; `makeFakeCli` writes a
// wrapper named like the real CLI that execs this script with the right arguments.
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface FakeArgs {
  fixture: string;
  alt?: string;
  record?: string;
  delayMs: number;
  exitCode: number;
  cliArgv: string[];
}

interface Entry {
  dir: "in" | "out";
  msg: Record<string, unknown>;
}

export interface FakeCliOptions {
  /** File receiving { argv, cwd, env, stdin } of each invocation. */
  record?: string;
  /** The other branch of a permission exchange (e.g. the deny recording for the allow one). */
  alt?: string;
  delayMs?: number;
  exitCode?: number;
  /** Executable name; defaults to the engine id (every engine's CLI is named like its id). */
  cli?: string;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Writes `<dir>/<cli>` (a wrapper exec'ing this fake) and returns `dir`, to put first on PATH. */
export function makeFakeCli(dir: string, engine: string, fixturePath: string, opts: FakeCliOptions = {}): string {
  const args = ["--fixture", fixturePath];
  if (opts.alt !== undefined) args.push("--alt", opts.alt);
  if (opts.record !== undefined) args.push("--record", opts.record);
  if (opts.delayMs !== undefined) args.push("--delay-ms", String(opts.delayMs));
  if (opts.exitCode !== undefined) args.push("--exit-code", String(opts.exitCode));
  const cmd = [process.execPath, import.meta.path, ...args].map(shellQuote).join(" ");
  const path = join(dir, opts.cli ?? engine);
  writeFileSync(path, `#!/bin/sh\nexec ${cmd} -- "$@"\n`);
  chmodSync(path, 0o755);
  return dir;
}

function parseFakeArgs(argv: string[]): FakeArgs {
  const sep = argv.indexOf("--");
  const own = sep < 0 ? argv : argv.slice(0, sep);
  const value = (flag: string): string | undefined => {
    const i = own.indexOf(flag);
    return i >= 0 ? own[i + 1] : undefined;
  };
  const fixture = value("--fixture");
  if (fixture === undefined) throw new Error("fake-engine: --fixture <path> is required");
  const parsed: FakeArgs = {
    fixture,
    delayMs: Number(value("--delay-ms") ?? "0"),
    exitCode: Number(value("--exit-code") ?? "0"),
    cliArgv: sep < 0 ? [] : argv.slice(sep + 1),
  };
  const alt = value("--alt");
  const record = value("--record");
  if (alt !== undefined) parsed.alt = alt;
  if (record !== undefined) parsed.record = record;
  return parsed;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function readJsonl(path: string): unknown[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l): unknown => JSON.parse(l));
}

function readEntries(path: string): Entry[] {
  return readJsonl(path).flatMap((e): Entry[] =>
    isObj(e) && (e.dir === "in" || e.dir === "out") && isObj(e.msg) ? [{ dir: e.dir, msg: e.msg }] : [],
  );
}

/** stdin as a queue of lines; every line is also recorded. */
class StdinLines {
  readonly #queue: string[] = [];
  #waiter: ((line: string | undefined) => void) | undefined;
  #ended = false;
  readonly seen: string[] = [];

  readonly #onLine: () => void;

  constructor(onLine: () => void) {
    this.#onLine = onLine;
  }

  async pump(): Promise<void> {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of Bun.stdin.stream()) {
      buf += decoder.decode(chunk, { stream: true });
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        this.#push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
      }
    }
    if (buf !== "") this.#push(buf);
    this.#ended = true;
    this.#waiter?.(undefined);
    this.#waiter = undefined;
  }

  #push(line: string): void {
    this.seen.push(line);
    this.#onLine();
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w(line);
    } else {
      this.#queue.push(line);
    }
  }

  next(): Promise<string | undefined> {
    const line = this.#queue.shift();
    if (line !== undefined || this.#ended) return Promise.resolve(line);
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }
}

const sleep = (ms: number): Promise<void> => (ms > 0 ? Bun.sleep(ms) : Promise.resolve());

async function out(msg: unknown, delayMs: number): Promise<void> {
  await sleep(delayMs);
  await Bun.write(Bun.stdout, `${JSON.stringify(msg)}\n`);
}

function subtypeOf(msg: Record<string, unknown>): unknown {
  return isObj(msg.request) ? msg.request.subtype : undefined;
}

function behaviourOf(msg: Record<string, unknown>): unknown {
  const response = isObj(msg.response) ? msg.response : {};
  return isObj(response.response) ? response.response.behavior : undefined;
}

function isPermissionAnswer(msg: Record<string, unknown>): boolean {
  return msg.type === "control_response" && behaviourOf(msg) !== undefined;
}

/** Session id, permission request id and tool_use id of a recording: what a branch switch renames. */
function idsOf(entries: Entry[]): string[] {
  const init = entries.find((e) => e.msg.type === "system" && e.msg.subtype === "init");
  const ask = entries.find((e) => e.msg.type === "control_request" && subtypeOf(e.msg) === "can_use_tool");
  const request = ask && isObj(ask.msg.request) ? ask.msg.request : {};
  return [init?.msg.session_id, ask?.msg.request_id, request.tool_use_id].map((v) => (typeof v === "string" ? v : ""));
}

/** The alt recording's entries after its permission answer, with its ids renamed to ours. */
function switchBranch(main: Entry[], altPath: string): Entry[] {
  const alt = readEntries(altPath);
  const from = idsOf(alt);
  const to = idsOf(main);
  const at = alt.findIndex((e) => e.dir === "in" && isPermissionAnswer(e.msg));
  return alt.slice(at + 1).map((e) => {
    let text = JSON.stringify(e.msg);
    from.forEach((id, i) => {
      const target = to[i];
      if (id !== "" && target !== undefined && target !== "") text = text.split(id).join(target);
    });
    return { dir: e.dir, msg: JSON.parse(text) as Record<string, unknown> };
  });
}

/** Waits for the stdin line standing for `expected`; answers unexpected control requests. */
async function awaitInput(stdin: StdinLines, expected: Record<string, unknown>, delayMs: number) {
  for (;;) {
    const line = await stdin.next();
    if (line === undefined) return undefined;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isObj(msg)) continue;
    const sameType = msg.type === expected.type;
    if (sameType && (msg.type !== "control_request" || subtypeOf(msg) === subtypeOf(expected))) return msg;
    if (msg.type === "control_request" && typeof msg.request_id === "string") {
      await out(
        { type: "control_response", response: { subtype: "success", request_id: msg.request_id, response: {} } },
        delayMs,
      );
    }
  }
}

async function main(): Promise<void> {
  const args = parseFakeArgs(Bun.argv.slice(2));
  const writeRecord = (): void => {
    if (args.record === undefined) return;
    const env = Object.fromEntries(
      Object.entries(process.env).filter((kv): kv is [string, string] => kv[1] !== undefined),
    );
    writeFileSync(args.record, JSON.stringify({ argv: args.cliArgv, cwd: process.cwd(), env, stdin: stdin.seen }));
  };
  const stdin: StdinLines = new StdinLines(writeRecord);
  writeRecord();
  const pumping = stdin.pump();

  if (!args.fixture.endsWith(".exchange.jsonl")) {
    for (const line of readJsonl(args.fixture)) await out(line, args.delayMs);
    // Let a prompt written to stdin (codex) be recorded; never wait on a stdin kept open (claude).
    await Promise.race([pumping, Bun.sleep(300)]);
    process.exit(args.exitCode);
  }

  let entries = readEntries(args.fixture);
  for (let i = 0; i < entries.length; i += 1) {
    const entry = entries[i];
    if (entry === undefined) break;
    if (entry.dir === "out") {
      await out(entry.msg, args.delayMs);
      continue;
    }
    const got = await awaitInput(stdin, entry.msg, args.delayMs);
    if (got === undefined) break; // stdin closed: the real CLI ends too
    if (isPermissionAnswer(entry.msg) && behaviourOf(got) !== behaviourOf(entry.msg) && args.alt !== undefined) {
      entries = switchBranch(entries, args.alt);
      i = -1;
    }
  }
  process.exit(args.exitCode);
}

if (import.meta.main) await main();
