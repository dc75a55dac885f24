// The log format: JSON lines for machines (pipes, files, journald), one readable line per event on a
// terminal. It is chosen once, when the logger is created; the line it formats is the already
// redacted JSON line (logger.ts redacts first), so a secret cannot reach either format.
import { fstatSync } from "node:fs";

export type LogFormat = "json" | "pretty";

/** What decides the format: the environment, and what stdout is. */
export interface StdoutFacts {
  isTty: boolean;
  /** "device:inode" of stdout, compared with $JOURNAL_STREAM; undefined when unknown. */
  devIno?: string;
}

export function stdoutFacts(): StdoutFacts {
  const isTty = process.stdout.isTTY === true;
  try {
    const st = fstatSync(1);
    return { isTty, devIno: `${st.dev}:${st.ino}` };
  } catch {
    return { isTty };
  }
}

/**
 * UNTETHER_LOG_FORMAT=json|pretty when set; else JSON when stdout is the journal (systemd sets
 * $JOURNAL_STREAM to its device:inode) or not a terminal; pretty on a terminal.
 */
export function chooseLogFormat(env: Record<string, string | undefined>, stdout: StdoutFacts): LogFormat {
  const asked = (env.UNTETHER_LOG_FORMAT ?? "").trim().toLowerCase();
  if (asked === "json" || asked === "pretty") return asked;
  if (env.JOURNAL_STREAM && stdout.devIno !== undefined && env.JOURNAL_STREAM === stdout.devIno) return "json";
  return stdout.isTty ? "pretty" : "json";
}

const BARE = /^[\w.:/@+-]+$/;

function fieldValue(v: unknown): string {
  if (typeof v === "string") return v !== "" && BARE.test(v) ? v : JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  return JSON.stringify(v);
}

/**
 * One readable line from a pino JSON line: `HH:MM:SS.mmm LEVEL event key=value …` (UTC time; strings
 * with spaces or quotes JSON-quoted, objects as JSON). A line that is not JSON passes unchanged.
 */
export function prettyLine(jsonLine: string): string {
  let rec: unknown;
  try {
    rec = JSON.parse(jsonLine);
  } catch {
    return jsonLine;
  }
  if (typeof rec !== "object" || rec === null || Array.isArray(rec)) return jsonLine;
  const { level, time, msg, pid: _pid, hostname: _host, ...rest } = rec as Record<string, unknown>;
  const t = typeof time === "string" ? time.slice(11, 23) : "";
  const fields = Object.entries(rest).map(([k, v]) => ` ${k}=${fieldValue(v)}`);
  return `${t} ${String(level ?? "")
    .toUpperCase()
    .padEnd(5)} ${typeof msg === "string" ? msg : ""}${fields.join("")}\n`;
}
