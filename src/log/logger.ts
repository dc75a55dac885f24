// The one logger: pino, JSON lines, redacted at the sink on the serialised line (errors carry URLs
// like /bot<TOKEN>/sendMessage in fields nobody thinks of). No worker-thread transports: they break
// inside the compiled binary.
import { tracingChannel } from "node:diagnostics_channel";
import pino from "pino";
import { chooseLogFormat, prettyLine, stdoutFacts } from "./pretty.ts";
import { redactSecrets } from "./redact.ts";

export type Logger = pino.Logger;

// pino serialises each line through a tracing channel unless `hasSubscribers === false`; Bun's
// TracingChannel has no such getter (Node's has), so every line paid for an empty trace. Supplied
// here, with Node's meaning: any of the five channels has a subscriber.
const tracingProto: object = Object.getPrototypeOf(tracingChannel("untether.log.probe"));
if (!("hasSubscribers" in tracingProto)) {
  Object.defineProperty(tracingProto, "hasSubscribers", {
    get(this: Record<"start" | "end" | "asyncStart" | "asyncEnd" | "error", { hasSubscribers: boolean }>) {
      return (
        this.start.hasSubscribers ||
        this.end.hasSubscribers ||
        this.asyncStart.hasSubscribers ||
        this.asyncEnd.hasSubscribers ||
        this.error.hasSubscribers
      );
    },
  });
}
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

const LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

export interface LineSink {
  write(line: string): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where redacted lines go; default stdout. */
  sink?: LineSink;
  /** Human-readable lines instead of JSON (default: log/pretty.ts chooseLogFormat for stdout). */
  pretty?: boolean;
}

export function parseLevel(value: string | undefined): LogLevel {
  const v = (value ?? "").trim().toLowerCase();
  return (LEVELS as readonly string[]).includes(v) ? (v as LogLevel) : "info";
}

/** Lines at this pino level or above are written at once (with everything buffered before them). */
const URGENT_LEVEL = 40; // warn

/** Most characters held before a write is forced within one event-loop turn. */
const MAX_PENDING_CHARS = 64 * 1024;

interface BufferedSink extends LineSink {
  /** Queues `line`; written with the others at the end of this event-loop turn, or now if `urgent`. */
  write(line: string, urgent?: boolean): void;
  flush(): void;
}

/**
 * Stdout, one write per event-loop turn: a burst of deliveries costs one write, not one per line.
 * Warnings and worse are written at once, and whatever is queued is written when the process exits,
 * so the lines that explain a failure never wait.
 */
function createStdoutSink(): BufferedSink {
  let pending = "";
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === "") return;
    const out = pending;
    pending = "";
    process.stdout.write(out);
  };
  process.on("exit", flush);
  return {
    write(line, urgent = false) {
      pending += line;
      if (urgent || pending.length >= MAX_PENDING_CHARS) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

let stdoutSink: BufferedSink | undefined;

/**
 * pino's isoTime, formatted once per millisecond: a burst of lines (a webhook flood logs one per
 * delivery) shares the string instead of a Date and toISOString per line. Same output.
 */
function isoTimeCached(): () => string {
  let lastMs = Number.NaN;
  let last = "";
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      last = `,"time":"${new Date(now).toISOString()}"`;
    }
    return last;
  };
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const given = opts.sink;
  if (given === undefined) stdoutSink ??= createStdoutSink();
  const buffered = given === undefined ? stdoutSink : undefined;
  const pretty = opts.pretty ?? (opts.sink === undefined && chooseLogFormat(process.env, stdoutFacts()) === "pretty");
  const stream = {
    // pino sets lastLevel on a stream that asks for metadata, before each write.
    [Symbol.for("pino.metadata")]: true,
    lastLevel: 0,
    write(line: string) {
      const safe = redactSecrets(line);
      const text = pretty ? prettyLine(safe) : safe;
      if (given !== undefined) given.write(text);
      else buffered?.write(text, this.lastLevel >= URGENT_LEVEL);
    },
  };
  return pino(
    {
      level: opts.level ?? parseLevel(process.env.UNTETHER_LOG_LEVEL),
      base: undefined,
      formatters: { level: (label) => ({ level: label }) },
      timestamp: isoTimeCached(),
      messageKey: "msg",
    },
    stream,
  );
}

/** Writes what the stdout sink holds now (before the process is replaced by an exec). */
export function flushLogs(): void {
  stdoutSink?.flush();
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
  bound.clear();
}

const MAX_BOUND = 1000;
const bound = new Map<string, Logger>();

/**
 * A child of the process-wide logger whose `fields` are serialised once (pino's bindings), for a hot
 * event logged with the same fields again and again (the webhook audit line). `key` names the
 * fields' values. Lines still go through the one redacting sink; follows setLogger.
 */
export function boundLogger(key: string, fields: () => Record<string, string | number | boolean>): Logger {
  let child = bound.get(key);
  if (child === undefined) {
    if (bound.size >= MAX_BOUND) bound.clear();
    child = logger().child(fields());
    bound.set(key, child);
  }
  return child;
}
