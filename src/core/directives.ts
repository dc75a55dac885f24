// Directives on the first line of a prompt: `/<engine>`, `/<project>` and `@<branch>` tokens, consumed
// left to right until the first other token. `/claude /backend @fix-ci fix the tests` → engine claude,
// project backend, branch fix-ci (validated later, by core/worktrees.ts).

export interface Directives {
  engine?: string;
  project?: string;
  branch?: string;
  prompt: string;
}

export class DirectiveError extends Error {}

function commandName(token: string): string | undefined {
  if (!token.startsWith("/") || token.length < 2) return undefined;
  // "/claude@my_bot" → "claude"
  return token.slice(1).split("@")[0]?.toLowerCase();
}

export function parseDirectives(text: string, engines: ReadonlySet<string>, projects: ReadonlySet<string>): Directives {
  const lines = text.split("\n");
  const firstIdx = lines.findIndex((l) => l.trim() !== "");
  if (firstIdx < 0) return { prompt: text.trim() };
  const tokens = (lines[firstIdx] as string).trim().split(/\s+/);
  let engine: string | undefined;
  let project: string | undefined;
  let branch: string | undefined;
  let consumed = 0;
  for (const token of tokens) {
    if (token.startsWith("@") && token.length > 1) {
      if (branch !== undefined) throw new DirectiveError("only one @branch per message");
      branch = token.slice(1);
      consumed++;
      continue;
    }
    const name = commandName(token);
    if (name === undefined) break;
    if (engines.has(name)) {
      if (engine !== undefined) throw new DirectiveError("only one engine per message, e.g. /claude");
      engine = name;
    } else if (projects.has(name)) {
      if (project !== undefined) throw new DirectiveError("only one project per message");
      project = name;
    } else {
      break;
    }
    consumed++;
  }
  if (consumed === 0) return { prompt: text.trim() };
  lines[firstIdx] = tokens.slice(consumed).join(" ");
  return { engine, project, branch, prompt: lines.join("\n").trim() };
}

/** First token of the first line as a command name, e.g. "/cancel@bot extra" → "cancel". */
export function leadingCommand(text: string): { name: string; args: string } | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("/")) return undefined;
  const m = /^\/([A-Za-z0-9_]+)(?:@[A-Za-z0-9_]+)?(?=\s|$)([\s\S]*)$/.exec(trimmed);
  if (!m) return undefined;
  return { name: (m[1] as string).toLowerCase(), args: (m[2] as string).trim() };
}
