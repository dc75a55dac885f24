// How forwarded messages reach the agent: each quoted under a line naming its origin and date, in the
// order they were forwarded, after the sender's own words (so a first-line `/engine` or `@branch`
// still applies). A forward's text is never read as a command or a directive.
import type { IncomingMessage } from "./incoming.ts";

function when(unixSeconds: number | undefined): string {
  if (unixSeconds === undefined || unixSeconds <= 0) return "";
  const iso = new Date(unixSeconds * 1000).toISOString();
  return `, ${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** `[forwarded from Alice (@alice), 2026-12-06 10:00 UTC]` then the text, each line quoted with `> `. */
export function quoteForward(m: IncomingMessage): string {
  const head = `[forwarded from ${m.forward?.from ?? "an unknown sender"}${when(m.forward?.date)}]`;
  const body =
    m.text === ""
      ? "> (no text)"
      : m.text
          .split("\n")
          .map((l) => `> ${l}`.trimEnd())
          .join("\n");
  return `${head}\n${body}`;
}

/** The prompt of a message that carries forwards: its own text, then every forward quoted. */
export function withForwards(ownText: string, forwarded: readonly IncomingMessage[]): string {
  const quoted = forwarded.map(quoteForward).join("\n\n");
  return ownText.trim() === "" ? quoted : `${ownText}\n\n${quoted}`;
}
