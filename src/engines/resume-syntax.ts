// One resume syntax per engine: the id grammar, the line shown to users ("claude --resume <id>") and
// the parser that finds that line again. The parser reads what Telegram hands back: entities
// stripped, a leading "↩️ ", the line anywhere in the text. Only ids that match the engine's grammar
// are accepted, so a token can never be read as a flag (`--dangerously-skip-permissions`) or carry
// anything but an id.
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
}

export interface ResumeSyntaxSpec {
  engine: string;
  /** Regex source of the command before the id, e.g. `claude\s+(?:--resume|-r)`. */
  command: string;
  idPattern: RegExp;
  show(id: string): string;
  /** The line for "continue the newest session"; undefined when the engine has none. */
  showContinue?: string;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Characters a token may be made of before the grammar check: no quote, backtick, bracket or space. */
const TOKEN = "([^\\s`'\"<>()\\[\\]]+)";

export function defineResumeSyntax(spec: ResumeSyntaxSpec): ResumeSyntax {
  // Not anchored: Telegram returns "↩️ claude --resume <id>". A word boundary before the command
  // keeps "myclaude --resume" out.
  const line = new RegExp(`(?:^|[^\\w./-])${spec.command}\\s+${TOKEN}`, "gim");
  const isValidId = (value: string) => spec.idPattern.test(value);
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
    checkedId(token) {
      if (!isValidId(token.value)) {
        throw new UntetherError("engine.bad_resume_id", `Refusing to resume ${spec.engine}: the session id is not a valid ${spec.engine} id.`);
      }
      return token.value;
    },
  };
}
