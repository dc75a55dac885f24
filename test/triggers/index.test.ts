import { beforeEach, describe, expect, test } from "bun:test";
import { startTriggers } from "../../src/triggers/index.ts";
import { captureLogs } from "../config/helpers.ts";
import { configOf, manualTimers, memoryDb, recordingSink } from "./helpers.ts";

const HOOK = `[[triggers.webhooks]]
id = "h"
path = "/h"
secret = "tok-1234567890abcdef"
prompt_template = "x"
[[triggers.crons]]
id = "c"
schedule = "0 9 * * *"
prompt = "y"`;

describe("startTriggers", () => {
  beforeEach(() => void captureLogs());

  test("disabled: no server, no crons, but /at still works", async () => {
    const running = await startTriggers(configOf(`[triggers]\nenabled = false\n${HOOK}`), recordingSink(), {
      db: memoryDb(),
      timers: manualTimers(),
    });
    expect(running.server).toBeUndefined();
    expect(running.crons).toBeUndefined();
    expect(running.at.schedule("5m later", { chatId: 1 }).ok).toBe(true);
    await running.stop();
  });

  test("enabled: server on loopback, crons armed, master pause reaches the server", async () => {
    const config = configOf(`[triggers]\nenabled = true\n${HOOK}`);
    config.triggers.server.port = 0;
    const running = await startTriggers(config, recordingSink(), { db: memoryDb(), timers: manualTimers() });
    try {
      const base = `http://127.0.0.1:${running.server?.port}`;
      expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: "ok", webhooks: 1, paused: false });
      expect(running.crons?.ids).toEqual(["c"]);
      running.setPaused(true);
      const res = await fetch(`${base}/h`, {
        method: "POST",
        body: "{}",
        headers: { authorization: "Bearer tok-1234567890abcdef" },
      });
      expect(res.status).toBe(503);
      running.setPaused(false);
      const ok = await fetch(`${base}/h`, {
        method: "POST",
        body: "{}",
        headers: { authorization: "Bearer tok-1234567890abcdef" },
      });
      expect(ok.status).toBe(202);
    } finally {
      await running.stop();
    }
  });
});
