import { describe, expect, test } from "bun:test";
import { tracingChannel } from "node:diagnostics_channel";
import { boundLogger, createLogger, setLogger } from "../../src/log/logger.ts";

describe("logger and pino's tracing channel", () => {
  test("without a subscriber the channel says so (pino then skips the trace on every line)", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", sink: { write: (l) => void lines.push(l) }, pretty: false });
    expect(tracingChannel("pino_asJson").hasSubscribers).toBe(false);
    log.info({ webhook: "w" }, "triggers.webhook.dispatched");
    expect(lines).toHaveLength(1);
  });

  test("a subscriber is still told about each line", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", sink: { write: (l) => void lines.push(l) }, pretty: false });
    const seen: unknown[] = [];
    const handlers = { start: (m: unknown) => void seen.push(m) };
    const chan = tracingChannel("pino_asJson");
    chan.subscribe(handlers);
    try {
      expect(chan.hasSubscribers).toBe(true);
      log.info({}, "one.line");
    } finally {
      chan.unsubscribe(handlers);
    }
    expect(seen).toHaveLength(1);
    expect(lines[0]).toContain('"msg":"one.line"');
  });
});

describe("stdout sink (one write per event-loop turn)", () => {
  const run = async (script: string) => {
    const logger = new URL("../../src/log/logger.ts", import.meta.url).pathname;
    const proc = Bun.spawn([process.execPath, "-e", `import { logger } from ${JSON.stringify(logger)};\n${script}`], {
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", UNTETHER_LOG_LEVEL: "info" },
    });
    const out = await new Response(proc.stdout).text();
    await proc.exited;
    return out.split("\n").filter((l) => l !== "");
  };

  test("a warning writes what was queued before it, at once (a kill right after loses neither)", async () => {
    const lines = await run(
      `logger().info({}, "a.info"); logger().warn({}, "b.warn"); process.kill(process.pid, "SIGKILL");`,
    );
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["a.info", "b.warn"]);
  });

  test("queued info lines are written at exit and in order", async () => {
    const lines = await run(`for (let i = 0; i < 3; i++) logger().info({ i }, "line"); process.exit(0);`);
    expect(lines.map((l) => JSON.parse(l).i)).toEqual([0, 1, 2]);
  });

  test("queued lines are written when the turn ends, without an exit", async () => {
    const lines = await run(`logger().info({}, "a.info"); setTimeout(() => process.kill(process.pid, "SIGKILL"), 50);`);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["a.info"]);
  });
});

describe("boundLogger (fixed fields serialised once, for a hot event)", () => {
  test("its fields reach the line and still pass the redacting sink", () => {
    const lines: string[] = [];
    setLogger(createLogger({ level: "info", sink: { write: (l) => void lines.push(l) }, pretty: false }));
    const token = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz";
    boundLogger("test.bound\na", () => ({ webhook: "w", note: `token ${token}`, ok: true })).info("test.bound");
    boundLogger("test.bound\na", () => ({ webhook: "other" })).info("test.bound");
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toContain(token);
      const rec = JSON.parse(line) as Record<string, unknown>;
      // The same key is the same fields: the second call's fields are not even asked for.
      expect(rec).toMatchObject({ level: "info", webhook: "w", note: "token [REDACTED]", ok: true, msg: "test.bound" });
    }
  });

  test("follows setLogger: a replaced logger gets the lines, at its level", () => {
    const first: string[] = [];
    const second: string[] = [];
    setLogger(createLogger({ level: "info", sink: { write: (l) => void first.push(l) }, pretty: false }));
    boundLogger("test.follow", () => ({ webhook: "w" })).info("test.follow");
    setLogger(createLogger({ level: "warn", sink: { write: (l) => void second.push(l) }, pretty: false }));
    boundLogger("test.follow", () => ({ webhook: "w" })).info("test.follow");
    boundLogger("test.follow", () => ({ webhook: "w" })).warn("test.follow");
    expect(first).toHaveLength(1);
    expect(second.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(["warn"]);
  });
});
