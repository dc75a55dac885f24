// The fake models' script: what to answer, decided from the conversation the CLI sent (every CLI
// sends the whole conversation each turn, so no state is kept here). Shared by every wire format.

/** The conversation as one provider's request shows it, reduced to what the script needs. */
export interface Conversation {
  /** Text of the last user message, with the CLI's own context blocks removed. */
  lastUserText: string;
  /** User messages typed by a person (context-only messages and tool results not counted). */
  userMessages: number;
  /** Set when the last message is a tool result coming back. */
  toolResult?: { text: string; failed: boolean };
  /** The request offers a shell tool with this name and JSON schema. */
  shellTool?: { name: string; schema: unknown };
  /** The tool the model called last (the tool_use the tool result answers), where the wire format says. */
  lastToolUse?: string;
  /** The plan file Claude's plan mode names in its system reminder ("create your plan at …"). */
  planFile?: string;
  /** Names of every tool the request offers (where the wire format says). */
  toolNames?: string[];
  /** Media types of the image blocks in the last user message (where the wire format says). */
  images?: string[];
}

export type Answer =
  | { kind: "text"; text: string; chunkDelayMs: number }
  | { kind: "tool"; text: string; tool: string; args: Record<string, unknown> }
  | { kind: "error"; status: number; message: string };

/** An answer that streams (text, or text then a tool call). */
export type Spoken = Exclude<Answer, { kind: "error" }>;

/** The command of a FAKE_BASH tool call (the one the recorded fixtures show). */
export const FAKE_COMMAND = "echo hello > out.txt";
export const PLAIN_ANSWER = "Hi! I am the fake model.";
/** What a `FAKE_WRITE <absolute path>` Write tool call puts in the file. */
export const FAKE_WRITE_CONTENT = "line one\nline two\n";
/** The AskUserQuestion call of `FAKE_ASK`: two questions, the second multi-select. */
export const FAKE_QUESTIONS = [
  {
    question: "Which colour should the button be?",
    header: "Colour",
    options: [
      { label: "Red", description: "warm and loud" },
      { label: "Blue", description: "calm" },
    ],
    multiSelect: false,
  },
  {
    question: "Which extras do you want?",
    header: "Extras",
    options: [
      { label: "Tests", description: "unit tests" },
      { label: "Docs", description: "a README section" },
      { label: "Bench", description: "a benchmark" },
    ],
    multiSelect: true,
  },
];
/** The plan of a `FAKE_PLAN` ExitPlanMode call. */
export const FAKE_PLAN = "## Plan\n\n1. Add the **retry** loop\n2. Test it\n";
/** Shell tools of the five CLIs, most specific first. */
export const SHELL_TOOL_NAMES = ["Bash", "exec_command", "run_shell_command", "shell", "bash"];

const SLOW_CHUNKS = 240;
const SLOW_DELAY_MS = 250;

/**
 * Removes the context the CLIs wrap around a prompt (`<system-reminder>`, `<environment_context>`,
 * `<session_context>`, …) and the quotes opencode puts around a title request.
 */
export function stripContext(text: string): string {
  let out = text;
  for (;;) {
    const next = out.replace(/<([a-z][a-z0-9_-]*)(?:\s[^>]*)?>[\s\S]*?<\/\1>/gi, "");
    if (next === out) break;
    out = next;
  }
  return out.trim();
}

/** A typed user message: something left once the CLI's context blocks are gone. */
export function isTyped(text: string): boolean {
  const t = stripContext(text);
  return t !== "" && !t.startsWith("# AGENTS.md") && !/^<\w/.test(t);
}

