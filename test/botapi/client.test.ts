// The Bot API client against a tiny Bun.serve on 127.0.0.1: JSON calls, Telegram's errors, answers
// that are not Telegram's, multipart uploads, capped downloads, and that no error or logged error
// ever carries the request URL (it holds the token).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createBotApi } from "../../src/botapi/client.ts";
import { TelegramApiError, TelegramNetworkError } from "../../src/botapi/errors.ts";
import { createLogger } from "../../src/log/logger.ts";

// Not registered as a secret: the client must keep it out on its own, not rely on the log's redaction.
const TOKEN = "4242:AAclienttestsecretclienttestsecret";

interface Seen {
  method: string;
  contentType: string;
  json?: unknown;
  form?: Awaited<ReturnType<Request["formData"]>>;
}

const seen: Seen[] = [];
let server: ReturnType<typeof Bun.serve>;
let base: string;

const BIG = new Uint8Array(4096).fill(7);

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname.startsWith(`/file/bot${TOKEN}/`)) {
        const name = url.pathname.split("/").at(-1);
        if (name === "declared.bin") return new Response(BIG);
        if (name === "streamed.bin") {
          // No Content-Length: the cap has to be enforced while reading.
          return new Response(
            new ReadableStream({
              pull(c) {
                c.enqueue(BIG);
                c.close();
              },
            }),
          );
        }
        if (name === "small%20file.txt") return new Response("small");
        return new Response("not found", { status: 404 });
      }
      const prefix = `/bot${TOKEN}/`;
      if (!url.pathname.startsWith(prefix))
        return Response.json({ ok: false, error_code: 404, description: "Not Found" }, { status: 404 });
      const method = url.pathname.slice(prefix.length);
      const contentType = req.headers.get("content-type") ?? "";
      const s: Seen = { method, contentType };
      if (contentType.startsWith("multipart/form-data")) s.form = await req.formData();
      else s.json = await req.json();
      seen.push(s);
      switch (method) {
        case "getMe":
          return Response.json({
            ok: true,
            result: { id: 4242, is_bot: true, first_name: "Test", username: "test_bot" },
          });
        case "sendMessage":
          return Response.json(
            {
              ok: false,
              error_code: 429,
              description: "Too Many Requests: retry after 3",
              parameters: { retry_after: 3 },
            },
            { status: 429 },
          );
        case "getChat":
          return new Response("<html>502 Bad Gateway</html>", {
            status: 502,
            headers: { "content-type": "text/html" },
          });
        case "getUpdates":
          await Bun.sleep(2000);
          return Response.json({ ok: true, result: [] });
        case "deleteWebhook":
          return Response.json(
            { ok: false, error_code: 400, description: `Bad Request: echoing ${req.url}` },
            { status: 400 },
          );
        case "sendDocument":
          return Response.json({ ok: true, result: { message_id: 9, date: 0, chat: { id: 77, type: "private" } } });
        default:
          return Response.json(
            { ok: false, error_code: 404, description: "Not Found: method not found" },
            { status: 404 },
          );
      }
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));

const api = () => createBotApi({ token: TOKEN, baseUrl: `${base}/` });

/** Everything an error could leak through: its message, fields, cause and a logged line. */
function leaks(e: unknown): string {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", sink: { write: (l) => void lines.push(l) } });
  log.warn({ err: e, error: e instanceof Error ? e.message : String(e) }, "test.call_failed");
  const err = e instanceof Error ? e : new Error(String(e));
  // Every own property, the non-enumerable ones too (Bun's fetch errors keep the URL in `path`).
  const all = (v: unknown) =>
    typeof v === "object" && v !== null ? JSON.stringify(v, Object.getOwnPropertyNames(v)) : String(v);
  return [err.message, err.stack ?? "", all(e), all(err.cause), ...lines].join("\n");
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(TOKEN.split(":")[1] as string);
  expect(text).not.toContain(`127.0.0.1:${server.port}/bot`);
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("the call succeeded");
}

