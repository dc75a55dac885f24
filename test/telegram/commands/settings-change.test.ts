// Who may change a chat setting, and the second tap for values that lower safety: group admins only
// in groups; bot admins only for bypassPermissions / Codex full / Gemini yolo, confirmed within 60 s
// (an injected clock), by the same user. Every change is logged as settings.changed.
import { beforeEach, describe, expect, test } from "bun:test";
import { buildConfig, parseConfigText } from "../../../src/config/load.ts";
import { ChatSettings } from "../../../src/core/chat-settings.ts";
import { createEngineRegistry } from "../../../src/engines/registry.ts";
import { StateDb } from "../../../src/state/db.ts";
import { type AgentStore, SettingsChanger } from "../../../src/telegram/commands/settings-change.ts";
import type { CommandKit } from "../../../src/telegram/commands/types.ts";

const config = buildConfig(
  parseConfigText(`[transports.telegram]\nbot_token = "1:x"\nchat_id = -1\nallowed_user_ids = [1, 2, 3]\n`),
).config;
const engines = createEngineRegistry({ claude: {}, codex: {}, gemini: {} }, []);
const ADMIN = 1;
const GROUP_ADMIN = 2;
const MEMBER = 3;
const dm = { chatId: ADMIN, chatType: "private" };
const group = { chatId: -5, chatType: "supergroup" };

let now = 0;
let kv: Map<string, string>;
let changer: SettingsChanger;

beforeEach(() => {
  now = 1_000_000;
  kv = new Map();
  const kit: CommandKit = {
    reply: async (chat) => ({ ...chat, messageId: 1 }),
    sendDocument: async (chat) => ({ ...chat, messageId: 2 }),
    edit: async () => {},
    toast: async () => {},
    isBotAdmin: (u) => u === ADMIN,
    mayChangeChat: async (_c, type, u) => type === "private" || u === ADMIN || u === GROUP_ADMIN,
  };
  const agent: AgentStore = {
    own: (o) => kv.get(String(o.chatId)),
    set: (o, e) => (e === undefined ? kv.delete(String(o.chatId)) : kv.set(String(o.chatId), e)),
    effective: (o) => {
      const own = kv.get(String(o.chatId));
      return own ? { value: own, source: "chat" } : { value: "claude", source: "config" };
    },
    known: () => ["claude", "codex", "gemini"],
    missing: (e) => (e === "gemini" ? "npm install -g @google/gemini-cli" : undefined),
  };
  changer = new SettingsChanger({
    settings: new ChatSettings({ db: StateDb.open(":memory:"), config: () => config, engines }),
    agent,
    kit,
    now: () => now,
  });
});

const bypass = (userId: number, origin = dm) =>
  changer.change({ origin, userId, key: "permission", engine: "claude", value: "bypassPermissions" });

describe("who may change what", () => {
  test("in a group only its admins change settings", async () => {
    const out = await changer.change({ origin: group, userId: MEMBER, key: "verbose", value: "on" });
    expect(out).toEqual({ kind: "refused", html: "Only the group's admins can change this chat's settings." });
    expect((await changer.change({ origin: group, userId: GROUP_ADMIN, key: "verbose", value: "on" })).kind).toBe(
      "done",
    );
    expect(changer.effective(group, "verbose")).toEqual({ value: "on", source: "chat" });
  });

  test("lowering safety: a group admin who is no bot admin is refused", async () => {
    const out = await bypass(GROUP_ADMIN, group);
    expect(out.kind).toBe("refused");
    expect(out.html).toContain("only the bot's admins");
    expect(changer.effective(group, "permission", "claude").value).toBe("default");
  });

  test("an engine that is not installed is refused with its install command", async () => {
    const out = await changer.change({ origin: dm, userId: ADMIN, key: "agent", value: "gemini" });
    expect(out).toEqual({
      kind: "refused",
      html: "<b>gemini</b> is not installed on this server. Install it with <code>npm install -g @google/gemini-cli</code>, then try again.",
    });
    expect((await changer.change({ origin: dm, userId: ADMIN, key: "agent", value: "CODEX" })).kind).toBe("done");
    expect(changer.effective(dm, "agent")).toEqual({ value: "codex", source: "chat" });
  });
});

describe("the second tap for a value that lowers safety", () => {
  test("nothing changes until confirmed; confirmed within 60 s it applies", async () => {
    const out = await bypass(ADMIN);
    if (out.kind !== "confirm") throw new Error(`expected a confirmation, got ${out.kind}`);
    expect(changer.effective(dm, "permission", "claude").value).toBe("default");
    now += 59_000;
    expect(changer.confirm(out.token, ADMIN).kind).toBe("done");
    expect(changer.effective(dm, "permission", "claude")).toEqual({ value: "bypassPermissions", source: "chat" });
  });

  test("after 60 s the confirmation has expired", async () => {
    const out = await bypass(ADMIN);
    if (out.kind !== "confirm") throw new Error("expected a confirmation");
    now += 60_001;
    expect(changer.confirm(out.token, ADMIN)).toEqual({
      kind: "refused",
      html: "The confirmation expired (valid 60 s); choose the setting again.",
    });
    expect(changer.effective(dm, "permission", "claude").value).toBe("default");
  });

  test("another user's tap, or a second use, does nothing", async () => {
    const out = await bypass(ADMIN);
    if (out.kind !== "confirm") throw new Error("expected a confirmation");
    expect(changer.confirm(out.token, GROUP_ADMIN).kind).toBe("refused");
    expect(changer.confirm(out.token, ADMIN).kind).toBe("refused");
    expect(changer.effective(dm, "permission", "claude").value).toBe("default");
  });

  test("raising safety needs no confirmation", async () => {
    const out = await changer.change({ origin: dm, userId: MEMBER, key: "permission", engine: "codex", value: "safe" });
    expect(out).toEqual({ kind: "done", html: "Permission mode for codex here is now <b>safe</b>." });
  });
});