export function decide(c: Conversation): Answer {
  // FAKE_PLAN: Claude's plan mode the way the model uses it — enter it, write the plan file, ask to exit.
  if (c.toolResult && c.lastUserText.includes("FAKE_PLAN")) {
    if (c.lastToolUse === "EnterPlanMode" && c.planFile)
      return {
        kind: "tool",
        text: "Writing the plan.",
        tool: "Write",
        args: { file_path: c.planFile, content: FAKE_PLAN },
      };
    if (c.lastToolUse === "Write") return { kind: "tool", text: "The plan is ready.", tool: "ExitPlanMode", args: {} };
  }
  if (c.toolResult) {
    const text = `${c.toolResult.failed ? "Tool failed" : "Tool finished"}: ${c.toolResult.text.trim() || "(no output)"}`;
    return { kind: "text", text, chunkDelayMs: 0 };
  }
  const last = c.lastUserText;
  if (last.includes("FAKE_API_ERROR"))
    return { kind: "error", status: 400, message: "fake invalid request (FAKE_API_ERROR)" };
  if (last.includes("FAKE_BASH") && c.shellTool) {
    return {
      kind: "tool",
      text: "I will run a shell command.",
      tool: c.shellTool.name,
      args: fillArgs(c.shellTool.schema, FAKE_COMMAND),
    };
  }
  const write = /FAKE_WRITE (\S+)/.exec(last);
  if (write && c.toolNames?.includes("Write")) {
    return {
      kind: "tool",
      text: "I will write a file.",
      tool: "Write",
      args: { file_path: write[1], content: FAKE_WRITE_CONTENT },
    };
  }
  if (last.includes("FAKE_ASK") && c.toolNames?.includes("AskUserQuestion")) {
    return { kind: "tool", text: "I have questions.", tool: "AskUserQuestion", args: { questions: FAKE_QUESTIONS } };
  }
  if (last.includes("FAKE_PLAN") && c.toolNames?.includes("EnterPlanMode")) {
    return { kind: "tool", text: "Let me plan first.", tool: "EnterPlanMode", args: {} };
  }
  if (last.includes("FAKE_IMAGE")) {
    const seen = c.images ?? [];
    return { kind: "text", text: `I see ${seen.length} image(s): ${seen.join(", ") || "none"}.`, chunkDelayMs: 0 };
  }
  if (last.includes("FAKE_REMEMBER")) {
    return { kind: "text", text: `I see ${c.userMessages} user messages in this conversation.`, chunkDelayMs: 0 };
  }
  if (last.includes("FAKE_SLOW")) {
    const words = Array.from({ length: SLOW_CHUNKS }, (_, i) => `slow chunk ${i + 1}. `).join("");
    return { kind: "text", text: words, chunkDelayMs: SLOW_DELAY_MS };
  }
  return { kind: "text", text: PLAIN_ANSWER, chunkDelayMs: 0 };
}

/** Picks the shell tool among the tools a request offers. */
export function findShellTool(
  tools: Array<{ name: string; schema: unknown }>,
): { name: string; schema: unknown } | undefined {
  for (const name of SHELL_TOOL_NAMES) {
    const t = tools.find((x) => x.name === name);
    if (t) return t;
  }
  return undefined;
}

type Schema = { type?: unknown; properties?: Record<string, Schema>; required?: unknown; items?: Schema };

/** Arguments for the shell tool, filled from its own JSON schema: the command goes in `command`/`cmd`. */
export function fillArgs(schema: unknown, command: string): Record<string, unknown> {
  const s = (schema ?? {}) as Schema;
  const props = s.properties ?? {};
  const required = Array.isArray(s.required) ? (s.required as string[]) : [];
  const out: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(props)) {
    const isCommand = /^(command|cmd)$/i.test(name);
    if (!isCommand && !required.includes(name) && name !== "description") continue;
    const type = Array.isArray(p.type) ? p.type[0] : p.type;
    if (isCommand) out[name] = type === "array" ? ["bash", "-lc", command] : command;
    else if (name === "description") out[name] = "Write hello to out.txt";
    else if (type === "string") out[name] = "";
    else if (type === "number" || type === "integer") out[name] = 60;
    else if (type === "boolean") out[name] = false;
    else if (type === "array") out[name] = [];
    else if (type === "object") out[name] = {};
  }
  return out;
}

/** Splits a text into the chunks a stream sends (8 characters, like the recordings). */
export function chunks(text: string, size = 8): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [""];
}

/** The text of message content in the shapes the providers use (a string or a list of parts). */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((p: unknown) => {
      if (typeof p === "string") return p;
      const r = (p ?? {}) as Record<string, unknown>;
      return typeof r.text === "string" ? r.text : "";
    })
    .join("\n");
}
