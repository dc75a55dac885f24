// The tool → action mapping: one vocabulary for the progress view whatever the engine calls its
// tools (Bash, run_shell_command, exec …), with paths shown relative to the run directory.
import { isAbsolute, relative } from "node:path";
import type { Action } from "./events.ts";
import { type Json, pick, truncate } from "./json.ts";

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
export function pathFromCwd(path: string, cwd: string | undefined): string {
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
  const shown = path === undefined ? undefined : pathFromCwd(path, cwd);

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
  if (n === "find")
    return { id, kind: "tool", title: `find: ${pick(input, "pattern", "name") ?? ""}`, detail: { tool: name } };
  if (LIST.has(n)) return { id, kind: "tool", title: `ls: ${shown ?? "."}`, detail: { tool: name } };
  if (WEB.has(n)) {
    const query = pick(input, "query", "url", "prompt") ?? name;
    return { id, kind: "web_search", title: firstLine(query), detail: { tool: name, query } };
  }
  if (n === "todowrite" || n === "writetodos")
    return { id, kind: "note", title: "update todos", detail: { tool: name } };
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