describe("calls", () => {
  test("a JSON call posts its parameters and resolves with the result", async () => {
    const me = await api().call("getMe");
    expect(me).toEqual({ id: 4242, is_bot: true, first_name: "Test", username: "test_bot" });
    expect(seen.at(-1)).toEqual({ method: "getMe", contentType: "application/json", json: {} });
  });

  test("an API error keeps method, code, description and retry_after", async () => {
    const e = await failure(
      api().call("sendMessage", {
        chat_id: 1,
        text: "hi",
        reply_markup: { inline_keyboard: [[{ text: "A", callback_data: "a" }]] },
      }),
    );
    expect(e).toBeInstanceOf(TelegramApiError);
    expect(e).toMatchObject({
      code: "telegram.api_error",
      method: "sendMessage",
      errorCode: 429,
      description: "Too Many Requests: retry after 3",
      retryAfter: 3,
    });
    expect(seen.at(-1)?.json).toEqual({
      chat_id: 1,
      text: "hi",
      reply_markup: { inline_keyboard: [[{ text: "A", callback_data: "a" }]] },
    });
    expectNoSecret(leaks(e));
  });

  test("a body that is not Telegram's JSON is a network error", async () => {
    const e = await failure(api().call("getChat", { chat_id: 1 }));
    expect(e).toBeInstanceOf(TelegramNetworkError);
    expect(e).toMatchObject({
      code: "telegram.network_error",
      method: "getChat",
      reason: "HTTP 502, not a Bot API answer",
    });
    expectNoSecret(leaks(e));
  });

  test("an API description that echoes the URL has the token scrubbed", async () => {
    const e = await failure(api().call("deleteWebhook"));
    expect(e).toBeInstanceOf(TelegramApiError);
    expect((e as TelegramApiError).description).toStartWith("Bad Request: echoing ");
    expect(leaks(e)).not.toContain(TOKEN.split(":")[1] as string);
  });

  test("a refused connection is a network error without the URL", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = closed.port;
    await closed.stop(true);
    const e = await failure(createBotApi({ token: TOKEN, baseUrl: `http://127.0.0.1:${port}` }).call("getMe"));
    expect(e).toBeInstanceOf(TelegramNetworkError);
    const text = leaks(e);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(`127.0.0.1:${port}/bot`);
  });

  test("a request past its timeout is a network error that says so", async () => {
    const e = await failure(
      createBotApi({ token: TOKEN, baseUrl: base, timeoutMs: 50 }).call("getUpdates", { timeout: 0 }),
    );
    expect(e).toBeInstanceOf(TelegramNetworkError);
    expect(e).toMatchObject({ method: "getUpdates", reason: "timed out" });
    expectNoSecret(leaks(e));
  });
});

describe("uploads", () => {
  test("a file parameter goes as multipart with every field and the exact bytes", async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255, 10, 13]);
    const sent = await api().call("sendDocument", {
      chat_id: 77,
      document: new File([bytes], "report.bin"),
      caption: "<b>here</b>",
      parse_mode: "HTML",
      reply_parameters: { message_id: 5, allow_sending_without_reply: true },
    });
    expect(sent.message_id).toBe(9);
    const s = seen.at(-1);
    expect(s?.method).toBe("sendDocument");
    expect(s?.contentType).toStartWith("multipart/form-data");
    const form = s?.form;
    if (!form) throw new Error("no multipart body");
    expect(form.get("chat_id")).toBe("77");
    expect(form.get("caption")).toBe("<b>here</b>");
    expect(form.get("parse_mode")).toBe("HTML");
    expect(JSON.parse(String(form.get("reply_parameters")))).toEqual({
      message_id: 5,
      allow_sending_without_reply: true,
    });
    const doc = form.get("document");
    if (!(doc instanceof File)) throw new Error("document is not a file part");
    expect(doc.name).toBe("report.bin");
    expect(new Uint8Array(await doc.arrayBuffer())).toEqual(bytes);
  });
});

describe("downloads", () => {
  test("a file within the cap is downloaded (path segments encoded)", async () => {
    expect(new TextDecoder().decode(await api().download("documents/small file.txt", 100))).toBe("small");
  });

  test("a declared size over the cap is refused", async () => {
    const e = await failure(api().download("documents/declared.bin", 1024));
    expect(e).toMatchObject({ method: "downloadFile", errorCode: 413 });
  });

  test("a streamed body over the cap is refused", async () => {
    const e = await failure(api().download("documents/streamed.bin", 1024));
    expect(e).toMatchObject({ method: "downloadFile", errorCode: 413 });
    expectNoSecret(leaks(e));
  });

  test("a missing file is an API error without the URL", async () => {
    const e = await failure(api().download("documents/missing.bin", 1024));
    expect(e).toMatchObject({ method: "downloadFile", errorCode: 404 });
    expectNoSecret(leaks(e));
  });
});
