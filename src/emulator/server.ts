// HTTP routing on 127.0.0.1: /bot<token>/<method> (the Bot API), /file/bot<token>/<path> (downloads)
// and /__emulator/… (the control API). Every bot request is recorded with how it was answered.
import type { Server } from "bun";
import { logger } from "../log/logger.ts";
import { ApiError, notFound, unauthorized } from "./api-error.ts";
import { findMethod } from "./bot-methods.ts";
import { handleControl } from "./control.ts";
import type { Emulator, StaticPage } from "./emulator.ts";
import type { FaultDecision } from "./faults.ts";
import type { PageAccess } from "./page-access.ts";
import { Params } from "./params.ts";
import { CONFLICT_DESCRIPTION } from "./updates.ts";

type Terminal = NonNullable<FaultDecision["terminal"]>;

// What Telegram's nginx front answers when the backend is away: HTML, not the JSON envelope.
const BAD_GATEWAY_HTML =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n";

function json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}

function errorResponse(err: ApiError): Response {
  return json(err.envelope(), err.errorCode);
}

/** A response whose body errors before the first byte: Bun closes the socket, the client sees ECONNRESET. */
function droppedConnection(): Response {
  return new Response(
    new ReadableStream({
      pull(controller) {
        controller.error(undefined);
      },
    }),
  );
}

function faultResponse(t: Terminal): { response: Response; status: number; description?: string } {
  switch (t.kind) {
    case "rate_limit": {
      const err = new ApiError(429, `Too Many Requests: retry after ${t.retryAfter}`, { retry_after: t.retryAfter });
      return { response: errorResponse(err), status: 429, description: err.description };
    }
    case "server_error":
      return {
        response: errorResponse(new ApiError(500, "Internal Server Error")),
        status: 500,
        description: "Internal Server Error",
      };
    case "bad_gateway":
      return {
        response: new Response(BAD_GATEWAY_HTML, { status: 502, headers: { "content-type": "text/html" } }),
        status: 502,
        description: "Bad Gateway",
      };
    case "drop":
      return { response: droppedConnection(), status: 0 };
    case "conflict":
      return {
        response: errorResponse(new ApiError(409, CONFLICT_DESCRIPTION)),
        status: 409,
        description: CONFLICT_DESCRIPTION,
      };
    case "unauthorized":
      return { response: errorResponse(unauthorized()), status: 401, description: "Unauthorized" };
  }
}

async function botApi(
  emu: Emulator,
  server: Server<undefined>,
  req: Request,
  token: string,
  methodName: string,
): Promise<Response> {
  const seq = emu.callLog.begin(methodName);
  const at = emu.store.now();
  const started = performance.now();
  let method = methodName;
  let params = Params.of({});
  const record = (status: number, description?: string, fault?: string): void => {
    emu.callLog.record({
      seq,
      method,
      params: params.toRecord(),
      at,
      durationMs: performance.now() - started,
      status,
      ok: status === 200,
      ...(description !== undefined ? { description } : {}),
      ...(fault ? { fault } : {}),
    });
    emu.changes.bump();
  };
  let paramsError: unknown;
  try {
    params = await Params.fromRequest(req);
  } catch (err) {
    paramsError = err;
  }
  try {
    if (token !== emu.token) throw unauthorized();
    const found = findMethod(methodName);
    if (!found) throw notFound();
    method = found.name;
    if (paramsError) throw paramsError;
    const decision = emu.faultRules.decide(method);
    if (decision.delayMs > 0) {
      server.timeout(req, 0);
      await Bun.sleep(decision.delayMs);
    }
    const terminal = decision.terminal;
    if (terminal && !terminal.afterEffect) {
      const f = faultResponse(terminal);
      record(f.status, f.description, terminal.kind);
      return f.response;
    }
    // Long polls may be held far longer than the idle timeout.
    if (method === "getUpdates") server.timeout(req, 0);
    const result = await found.fn(params, { store: emu.store, signal: req.signal });
    if (terminal) {
      const f = faultResponse(terminal);
      record(f.status, f.description, terminal.kind);
      return f.response;
    }
    record(200);
    return json({ ok: true, result });
  } catch (err) {
    if (err instanceof ApiError) {
      record(err.errorCode, err.description);
      return errorResponse(err);
    }
    logger().error({ err, method }, "emulator.internal_error");
    record(500, "Internal Server Error");
    return errorResponse(new ApiError(500, "Internal Server Error"));
  }
}

async function fileDownload(
  emu: Emulator,
  server: Server<undefined>,
  req: Request,
  token: string,
  path: string,
): Promise<Response> {
  const seq = emu.callLog.begin("file");
  const at = emu.store.now();
  const started = performance.now();
  const decision = emu.faultRules.decide("file");
  if (decision.delayMs > 0) {
    // A held download: visible to tests as an unanswered call (Emulator.unansweredCalls).
    emu.changes.bump();
    server.timeout(req, 0);
    await Bun.sleep(decision.delayMs);
  }
  const answer = (response: Response, status: number, fault?: string): Response => {
    emu.callLog.record({
      seq,
      method: "file",
      params: { file_path: path },
      at,
      durationMs: performance.now() - started,
      status,
      ok: status === 200,
      ...(fault ? { fault } : {}),
    });
    emu.changes.bump();
    return response;
  };
  if (token !== emu.token) return answer(errorResponse(unauthorized()), 401);
  if (decision.terminal) {
    const f = faultResponse(decision.terminal);
    return answer(f.response, f.status, decision.terminal.kind);
  }
  const bytes = emu.store.files.bytesByPath(decodeURIComponent(path));
  if (!bytes) return answer(errorResponse(notFound()), 404);
  return answer(new Response(bytes, { headers: { "content-type": "application/octet-stream" } }), 200);
}

const BOT_ROUTE = /^\/bot([^/]+)\/([^/]*)$/;
const FILE_ROUTE = /^\/file\/bot([^/]+)\/(.+)$/;

export function listen(
  emu: Emulator,
  port: number,
  pages: Record<string, StaticPage> = {},
  access?: PageAccess,
): Server<undefined> {
  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port,
    idleTimeout: 60,
    fetch(req, srv) {
      const url = new URL(req.url);
      const isControl = url.pathname.startsWith("/__emulator/");
      const page = req.method === "GET" ? pages[url.pathname] : undefined;
      if (access !== undefined && (isControl || page)) {
        const decision = access.decide(req, url, srv.port ?? port);
        if (decision.kind !== "allow") return decision.response;
      }
      if (isControl) return handleControl(emu, srv, req, url, access !== undefined);
      if (page) {
        return new Response(page.body, {
          headers: {
            "content-type": page.contentType,
            "cache-control": "no-store",
            // The page talks only to this server; no inline scripts, no third parties.
            "content-security-policy":
              "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
            "x-content-type-options": "nosniff",
          },
        });
      }
      const bot = BOT_ROUTE.exec(url.pathname);
      if (bot) return botApi(emu, srv, req, decodeURIComponent(bot[1] ?? ""), bot[2] ?? "");
      const file = FILE_ROUTE.exec(url.pathname);
      if (file) return fileDownload(emu, srv, req, decodeURIComponent(file[1] ?? ""), file[2] ?? "");
      return errorResponse(notFound());
    },
    error(err) {
      logger().error({ err }, "emulator.server_error");
      return errorResponse(new ApiError(500, "Internal Server Error"));
    },
  });
  logger().debug({ port: server.port }, "emulator.started");
  return server;
}
