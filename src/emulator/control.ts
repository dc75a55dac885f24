// The JSON control API under /__emulator/ — what a test in another process or the demo page uses to
// act as users and watch the chats. Loopback only, and guarded against DNS rebinding and cross-site
// requests: the Host header must name the loopback address (or, in the demo, the request carries the
// access key's session, which is the stricter guard and lets a tunnelled port in), and bodies must be
// application/json (which a foreign page cannot send without a CORS preflight this server never grants).
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { Server } from "bun";
import { EmulatorError } from "./api-error.ts";
import type { Emulator } from "./emulator.ts";
import type { FaultKind } from "./faults.ts";

const Status = Type.Union([
  Type.Literal("creator"),
  Type.Literal("administrator"),
  Type.Literal("member"),
  Type.Literal("left"),
  Type.Literal("kicked"),
]);
const Id = Type.Integer();

const UserBody = Type.Object(
  {
    id: Type.Optional(Id),
    firstName: Type.Optional(Type.String()),
    lastName: Type.Optional(Type.String()),
    username: Type.Optional(Type.String()),
    languageCode: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const ChatBody = Type.Union([
  Type.Object({ type: Type.Literal("private"), userId: Id }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Union([Type.Literal("group"), Type.Literal("supergroup")]),
      id: Type.Optional(Id),
      title: Type.Optional(Type.String()),
      username: Type.Optional(Type.String()),
      isForum: Type.Optional(Type.Boolean()),
      members: Type.Optional(Type.Array(Type.Object({ userId: Id, status: Status }, { additionalProperties: false }))),
      botStatus: Type.Optional(Status),
    },
    { additionalProperties: false },
  ),
]);
const MemberBody = Type.Object({ userId: Id, status: Status }, { additionalProperties: false });
const TopicBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 128 }), from: Type.Optional(Id) },
  { additionalProperties: false },
);
const MessageBody = Type.Object(
  {
    from: Id,
    text: Type.Optional(Type.String()),
    replyTo: Type.Optional(Id),
    threadId: Type.Optional(Id),
    caption: Type.Optional(Type.String()),
    document: Type.Optional(
      Type.Object(
        { fileName: Type.String({ minLength: 1 }), dataBase64: Type.String(), mimeType: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const PressBody = Type.Object(
  { from: Id, data: Type.Optional(Type.String()), text: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
const FaultKinds: FaultKind[] = [
  "rate_limit",
  "server_error",
  "bad_gateway",
  "delay",
  "drop",
  "conflict",
  "unauthorized",
];
const FaultBody = Type.Object(
  {
    kind: Type.Union(FaultKinds.map((k) => Type.Literal(k))),
    method: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    times: Type.Optional(Type.Integer({ minimum: 1 })),
    probability: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    seed: Type.Optional(Type.Integer()),
    retryAfter: Type.Optional(Type.Integer({ minimum: 1 })),
    delayMs: Type.Optional(Type.Integer({ minimum: 0 })),
    afterEffect: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const MAX_WAIT_MS = 60_000;

function ok(result: unknown, status = 200): Response {
  return Response.json({ ok: true, result }, { status });
}

function fail(err: EmulatorError): Response {
  return Response.json({ ok: false, error: err.code, description: err.message }, { status: err.status });
}

const isLoopback = (ip: string | undefined): boolean => ip === "127.0.0.1" || ip === "::1" || ip === "::ffff:127.0.0.1";

function guard(req: Request, server: Server<undefined>, keyChecked: boolean): void {
  if (!isLoopback(server.requestIP(req)?.address))
    throw new EmulatorError("emulator.forbidden", "the control API answers loopback clients only", 403);
  // With an access key (the demo), the key's session cookie is the guard: a rebinding page's origin
  // never received it, while an SSH tunnel on another local port (Host localhost:9000) has it.
  if (keyChecked) return;
  const host = (req.headers.get("host") ?? "").toLowerCase();
  const port = String(server.port);
  if (![`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host)) {
    throw new EmulatorError("emulator.forbidden", "unexpected Host header", 403);
  }
}

async function body<T extends TSchema>(req: Request, schema: T): Promise<Static<T>> {
  if (!(req.headers.get("content-type") ?? "").toLowerCase().startsWith("application/json")) {
    throw new EmulatorError("emulator.bad_request", "send JSON with content-type application/json", 415);
  }
  let value: unknown;
  try {
    value = await req.json();
  } catch {
    throw new EmulatorError("emulator.bad_request", "the body is not valid JSON");
  }
  if (!Value.Check(schema, value)) {
    const first = Value.Errors(schema, value).First();
    throw new EmulatorError(
      "emulator.bad_request",
      first ? `${first.path || "body"}: ${first.message}` : "invalid body",
    );
  }
  return value;
}

function intOf(s: string | undefined, what: string): number {
  if (s === undefined || !/^-?\d+$/.test(s))
    throw new EmulatorError("emulator.bad_request", `${what} must be an integer`);
  return Number(s);
}

function optionalInt(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  return v === null || v === "" ? undefined : intOf(v, name);
}

function chatView(emu: Emulator, chatId: number, threadId?: number): Record<string, unknown> {
  const state = emu.store.requireChat(chatId);
  return {
    version: emu.version,
    chat: state.chat,
    lastAction: state.lastAction ?? null,
    messages: emu.history(chatId, threadId),
  };
}

async function route(emu: Emulator, server: Server<undefined>, req: Request, url: URL): Promise<Response> {
  const parts = url.pathname.split("/").slice(2).filter(Boolean);
  const [head, a, b, c, d] = parts;
  const m = req.method;
  if (head === "state" && m === "GET")
    return ok({ version: emu.version, bot: emu.bot, users: emu.store.allUsers(), chats: emu.store.allChats() });
  if (head === "users" && !a && m === "POST") return ok(emu.addUser(await body(req, UserBody)), 201);
  if (head === "chats" && !a && m === "POST") return ok(emu.addChat(await body(req, ChatBody)), 201);
  if (head === "chats" && a) {
    const chatId = intOf(a, "chat id");
    if (b === "members" && !c && m === "POST") {
      const x = await body(req, MemberBody);
      emu.setMember(chatId, x.userId, x.status);
      return ok(true);
    }
    if (b === "topics" && !c && m === "POST") {
      const x = await body(req, TopicBody);
      return ok({ message_thread_id: emu.addTopic(chatId, x.name, x.from) }, 201);
    }
    if (b === "messages" && !c && m === "POST") {
      const x = await body(req, MessageBody);
      const document = x.document
        ? {
            fileName: x.document.fileName,
            data: new Uint8Array(Buffer.from(x.document.dataBase64, "base64")),
            mimeType: x.document.mimeType,
          }
        : undefined;
      return ok(
        emu.sendUserMessage({
          chatId,
          from: x.from,
          text: x.text,
          replyTo: x.replyTo,
          threadId: x.threadId,
          caption: x.caption,
          document,
        }),
        201,
      );
    }
    if (b === "messages" && c && d === "press" && m === "POST") {
      const x = await body(req, PressBody);
      return ok(
        emu.pressButton({ chatId, messageId: intOf(c, "message id"), from: x.from, data: x.data, text: x.text }),
        201,
      );
    }
    if (b === "history" && m === "GET") return ok(chatView(emu, chatId, optionalInt(url, "thread")));
    if (b === "wait" && m === "GET") {
      // Long poll for the demo page: answers once the chat changed after version `since`.
      const state = emu.store.requireChat(chatId);
      const since = optionalInt(url, "since") ?? 0;
      const timeoutMs = Math.min(MAX_WAIT_MS, Math.max(0, optionalInt(url, "timeoutMs") ?? 25_000));
      server.timeout(req, 0);
      await emu.changes.waitForChange(() => state.version > since, timeoutMs, req.signal);
      return ok(chatView(emu, chatId, optionalInt(url, "thread")));
    }
  }
  if (head === "callbacks" && a && !b && m === "GET") {
    const record = emu.store.callbacks.get(a);
    if (!record) throw new EmulatorError("emulator.no_such_callback", `no callback query ${a}`, 404);
    return ok({ query: record.query, answer: record.answer ?? null });
  }
  if (head === "calls" && !a && m === "GET") {
    const okParam = url.searchParams.get("ok");
    return ok(
      emu.calls({
        method: url.searchParams.get("method") ?? undefined,
        afterSeq: optionalInt(url, "afterSeq"),
        ok: okParam === null ? undefined : okParam === "true",
      }),
    );
  }
  if (head === "calls" && !a && m === "DELETE") {
    emu.clearCalls();
    return ok(true);
  }
  if (head === "faults" && !a && m === "GET") return ok(emu.faults());
  if (head === "faults" && !a && m === "POST") return ok({ id: emu.injectFault(await body(req, FaultBody)) }, 201);
  if (head === "faults" && m === "DELETE") {
    if (a) emu.removeFault(intOf(a, "fault id"));
    else emu.clearFaults();
    return ok(true);
  }
  if (head === "files" && a && !b && m === "GET") {
    const bytes = emu.fileBytes(decodeURIComponent(a));
    const doc = emu.store.files.document(decodeURIComponent(a));
    if (!bytes || !doc) throw new EmulatorError("emulator.no_such_file", `no file ${a}`, 404);
    return new Response(bytes, {
      headers: {
        "content-type": doc.mime_type,
        "content-disposition": `attachment; filename="${doc.file_name.replace(/["\\\r\n]/g, "_")}"`,
      },
    });
  }
  throw new EmulatorError("emulator.not_found", `no control route ${m} ${url.pathname}`, 404);
}

export async function handleControl(
  emu: Emulator,
  server: Server<undefined>,
  req: Request,
  url: URL,
  /** True when the request already passed the page-access key check (PageAccess). */
  keyChecked = false,
): Promise<Response> {
  try {
    guard(req, server, keyChecked);
    return await route(emu, server, req, url);
  } catch (err) {
    if (err instanceof EmulatorError) return fail(err);
    throw err;
  }
}
