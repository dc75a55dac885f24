// One resume syntax per engine, in one place: the id grammar, the line shown to users
// ("claude --resume <id>"), the parser that finds that line again, and the arguments the engine's
// command line gets to resume that session. The parser reads what Telegram hands back: entities
// stripped, a leading "↩️ ", the line anywhere in the text. Only ids that match the engine's grammar
// are accepted, so a token can never be read as a flag (`--dangerously-skip-permissions`) or carry
// anything but an id.
import type { EngineId } from "../config/schema.ts";
import { UntetherError } from "../errors.ts";
import type { ResumeToken } from "./events.ts";

export interface ResumeSyntax {
  readonly engine: string;
  /** Whole-string grammar of a session id. */
  readonly idPattern: RegExp;
  isValidId(value: string): boolean;
  /** The resume command a user sees and can paste into a terminal, e.g. `claude --resume <id>`. */
  format(token: ResumeToken): string;
  /** The last resume line of this engine in free text, or undefined. */
  parse(text: string): ResumeToken | undefined;
  /** The id for the CLI's argv; throws when it does not match the grammar (never reaches a CLI). */
  checkedId(token: ResumeToken): string;
  /**
   * The engine's own arguments that resume `token` (`["--resume", id]`), checked by `checkedId`;
   * "continue the newest session" gives the continue arguments ([] when the engine has none), and no
   * token gives [].
   */
  args(token: ResumeToken | undefined): string[];
}

export interface ResumeSyntaxSpec {
  engine: string;
  /** Regex source of the command before the id, e.g. `claude\s+(?:--resume|-r)`. */
  command: string;
  idPattern: RegExp;
  show(id: string): string;
  /** The line for "continue the newest session"; undefined when the engine has none. */
  showContinue?: string;
  /** The CLI arguments that resume session `id`. */
  resumeArgs(id: string): string[];
  /** The CLI arguments that continue the newest session; undefined when the engine has none. */
  continueArgs?: readonly string[];
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Characters a token may be made of before the grammar check: no quote, backtick, bracket or space. */
const TOKEN = "([^\\s`'\"<>()\\[\\]]+)";

export function defineResumeSyntax(spec: ResumeSyntaxSpec): ResumeSyntax {
  // Not anchored: Telegram returns "↩️ claude --resume <id>". A word boundary before the command
  // keeps "myclaude --resume" out.
  const line = new RegExp(`(?:^|[^\\w./-])${spec.command}\\s+${TOKEN}`, "gim");
  const isValidId = (value: string) => spec.idPattern.test(value);
  const checkedId = (token: ResumeToken): string => {
    if (!isValidId(token.value)) {
      throw new UntetherError(
        "engine.bad_resume_id",
        `Refusing to resume ${spec.engine}: the session id is not a valid ${spec.engine} id.`,
      );
    }
    return token.value;
  };
  return {
    engine: spec.engine,
    idPattern: spec.idPattern,
    isValidId,
    format(token) {
      if (token.isContinue || token.value === "") return spec.showContinue ?? spec.show("");
      return spec.show(token.value);
    },
    parse(text) {
      let found: string | undefined;
      for (const m of text.matchAll(line)) {
        const raw = (m[1] ?? "").replace(/[.,;:!?]+$/, "");
        if (isValidId(raw)) found = raw;
      }
      return found === undefined ? undefined : { engine: spec.engine, value: found };
    },
    checkedId,
    args(token) {
      if (token?.isContinue) return [...(spec.continueArgs ?? [])];
      if (!token?.value) return [];
      return spec.resumeArgs(checkedId(token));
    },
  };
}

/** Every engine's resume syntax (a missing engine is a type error). */
export const RESUME_SYNTAX: Record<EngineId, ResumeSyntax> = {
  claude: defineResumeSyntax({
    engine: "claude",
    command: "claude\\s+(?:--resume|-r)",
    idPattern: UUID,
    show: (id) => `claude --resume ${id}`,
    showContinue: "claude --continue",
    resumeArgs: (id) => ["--resume", id],
    continueArgs: ["--continue"],
  }),
  codex: defineResumeSyntax({
    engine: "codex",
    command: "codex\\s+(?:exec\\s+)?resume",
    idPattern: UUID,
    show: (id) => `codex resume ${id}`,
    showContinue: "codex resume --last",
    // After `exec`: `codex exec resume <id>`.
    resumeArgs: (id) => ["resume", id],
    continueArgs: ["resume", "--last"],
  }),
  pi: defineResumeSyntax({
    engine: "pi",
    command: "pi\\s+--session",
    idPattern: UUID,
    show: (id) => `pi --session ${id}`,
    showContinue: "pi --continue",
    resumeArgs: (id) => ["--session", id],
    continueArgs: ["--continue"],
  }),
  gemini: defineResumeSyntax({
    engine: "gemini",
    command: "gemini\\s+(?:--resume|-r)",
    idPattern: UUID,
    show: (id) => `gemini --resume ${id}`,
    showContinue: "gemini --resume latest",
    resumeArgs: (id) => ["--resume", id],
    continueArgs: ["--resume", "latest"],
  }),
  opencode: defineResumeSyntax({
    engine: "opencode",
    command: "opencode(?:\\s+run)?\\s+(?:--session|-s)",
    idPattern: /^ses_[A-Za-z0-9]{8,64}$/,
    show: (id) => `opencode --session ${id}`,
    showContinue: "opencode --continue",
    resumeArgs: (id) => ["--session", id],
    continueArgs: ["--continue"],
  }),
  amp: defineResumeSyntax({
    engine: "amp",
    command: "amp\\s+threads\\s+continue",
    idPattern: /^T-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    show: (id) => `amp threads continue ${id}`,
    // `amp threads continue` needs a thread id; there is no "newest thread" form.
    resumeArgs: (id) => ["threads", "continue", id],
  }),
  mock: defineResumeSyntax({
    engine: "mock",
    command: "mock\\s+--session",
    idPattern: /^mock-[0-9a-f]{8}$/,
    show: (id) => `mock --session ${id}`,
    resumeArgs: (id) => ["--session", id],
  }),
};
