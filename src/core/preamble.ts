// The `[preamble]`: text put before every prompt sent to an engine, so the agent knows it is driven
// from a phone and that only its final answer reaches the user.
import type { PreambleConfig } from "../config/schema.ts";

export const BUILTIN_PREAMBLE = [
  "You are being driven remotely from a Telegram chat through Untether.",
  "The user does not see your tool calls or their output: only your final answer and a short progress list with one line per action.",
  "So end with a final answer that sums up what you did and what you found (files changed, commands run and their outcome, anything left to do).",
  "Be concise; the user is probably reading on a phone.",
  "Markdown is rendered: code blocks are fine, tables are not (use lists instead).",
  "When you need a decision from the user, stop and ask one clear question.",
  "Files you write to `.untether-outbox/` in the project are sent to the user when the run ends.",
].join("\n");

/** `<preamble>\n\n---\n\n<prompt>`: the separator keeps the user's part (and a webhook's payload marker) recognisable. */
export function composePrompt(preamble: string | undefined, prompt: string): string {
  return preamble === undefined ? prompt : `${preamble}\n\n---\n\n${prompt}`;
}

/** The preamble for an engine, or undefined when none is to be sent. */
export function preambleFor(config: PreambleConfig, engineId: string): string | undefined {
  // The mock engine echoes its prompt back ("You said: …"): with a preamble every demo and test
  // answer would start with it, and it is no agent that could act on it anyway.
  if (!config.enabled || engineId === "mock") return undefined;
  const text = (config.text ?? BUILTIN_PREAMBLE).trim();
  // An empty custom text means "no preamble", not a bare separator.
  return text === "" ? undefined : text;
}
