// Telegram checks against the emulator: forum topics and the bot's rights, timeouts, and that no
// request or result ever carries the token outside the request URL.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { buildConfig, parseConfigText } from "../../src/config/load.ts";
import { telegramChecks, topicChats } from "../../src/doctor/telegram-checks.ts";
import type { CheckResult } from "../../src/doctor/types.ts";
import type { Emulator } from "../../src/emulator/index.ts";
import { greenToml, type World, world } from "./helpers.ts";

let w: World;
let emu: Emulator;
beforeEach(async () => {
  w = await world();
  emu = w.emu;
});
afterEach(async () => {
  await w.stop();
});

const configOf = (toml: string) => buildConfig(parseConfigText(toml), { accessPolicy: false }).config;

async function run(toml: string, fetchImpl: typeof fetch = fetch): Promise<CheckResult[]> {
  return telegramChecks(configOf(toml), { fetchImpl, timeoutMs: 2000, conflictProbeSeconds: 0, lockPath: noLock() });
}
/** A lock path nobody holds. */
const noLock = () => `${w.configPath}.lock`;
const byId = (rs: CheckResult[], id: string) => rs.find((r) => r.id === id);

describe("forum topics", () => {
  test("disabled is ok without any extra call", async () => {
    const rs = await run(greenToml(w));
    expect(byId(rs, "telegram.topics")).toMatchObject({ status: "ok", detail: "disabled" });
    expect(emu.callCount({ method: "getChatMember" })).toBe(0);
  });

  test("a forum where the bot is admin passes", async () => {
    const chat = emu.addChat({ type: "supergroup", isForum: true, botStatus: "administrator", title: "Dev" });
    const rs = await run(
      greenToml(w, { chatId: chat.id, telegramExtra: "[transports.telegram.topics]\nenabled = true" }),
    );
    expect(byId(rs, "telegram.chat")).toMatchObject({ status: "ok", detail: `supergroup "Dev" (${chat.id})` });
    expect(byId(rs, "telegram.topics")?.status).toBe("ok");
  });

  test("a forum where the bot is a plain member fails with the promotion fix", async () => {
    const chat = emu.addChat({ type: "supergroup", isForum: true, botStatus: "member" });
    const rs = await run(
      greenToml(w, { chatId: chat.id, telegramExtra: "[transports.telegram.topics]\nenabled = true" }),
    );
    expect(byId(rs, "telegram.topics")).toMatchObject({
      status: "error",
      fix: "promote the bot to admin with the Manage topics right",
    });
    expect(byId(rs, "telegram.topics")?.detail).toContain("is not an admin (status member)");
  });

  test("an admin without can_manage_topics fails", async () => {
    const chat = emu.addChat({ type: "supergroup", isForum: true, botStatus: "administrator" });
    const toml = greenToml(w, { chatId: chat.id, telegramExtra: "[transports.telegram.topics]\nenabled = true" });
    const denyTopics: typeof fetch = Object.assign(
      async (input: string | URL | Request, init?: RequestInit) => {
        const res = await fetch(input, init);
        if (!String(input).endsWith("/getChatMember")) return res;
        const body = (await res.json()) as { result: Record<string, unknown> };
        return Response.json({ ok: true, result: { ...body.result, can_manage_topics: false } });
      },
      { preconnect: fetch.preconnect },
    );
    const rs = await run(toml, denyTopics);
    expect(byId(rs, "telegram.topics")?.detail).toContain("admin without the Manage topics right");
  });

  test("a chat that is not a forum fails", async () => {
    const chat = emu.addChat({ type: "supergroup", botStatus: "administrator" });
    const rs = await run(
      greenToml(w, { chatId: chat.id, telegramExtra: "[transports.telegram.topics]\nenabled = true" }),
    );
    expect(byId(rs, "telegram.topics")?.detail).toBe(`chat ${chat.id} is not a forum`);
  });

  test("scope picks the chats: auto uses project chats when any project has one", () => {
    const base = greenToml(w, { chatId: 5 });
    const withProject = `${base}\n[projects.app]\npath = "/tmp"\nchat_id = 7\n`;
    const scoped = (toml: string, scope: string) =>
      topicChats(configOf(`${toml}\n[transports.telegram.topics]\nenabled = true\nscope = "${scope}"\n`));
    expect(topicChats(configOf(base))).toEqual([5]);
    expect(topicChats(configOf(withProject))).toEqual([7]);
    expect(scoped(withProject, "main")).toEqual([5]);
    expect(scoped(withProject, "all")).toEqual([5, 7]);
  });

  test("topics checks are skipped when the token is invalid", async () => {
    const toml = greenToml(w, {
      token: "1:AAnotvalidnotvalidnotvalidnotvalid",
      telegramExtra: "[transports.telegram.topics]\nenabled = true",
    });
    const rs = await run(toml);
    expect(byId(rs, "telegram.topics")).toMatchObject({
      status: "skip",
      skipped: true,
      detail: "skipped (token invalid)",
    });
  });
});

describe("network failures", () => {
  test("a request that hangs times out with the host only", async () => {
    emu.injectFault({ kind: "delay", method: "getMe", delayMs: 3000 });
    const rs = await telegramChecks(configOf(greenToml(w)), {
      fetchImpl: fetch,
      timeoutMs: 100,
      conflictProbeSeconds: 0,
      lockPath: noLock(),
    });
    expect(byId(rs, "telegram.token")?.detail).toBe(`cannot reach the Bot API at 127.0.0.1:${emu.port} (timed out)`);
    expect(byId(rs, "telegram.chat")?.detail).toBe("skipped (Bot API unreachable)");
  });

  test("an error description echoing the token is scrubbed", async () => {
    const echo: typeof fetch = Object.assign(
      async (input: string | URL | Request) =>
        Response.json({ ok: false, error_code: 400, description: `bad url ${String(input)}` }, { status: 400 }),
      { preconnect: fetch.preconnect },
    );
    const rs = await run(greenToml(w), echo);
    expect(JSON.stringify(rs)).not.toContain(emu.token);
    expect(byId(rs, "telegram.token")?.status).toBe("error");
  });

  test("a 409 about a webhook says to remove the webhook", async () => {
    const hooked: typeof fetch = Object.assign(
      async (input: string | URL | Request, init?: RequestInit) =>
        String(input).endsWith("/getUpdates")
          ? Response.json(
              {
                ok: false,
                error_code: 409,
                description:
                  "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
              },
              { status: 409 },
            )
          : fetch(input, init),
      { preconnect: fetch.preconnect },
    );
    const rs = await run(greenToml(w), hooked);
    expect(byId(rs, "telegram.polling")?.detail).toContain("a webhook is set");
    expect(byId(rs, "telegram.polling")?.fix).toContain("deleteWebhook");
  });
});
