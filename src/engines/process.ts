// Runs one engine process: `<cli> <args>` exec'd with exactly the allowlisted environment (passed as
// the exec's own environment, never on a command line), in its own process group; stdout read as JSON
// lines into events, stderr kept (bounded) for error messages, cancel = SIGTERM to the whole group
// and SIGKILL after a grace period. Exactly one `completed` event reaches the caller, always last.
import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { logger } from "../log/logger.ts";
import { sanitizeForUser } from "../log/redact.ts";
import { type EnvExtras, filterEnv, isAllowed, logUserExtensionsOnce } from "../security/env-policy.ts";
import type { CompletedEvent, EngineEvent, ResumeToken } from "./events.ts";
import { decodeJsonLine, readLines } from "./jsonl.ts";
import type { EngineDefinition, EngineJob, PermissionDecision, PermissionRequest } from "./types.ts";

export interface RunEngineOptions {
  sourceEnv: Record<string, string | undefined>;
  extras: EnvExtras;
  /** Defaults for the engine (e.g. Claude's stream watchdog): a value in the user's allowed environment wins. */
  defaultEnv?: Record<string, string>;
  /** Read /proc/<pid>/environ once and log names the policy does not allow. */
  envAudit: boolean;
  onEvent(e: EngineEvent): void;
  ask?(req: PermissionRequest): Promise<PermissionDecision>;
  /** SIGTERM → SIGKILL delay. */
  graceMs?: number;
  /** Whole-run limit; the run is cancelled with reason "timeout". */
  timeoutMs?: number;
  /** After the leader exits, how long a forked child may keep stdout open before the group is killed. */
  drainMs?: number;
  /** Aborting it cancels the run (reason "cancelled"). */
  signal?: AbortSignal;
  /** CLI lookup (tests inject one); default: absolute paths as-is, else PATH of the engine env. */
  resolveCli?(cli: string, path: string | undefined): string | undefined;
}

export type StopReason = "cancelled" | "interrupted" | "timeout";

export interface EngineRunResult {
  exitCode: number | null;
  signal: string | null;
  completed: CompletedEvent;
  stderrTail: string;
}

export interface RunHandle {
  readonly pid: number | undefined;
  readonly done: Promise<EngineRunResult>;
  cancel(reason: StopReason): void;
}

const STDERR_LIMIT = 64 * 1024;
const PROMPT_MARK = "<prompt>";

/** Keeps the last `limit` characters of a stream. */
class TailBuffer {
  #text = "";
  constructor(private readonly limit: number) {}
  push(s: string): void {
    this.#text += s;
    if (this.#text.length > this.limit * 2) this.#text = this.#text.slice(-this.limit);
  }
  get value(): string {
    return this.#text.length > this.limit ? this.#text.slice(-this.limit) : this.#text;
  }
}

export function resolveCli(cli: string, path: string | undefined): string | undefined {
  if (isAbsolute(cli)) return cli;
  return Bun.which(cli, { PATH: path ?? "" }) ?? undefined;
}

/** The argv as it may be logged: the prompt never shown, should an engine still put it there. */
export function redactArgv(argv: readonly string[], prompt: string): string[] {
  return argv.map((a) => (prompt !== "" && a.includes(prompt) ? a.split(prompt).join(PROMPT_MARK) : a));
}

/** The environment as it may be logged: names only, every value masked. */
export function redactEnv(env: Record<string, string>): string[] {
  return Object.keys(env).map((k) => `${k}=***`);
}

/**
 * Exactly the environment the engine is exec'd with: the defaults, overridden by the allowlisted
 * user environment, minus the definition's removals, plus its forced extras.
 */
export function engineEnv(
  def: EngineDefinition,
  sourceEnv: Record<string, string | undefined>,
  extras: EnvExtras,
  defaults: Record<string, string> = {},
): Record<string, string> {
  const env = { ...defaults, ...filterEnv(sourceEnv, extras) };
  for (const name of def.removeEnv?.() ?? []) delete env[name];
  const out = { ...env, ...def.extraEnv?.() };
  // The mock engine is this binary re-executed: BUN_BE_BUN would turn it into the bun CLI.
  delete out.BUN_BE_BUN;
  return out;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  // -0 is our own group and -1 is every process we may signal: never send either.
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Names every shell sets by itself when it runs a script: a CLI installed through a shell shim (asdf,
 * mise, nvm) execs with them, and they carry nothing of ours. Only these; every other name is reported.
 */
const SHELL_OWN_NAMES: ReadonlySet<string> = new Set(["PWD", "OLDPWD", "SHLVL", "_"]);

/** Names in a /proc/<pid>/environ text that neither the policy nor the definition allows, once each. */
export function leakedEnvNames(environ: string, def: EngineDefinition, extras: EnvExtras): string[] {
  const declared = new Set(Object.keys(def.extraEnv?.() ?? {}));
  const seen = new Set<string>();
  for (const chunk of environ.split("\0")) {
    const eq = chunk.indexOf("=");
    if (eq <= 0) continue;
    const name = chunk.slice(0, eq);
    // The value too, as the filter checks it: a prefixed URL with a password is a leak.
    if (SHELL_OWN_NAMES.has(name) || declared.has(name) || isAllowed(name, extras, chunk.slice(eq + 1))) continue;
    seen.add(name);
  }
  return [...seen];
}

/** Reads the running engine's environment once and warns (names only) about what should not be there. */
export function auditEnv(def: EngineDefinition, pid: number, extras: EnvExtras): void {
  if (process.platform !== "linux") return;
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, "utf8");
  } catch {
    return;
  }
  for (const name of leakedEnvNames(raw, def, extras)) logger().warn({ name, pid }, `${def.id}.env_audit.leaked_var`);
}

