// Reading what the user types: a line, or a secret that is never echoed. On a terminal the secret is
// read in raw mode (nothing is printed while typing); piped input is read as it comes.
import { UntetherError } from "../errors.ts";

export interface LineReader {
  /** The next line of input without its line end; undefined at end of input. */
  line(prompt: string): Promise<string | undefined>;
  /** Like line(), but a terminal does not echo what is typed. */
  secret(prompt: string): Promise<string | undefined>;
  close(): void;
}

interface InStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: "data", fn: (chunk: Buffer | string) => void): unknown;
  on(event: "end", fn: () => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

interface OutStream {
  write(text: string): unknown;
}

const CTRL_C = "\u0003";
const CTRL_D = "\u0004";
const BACKSPACES = new Set(["\u007f", "\b"]);

/**
 * One reader over a stream (default: this process's stdin), prompts written to `out` (stderr, so
 * stdout stays for results). Lines are buffered, so a script may pipe several answers at once.
 */
export function lineReader(out: OutStream, input: InStream = process.stdin as unknown as InStream): LineReader {
  let buffer = "";
  let ended = false;
  let waiter: (() => void) | undefined;
  let started = false;
  let raw = false;
  let interrupted = false;
  const wake = () => {
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  const start = () => {
    if (started) return;
    started = true;
    input.on("data", (chunk) => {
      const text = typeof chunk === "string" ? chunk : chunk.toString("utf8");
      if (raw) {
        for (const ch of text) {
          if (ch === CTRL_C) interrupted = true;
          else if (ch === CTRL_D && buffer === "") ended = true;
          else if (ch === "\r" || ch === "\n") buffer += "\n";
          else if (BACKSPACES.has(ch)) {
            if (buffer !== "" && !buffer.endsWith("\n")) buffer = buffer.slice(0, -1);
          } else buffer += ch;
        }
      } else buffer += text.replace(/\r\n/g, "\n");
      wake();
    });
    input.on("end", () => {
      ended = true;
      wake();
    });
  };
  const next = async (): Promise<string | undefined> => {
    start();
    input.resume();
    try {
      for (;;) {
        if (interrupted) throw new InputInterrupted();
        const nl = buffer.indexOf("\n");
        if (nl >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          return line;
        }
        if (ended) {
          if (buffer === "") return undefined;
          const line = buffer;
          buffer = "";
          return line;
        }
        await new Promise<void>((resolve) => {
          waiter = resolve;
        });
      }
    } finally {
      input.pause();
    }
  };
  return {
    async line(prompt) {
      out.write(prompt);
      return next();
    },
    async secret(prompt) {
      out.write(prompt);
      const tty = input.isTTY === true && typeof input.setRawMode === "function";
      if (!tty) return next();
      input.setRawMode?.(true);
      raw = true;
      try {
        return await next();
      } finally {
        raw = false;
        input.setRawMode?.(false);
        out.write("\n");
      }
    },
    close() {
      input.pause();
    },
  };
}

/** Ctrl-C while a secret was being typed in raw mode (where the terminal does not send SIGINT). */
export class InputInterrupted extends UntetherError {
  constructor() {
    super("cli.interrupted", "interrupted (Ctrl-C); nothing was written");
  }
}
