// Where a run came from: a typed union, not "webhook:<id>" strings parsed in several places.

export type RunSource =
  | { kind: "chat" }
  | { kind: "continue" }
  | { kind: "at"; id: string }
  | { kind: "webhook"; id: string }
  | { kind: "cron"; id: string };

/** The label stored with a run and shown on triggered runs: "telegram", "webhook:<id>", … */
export function sourceLabel(s: RunSource): string {
  switch (s.kind) {
    case "chat":
      return "telegram";
    case "continue":
      return "telegram:continue";
    default:
      return `${s.kind}:${s.id}`;
  }
}

/** True for runs nobody typed just now (webhooks, crons, /at): they run unattended. */
export function isUnattended(s: RunSource): boolean {
  return s.kind === "webhook" || s.kind === "cron" || s.kind === "at";
}

/** The sources of runs nobody typed: what triggers/ hands to the dispatch. */
export type TriggerSource = Extract<RunSource, { id: string }>;
