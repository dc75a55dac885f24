// Shared by every engine module: the tool → action mapping (one vocabulary for the progress view
// whatever the engine calls its tools), small guards for untyped JSON, the managed-flag check and
// the started/completed bookkeeping that keeps the event invariant in one place.
import { isAbsolute, relative } from "node:path";
import { UntetherError } from "../errors.ts";
import type { Action, ActionEvent, CompletedEvent, EngineEvent, ResumeToken, StartedEvent, Usage } from "./events.ts";

// ---- guards -------------------------------------------------------------------------------------

export type Json = Record<string, unknown>;

export function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function rec(v: unknown): Json {
  return isRecord(v) ? v : {};
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** First non-empty string among `keys` of `input`. */
export function pick(input: Json, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = input[k];
    if (typeof v === "string" && v.length > 0) return v;
  }
  return undefined;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Text of a tool result / message content: a string, or a list of `{type:"text",text}` blocks. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((b) => (isRecord(b) && typeof b.text === "string" ? b.text : ""))
      .filter((t) => t.length > 0)
      .join("\n");
  }
  if (isRecord(content) && typeof content.text === "string") return content.text;
  return "";
}

/**
 * Providers wrap their error body as JSON inside a string (`{"error":{"message":…}}`, gemini's
 * `[API Error: {…}]`). Users want the message, not the envelope.
 */
export function unwrapErrorText(text: string): string {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start < 0 || end <= start) return text;
  try {
    const parsed: unknown = JSON.parse(text.slice(start, end + 1));
    const err = isRecord(parsed) ? (isRecord(parsed.error) ? parsed.error : parsed) : {};
    const msg = str(err.message);
    if (!msg) return text;
    const code = num(err.code);
    return code === undefined ? msg : `${code} ${msg}`;
  } catch {
    return text;
  }
}

// ---- managed flags ------------------------------------------------------------------------------

/**
 * Rejects user `extra_args` that would override a flag Untether sets itself (output format, resume,
 * permission plumbing). Matches `--flag`, `--flag=value` and exact short flags.
 */
export function rejectManagedFlags(engine: string, extraArgs: readonly string[], managed: readonly string[]): void {
  for (const arg of extraArgs) {
    const flag = managed.find((m) => arg === m || (m.startsWith("--") && arg.startsWith(`${m}=`)));
    if (flag !== undefined) {
      throw new UntetherError(
        "engine.managed_flag",
        `Flag '${flag}' in \`${engine}.extra_args\` is managed by Untether and cannot be overridden; remove it from the config.`,
      );
    }
  }
}

export function stringList(engine: string, key: string, v: unknown, fallback: readonly string[]): string[] {
  if (v === undefined) return [...fallback];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new UntetherError("engine.bad_option", `Invalid \`${engine}.${key}\`; expected a list of strings.`);
  }
  return [...v];
}

export function optionalString(engine: string, key: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.trim() === "") {
    throw new UntetherError("engine.bad_option", `Invalid \`${engine}.${key}\`; expected a non-empty string.`);
  }
  return v;
}

export function optionalBool(engine: string, key: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") {
    throw new UntetherError("engine.bad_option", `Invalid \`${engine}.${key}\`; expected true or false.`);
  }
  return v;
}

// ---- tool → action ------------------------------------------------------------------------------

/** Lower-cased, without `_`/`-`: `run_shell_command`, `RunShellCommand` and `runshellcommand` meet. */
function normalise(name: string): string {
  return name.toLowerCase().replace(/[_\-\s]/g, "");
}

const COMMAND = new Set(["bash", "shell", "killshell", "killbash", "runshellcommand", "execcommand", "exec"]);
const FILE_CHANGE = new Set([
  "edit",
  "write",
  "multiedit",
  "notebookedit",
  "editfile",
  "createfile",
  "writefile",
  "replace",
  "applypatch",
  "patch",
]);
const WEB = new Set(["websearch", "webfetch", "googlewebsearch", "readwebpage", "fetch"]);
const SUBAGENT = new Set(["task", "agent"]);
const READ = new Set(["read", "readfile", "readmanyfiles", "view"]);
const GREP = new Set(["grep", "searchfilecontent", "rg"]);
const LIST = new Set(["ls", "listdirectory", "list"]);