export function runEngine(def: EngineDefinition, job: EngineJob, o: RunEngineOptions): RunHandle {
  const env = engineEnv(def, o.sourceEnv, o.extras, o.defaultEnv);
  logUserExtensionsOnce(o.extras);
  const cliPath = (o.resolveCli ?? resolveCli)(def.cli, env.PATH);
  const emitted = { started: false, completed: false };
  let finalEvent: CompletedEvent | undefined;
  // Kept so a synthesised completion still lets the user resume the session.
  let resume: ResumeToken | undefined;
  const emit = (e: EngineEvent) => {
    if (emitted.completed) return;
    if (e.type === "started") resume = e.resume;
    if (e.type === "completed") {
      emitted.completed = true;
      finalEvent = e;
    }
    o.onEvent(e);
  };

  const failEarly = (error: string): RunHandle => {
    const completed: CompletedEvent = { type: "completed", engine: def.id, ok: false, answer: "", error };
    emit(completed);
    return {
      pid: undefined,
      cancel() {},
      done: Promise.resolve({ exitCode: null, signal: null, completed, stderrTail: "" }),
    };
  };
  if (!cliPath) {
    return failEarly(
      `${def.displayName} is not installed: \`${def.cli}\` was not found on PATH. Install it, or pick another engine with /agent set.`,
    );
  }

  // No `env -i K=V …` wrapper: its command line, values included, is readable by every local user in
  // /proc/<pid>/cmdline. The environment goes to execve() itself, readable only by the same user.
  const argv = [cliPath, ...def.buildArgs(job)];
  const stdinText = def.stdinText?.(job);
  const session = o.ask && def.createStdinSession ? def.createStdinSession(job, o.ask) : undefined;
  logger().info(
    { engine: def.id, argv: redactArgv(argv, job.prompt), env: redactEnv(env), cwd: job.cwd },
    "engine.spawn",
  );
  logger().debug(
    { engine: def.id, prompt: job.prompt.length > 100 ? `${job.prompt.slice(0, 100)}…` : job.prompt },
    "engine.prompt",
  );

  let proc: Bun.Subprocess<"pipe" | "ignore", "pipe", "pipe">;
  try {
    proc = Bun.spawn(argv, {
      cwd: job.cwd,
      env, // exactly this, nothing merged in; never omitted: without it Bun passes its start-up environment
      stdin: session || stdinText !== undefined ? "pipe" : "ignore",
      stdout: "pipe",
      stderr: "pipe",
      detached: true, // setsid(): the engine leads its own process group, so -pid reaches every descendant
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    logger().warn({ engine: def.id, code, cwd: job.cwd }, "engine.spawn_failed");
    return failEarly(`${def.displayName} could not be started (${code}). Check that the project directory exists.`);
  }
  const pid = proc.pid;
  let stopReason: StopReason | undefined;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stdin = proc.stdin as import("bun").FileSink | undefined;
  // A write beyond the pipe's buffer completes later, and fails (EPIPE) if the engine exits without
  // reading it all: that failure is the engine's, reported through its exit, never an unhandled error.
  const settle = (r: unknown) => {
    if (r instanceof Promise) r.catch(() => {});
  };
  const write = (line: string) => {
    try {
      settle(stdin?.write(`${line}\n`));
      settle(stdin?.flush());
    } catch {
      // The engine closed its stdin; its exit is reported through the stream.
    }
  };
  const closeStdin = () => {
    try {
      settle(stdin?.end());
    } catch {
      // already closed
    }
  };
  if (session) for (const l of session.initialLines) write(l);
  else if (stdinText !== undefined) {
    try {
      settle(stdin?.write(stdinText));
    } catch {
      // as above
    }
    closeStdin();
  }

  let finished = false;
  const cancel = (reason: StopReason) => {
    // Once reaped, the pid may belong to someone else: never signal it again.
    if (stopReason || finished) return;
    stopReason = reason;
    killGroup(pid, "SIGTERM");
    killTimer = setTimeout(() => killGroup(pid, "SIGKILL"), o.graceMs ?? 5000);
  };
  const timeout = o.timeoutMs ? setTimeout(() => cancel("timeout"), o.timeoutMs) : undefined;
  const onAbort = () => cancel("cancelled");
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener("abort", onAbort, { once: true });

  const stderr = new TailBuffer(STDERR_LIMIT);
  const stderrDone = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr) stderr.push(dec.decode(chunk, { stream: true }));
  })();

  const parser = def.createParser(job);
  let audited = !o.envAudit;
  const stdoutDone = (async () => {
    for await (const item of readLines(proc.stdout)) {
      if ("oversized" in item) {
        logger().warn({ engine: def.id, chars: item.oversized }, "engine.oversized_line");
        continue;
      }
      const msg = decodeJsonLine(item.line);
      if (!msg) {
        if (item.line.trim() !== "")
          logger().debug({ engine: def.id, length: item.line.length }, "engine.non_json_line");
        continue;
      }
      if (!audited) {
        audited = true;
        auditEnv(def, pid, o.extras);
      }
      // After a stop only the stop's own completion is reported.
      if (stopReason) continue;
      if (session?.onMessage(msg, write)) continue;
      let events: EngineEvent[];
      try {
        events = parser.parse(msg);
      } catch (e) {
        logger().warn({ engine: def.id, error: (e as Error).message }, "engine.parse_failed");
        continue;
      }
      for (const e of events) {
        emit(e);
        if (e.type === "completed") closeStdin();
      }
    }
  })();

  const done = (async (): Promise<EngineRunResult> => {
    await proc.exited;
    // A forked child may still hold stdout open: give it a moment, then end the whole group.
    const drained = await Promise.race([stdoutDone.then(() => true), Bun.sleep(o.drainMs ?? 500).then(() => false)]);
    killGroup(pid, "SIGKILL");
    if (!drained) await stdoutDone;
    await stderrDone;
    if (killTimer) clearTimeout(killTimer);
    if (timeout) clearTimeout(timeout);
    finished = true;
    o.signal?.removeEventListener("abort", onAbort);
    closeStdin();
    const exitCode = proc.exitCode;
    const signal = proc.signalCode === null || proc.signalCode === undefined ? null : String(proc.signalCode);
    const tail = stderr.value;
    if (!emitted.completed) {
      const excerpt = tail.trim() ? sanitizeForUser(tail.trim().split("\n").slice(-8).join("\n"), 600) : "";
      const error = stopReason
        ? stopReason === "timeout"
          ? `${def.displayName} took too long and was stopped.`
          : stopReason
        : `${parser.missingCompletion(exitCode)}${excerpt ? `\n${excerpt}` : ""}`;
      emit({ type: "completed", engine: def.id, ok: false, answer: "", error, ...(resume ? { resume } : {}) });
    }
    logger().info({ engine: def.id, pid, exit_code: exitCode, signal, stop_reason: stopReason }, "engine.exited");
    return { exitCode, signal, completed: finalEvent as CompletedEvent, stderrTail: tail };
  })();

  return { pid, done, cancel };
}
