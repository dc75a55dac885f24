import { afterEach, beforeEach, expect, test } from "bun:test";
import type { TgCallbackQuery, TgChat, TgMessage, TgUser } from "../../src/emulator/index.ts";
import { type Emulator, startEmulator } from "../../src/emulator/index.ts";

let emu: Emulator;
beforeEach(async () => {
  emu = await startEmulator();
});
afterEach(() => emu.stop());

interface Answer<T> {
  status: number;
  ok: boolean;
  result: T;
  error?: string;
  description?: string;
}

async function control<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const res = await fetch(`${emu.apiBaseUrl}/__emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, ...((await res.json()) as Omit<Answer<T>, "status">) };
}

const bot = <T>(method: string, params: Record<string, unknown>) =>
  fetch(`${emu.apiBaseUrl}/bot${emu.token}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(params),
  }).then(async (r) => ((await r.json()) as { result: T }).result);

test("round trip: users, a forum, a topic, a message, the bot's reply, a button press and its toast", async () => {
  const alice = (await control<TgUser>("POST", "users", { firstName: "Alice" })).result;
  const created = await control<TgChat>("POST", "chats", {
    type: "supergroup",
    title: "Dev",
    isForum: true,
    members: [{ userId: alice.id, status: "creator" }],
  });
  expect(created.status).toBe(201);
  const chat = created.result;
  expect(chat).toMatchObject({ type: "supergroup", is_forum: true });
  const thread = (await control<{ message_thread_id: number }>("POST", `chats/${chat.id}/topics`, { name: "backend" }))
    .result.message_thread_id;
  const posted = (
    await control<TgMessage>("POST", `chats/${chat.id}/messages`, {
      from: alice.id,
      text: "/run tests",
      threadId: thread,
    })
  ).result;
  expect(posted).toMatchObject({
    message_thread_id: thread,
    is_topic_message: true,
    entities: [{ type: "bot_command", offset: 0, length: 4 }],
  });
  // Telegram's quirk: a topic message replies to the topic's creation message.
  expect(posted.reply_to_message?.forum_topic_created?.name).toBe("backend");

  const reply = await bot<TgMessage>("sendMessage", {
    chat_id: chat.id,
    message_thread_id: thread,
    text: "Run <b>now</b>?",
    parse_mode: "HTML",
    reply_parameters: { message_id: posted.message_id },
    reply_markup: { inline_keyboard: [[{ text: "Yes", callback_data: "run:yes" }]] },
  });
  const history = (
    await control<{ messages: Array<Record<string, unknown>> }>("GET", `chats/${chat.id}/history?thread=${thread}`)
  ).result.messages;
  expect(history.map((m) => [m.by, m.text])).toEqual([
    ["user", undefined],
    ["user", "/run tests"],
    ["bot", "Run now?"],
  ]);
  expect(history[2]).toMatchObject({
    html: "Run <b>now</b>?",
    reply_to_message_id: posted.message_id,
    reply_markup: { inline_keyboard: [[{ text: "Yes" }]] },
  });

  const q = (
    await control<TgCallbackQuery>("POST", `chats/${chat.id}/messages/${reply.message_id}/press`, {
      from: alice.id,
      data: "run:yes",
    })
  ).result;
  expect(q).toMatchObject({ data: "run:yes", from: { id: alice.id }, message: { message_id: reply.message_id } });
  await bot("answerCallbackQuery", { callback_query_id: q.id, text: "Running" });
  const answer = (await control<{ answer: { text: string; showAlert: boolean } }>("GET", `callbacks/${q.id}`)).result
    .answer;
  expect(answer).toMatchObject({ text: "Running", showAlert: false });

  const calls = (await control<Array<{ method: string }>>("GET", "calls?method=sendMessage")).result;
  expect(calls).toHaveLength(1);
  expect((await control("DELETE", "calls")).ok).toBe(true);
  expect((await control<unknown[]>("GET", "calls")).result).toEqual([]);
});

test("the wait endpoint answers when the chat changes after the given version", async () => {
  const alice = emu.addUser();
  const dm = emu.privateChat(alice.id);
  const since = (await control<{ version: number }>("GET", `chats/${dm.id}/history`)).result.version;
  const waiting = control<{ version: number; messages: Array<{ text?: string }> }>(
    "GET",
    `chats/${dm.id}/wait?since=${since}&timeoutMs=30000`,
  );
  await bot("sendMessage", { chat_id: dm.id, text: "news" });
  const woke = (await waiting).result;
  expect(woke.version).toBeGreaterThan(since);
  expect(woke.messages.map((m) => m.text)).toEqual(["news"]);
  // Nothing new: it answers with the same state once its (short) timeout passes.
  const idle = (await control<{ version: number }>("GET", `chats/${dm.id}/wait?since=${woke.version}&timeoutMs=10`))
    .result;
  expect(idle.version).toBe(emu.version);
});

test("faults and documents through the control API", async () => {
  const alice = emu.addUser();
  const dm = emu.privateChat(alice.id);
  const { id } = (
    await control<{ id: number }>("POST", "faults", { kind: "rate_limit", method: "sendMessage", retryAfter: 2 })
  ).result;
  expect((await control<Array<{ id: number }>>("GET", "faults")).result.map((f) => f.id)).toEqual([id]);
  const limited = await fetch(`${emu.apiBaseUrl}/bot${emu.token}/sendMessage?chat_id=${dm.id}&text=x`);
  expect(limited.status).toBe(429);
  const data = Buffer.from("some bytes").toString("base64");
  const m = (
    await control<TgMessage>("POST", `chats/${dm.id}/messages`, {
      from: alice.id,
      document: { fileName: "a.txt", dataBase64: data },
    })
  ).result;
  const file = await fetch(`${emu.apiBaseUrl}/__emulator/files/${m.document?.file_id}`);
  expect(await file.text()).toBe("some bytes");
  expect(file.headers.get("content-disposition")).toBe('attachment; filename="a.txt"');
  expect((await control("DELETE", "faults")).ok).toBe(true);
});

test("bad input, foreign Host headers and non-JSON bodies are refused", async () => {
  const bad = await control("POST", "chats", { type: "channel" });
  expect(bad).toMatchObject({ status: 400, ok: false, error: "emulator.bad_request" });
  expect(await control("POST", "chats/1/messages", { from: 1, text: "x" })).toMatchObject({
    status: 404,
    error: "emulator.no_such_chat",
  });
  expect((await control("GET", "nowhere")).status).toBe(404);
  const rebinding = await fetch(`${emu.apiBaseUrl}/__emulator/state`, { headers: { host: `evil.test:${emu.port}` } });
  expect(rebinding.status).toBe(403);
  const form = await fetch(`${emu.apiBaseUrl}/__emulator/users`, {
    method: "POST",
    body: new URLSearchParams({ firstName: "x" }),
  });
  expect(form.status).toBe(415);
  const state = await control<{ bot: { is_bot: boolean } }>("GET", "state");
  expect(state.result.bot.is_bot).toBe(true);
});