/** Shows paths relative to the run directory (shorter, and no home directory in the chat). */
export function displayPath(path: string, cwd: string | undefined): string {
  if (!cwd) return path;
  const base = cwd.endsWith("/") ? cwd : `${cwd}/`;
  if (path.startsWith(base)) return path.slice(base.length);
  if (!isAbsolute(path) || !isAbsolute(cwd)) return path;
  const rel = relative(cwd, path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
}

function firstLine(text: string): string {
  return truncate(text.split("\n", 1)[0] ?? "", 200);
}

/** Maps one tool call to an action. `name` is the engine's tool name, `input` its arguments. */
export function toolAction(id: string, name: string, input: Json, cwd?: string): Action {
  const n = normalise(name);
  const path = pick(input, "file_path", "filePath", "path", "absolute_path", "notebook_path", "file");
  const shown = path === undefined ? undefined : displayPath(path, cwd);

  if (COMMAND.has(n)) {
    const command = pick(input, "command", "cmd") ?? name;
    return { id, kind: "command", title: firstLine(command), detail: { tool: name, command } };
  }
  if (FILE_CHANGE.has(n)) {
    const changes = shown === undefined ? [] : [{ path: shown, kind: "update" }];
    return { id, kind: "file_change", title: shown ?? name, detail: { tool: name, changes } };
  }
  if (READ.has(n)) return { id, kind: "tool", title: shown ? `read: \`${shown}\`` : "read", detail: { tool: name } };
  if (n === "glob") {
    const pattern = pick(input, "pattern", "glob") ?? "";
    return { id, kind: "tool", title: `glob: \`${pattern}\``, detail: { tool: name } };
  }
  if (GREP.has(n)) {
    const pattern = pick(input, "pattern", "query", "regex") ?? "";
    return { id, kind: "tool", title: `grep: ${firstLine(pattern)}`, detail: { tool: name } };
  }
  if (n === "find") return { id, kind: "tool", title: `find: ${pick(input, "pattern", "name") ?? ""}`, detail: { tool: name } };
  if (LIST.has(n)) return { id, kind: "tool", title: `ls: ${shown ?? "."}`, detail: { tool: name } };
  if (WEB.has(n)) {
    const query = pick(input, "query", "url", "prompt") ?? name;
    return { id, kind: "web_search", title: firstLine(query), detail: { tool: name, query } };
  }
  if (n === "todowrite" || n === "writetodos") return { id, kind: "note", title: "update todos", detail: { tool: name } };
  if (n === "todoread") return { id, kind: "note", title: "read todos", detail: { tool: name } };
  if (n === "askuserquestion") return { id, kind: "note", title: "ask user", detail: { tool: name } };
  if (SUBAGENT.has(n)) {
    const what = pick(input, "description", "prompt") ?? name;
    return { id, kind: "subagent", title: firstLine(what), detail: { tool: name } };
  }
  return { id, kind: "tool", title: name, detail: { tool: name } };
}

/** A short, safe description of tool input for approval prompts (never the full file content). */
export function inputSummary(name: string, input: Json, cwd?: string): string {
  const action = toolAction("", name, input, cwd);
  if (action.kind === "tool" && action.title === name) {
    const text = JSON.stringify(input);
    return truncate(text === "{}" ? name : text, 300);
  }
  return truncate(action.title, 300);
}

// ---- run bookkeeping ----------------------------------------------------------------------------

/**
 * Holds one run's invariant: exactly one `started` (first) and exactly one `completed` (last).
 * Parsers call `start` as soon as the session id is known and `complete` once; anything after
 * `completed` is dropped.
 */
const MAX_OPEN_ACTIONS = 1000;

export class RunTracker {
  readonly engine: string;
  private startedToken: ResumeToken | undefined;
  private done = false;
  private readonly open = new Map<string, Action>();

  /** `expected` = the session being resumed: the stream must report the same one (or a longer id it prefixes). */
  private readonly expected: string | undefined;

  /** `trackOpen = false` for parsers that never call `opened()` (codex): a Map write per action saved. */
  constructor(engine: string, resume?: ResumeToken, private readonly trackOpen = true) {
    this.engine = engine;
    const v = resume?.isContinue ? "" : (resume?.value ?? "");
    // A file-path token (pi before promotion) cannot be compared with the id in the stream.
    this.expected = v === "" || v.includes("/") ? undefined : v;
  }

  get resume(): ResumeToken | undefined {
    return this.startedToken;
  }

  get isStarted(): boolean {
    return this.startedToken !== undefined;
  }

  get isDone(): boolean {
    return this.done;
  }

  start(value: string, meta?: StartedEvent["meta"], title?: string): EngineEvent[] {
    if (this.startedToken !== undefined || this.done || value === "") return [];
    this.startedToken = { engine: this.engine, value };
    const ev: StartedEvent = { type: "started", engine: this.engine, resume: this.startedToken };
    if (title !== undefined) ev.title = title;
    if (meta !== undefined) {
      const clean = Object.fromEntries(Object.entries(meta).filter(([, v]) => v !== undefined));
      if (Object.keys(clean).length > 0) ev.meta = clean;
    }
    if (this.expected !== undefined && !value.startsWith(this.expected)) {
      // Continuing in a different session would silently lose the conversation the user asked for.
      const error = `asked to resume session ${this.expected} but ${this.engine} reported session ${value}`;
      return [ev, ...this.complete({ ok: false, answer: "", error })];
    }
    return [ev];
  }

  /** Action events are only valid between started and completed. */
  action(action: Action, phase: ActionEvent["phase"], ok?: boolean): EngineEvent[] {
    if (!this.isStarted || this.done) return [];
    if (!this.trackOpen) {
      // nothing to remember
    } else if (phase === "completed") this.open.delete(action.id);
    else {
      this.open.set(action.id, action);
      // Actions whose completion never comes must not pile up over a long run (with their inputs).
      // Cleared wholesale: evicting the oldest one by one walks the map's tombstones on every call.
      if (this.open.size > MAX_OPEN_ACTIONS) this.open.clear();
    }
    const ev: ActionEvent = { type: "action", engine: this.engine, action, phase };
    if (ok !== undefined) ev.ok = ok;
    return [ev];
  }

  /** The action started under `id`, if still open. */
  opened(id: string): Action | undefined {
    return this.open.get(id);
  }

  complete(fields: { ok: boolean; answer: string; error?: string; usage?: Usage }): EngineEvent[] {
    if (this.done || !this.isStarted) return [];
    this.done = true;
    const ev: CompletedEvent = { type: "completed", engine: this.engine, ok: fields.ok, answer: fields.answer };
    if (this.startedToken !== undefined) ev.resume = this.startedToken;
    if (fields.error !== undefined) ev.error = fields.error;
    if (fields.usage !== undefined) ev.usage = fields.usage;
    return [ev];
  }
}

/** The end-of-stream message for every engine: "<name> exited (code N) without a final result". */
export function missingCompletionText(displayName: string, exitCode: number | null, lastError?: string): string {
  const how = exitCode === null ? "was stopped" : `exited (code ${exitCode})`;
  const base = `${displayName} ${how} without a final result`;
  return lastError ? `${base}: ${truncate(lastError, 300)}` : base;
}
