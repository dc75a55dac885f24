// The one logger: pino, JSON lines, redacted at the sink on the serialised line (errors carry URLs
// like /bot<TOKEN>/sendMessage in fields nobody thinks of). No worker-thread transports: they break
// inside the compiled binary.
import pino from "pino";
import { redactSecrets } from "./redact.ts";

export type Logger = pino.Logger;
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

const LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

export interface LineSink {
  write(line: string): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where redacted lines go; default stdout. */
  sink?: LineSink;
  /** Human-readable lines instead of JSON (default: when stdout is a TTY). */
  pretty?: boolean;
}

export function parseLevel(value: string | undefined): LogLevel {
  const v = (value ?? "").trim().toLowerCase();
  return (LEVELS as readonly string[]).includes(v) ? (v as LogLevel) : "info";
}

/** One readable line from a pino JSON line (for terminals). */
export function prettyLine(jsonLine: string): string {
  try {
    const rec = JSON.parse(jsonLine) as Record<string, unknown>;
    const { level, time, msg, pid: _pid, hostname: _host, ...rest } = rec;
    const t = typeof time === "string" ? time.slice(11, 23) : "";
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
    return `${t} ${String(level).toUpperCase().padEnd(5)} ${msg ?? ""}${extra}\n`;
  } catch {
    return jsonLine;
  }
}

function stdoutSink(): LineSink {
  return { write: (line) => void process.stdout.write(line) };
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const sink = opts.sink ?? stdoutSink();
  const pretty = opts.pretty ?? (opts.sink === undefined && process.stdout.isTTY === true);
  const stream = {
    write(line: string) {
      const safe = redactSecrets(line);
      sink.write(pretty ? prettyLine(safe) : safe);
    },
  };
  return pino(
    {
      level: opts.level ?? parseLevel(process.env.UNTETHER_LOG_LEVEL),
      base: undefined,
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: "msg",
    },
    stream,
  );
}

let root: Logger | undefined;

/** The process-wide logger, created on first use (importing this module starts nothing). */
export function logger(): Logger {
  root ??= createLogger();
  return root;
}

/** Replaces the process-wide logger (the CLI does this once at boot; tests capture lines with it). */
export function setLogger(l: Logger): void {
  root = l;
}
