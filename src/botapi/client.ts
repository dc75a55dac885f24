// Our Bot API client: one POST per call with a JSON body (multipart, built by @gramio/files, when a
// parameter is a file), a per-request timeout, and Telegram's envelope unpacked into the result or
// one of the two errors of ./errors.ts. The token lives only in the request URL: no error, message
// or cause built here quotes the URL, and API descriptions are scrubbed of the token.
import { convertJsonToFormData, isMediaUpload } from "@gramio/files";
import { redactSecrets } from "../log/redact.ts";
import { declaredTooLarge, readCapped, StreamTooLargeError } from "../security/read-capped.ts";
import { TelegramApiError, TelegramNetworkError } from "./errors.ts";
import type { BotApiCall, BotArgs, BotMethod, BotParams, BotResult } from "./types.ts";

export interface BotApi {
  call: BotApiCall;
  /** Downloads a file by its getFile path, refusing more than maxBytes (TelegramApiError 413). */
  download(filePath: string, maxBytes: number): Promise<Uint8Array>;
}

export interface BotApiOptions {
  token: string;
  /** e.g. https://api.telegram.org (transports.telegram.api_base_url). */
  baseUrl: string;
  /** Per request; a getUpdates long poll gets its `timeout` on top. Default 120 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Long enough for a 30 s long poll and a large upload; bounds every other call. */
export const REQUEST_TIMEOUT_MS = 120_000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Why a fetch failed, without its message (Bun's quotes the URL). */
function reasonOf(e: unknown): string {
  if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) return "timed out";
  if (isRecord(e) && typeof e.code === "string") return e.code;
  return e instanceof Error ? e.name : "network error";
}

/** The error of an answer with ok: false. */
function apiErrorOf(method: string, status: number, body: Record<string, unknown>, token: string): TelegramApiError {
  const code = typeof body.error_code === "number" ? body.error_code : status;
  const description = typeof body.description === "string" ? redactSecrets(body.description, [token]) : "";
  const retryAfter =
    isRecord(body.parameters) && typeof body.parameters.retry_after === "number"
      ? body.parameters.retry_after
      : undefined;
  return new TelegramApiError(method, code, description, retryAfter);
}

export function createBotApi(opts: BotApiOptions): BotApi {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const token = opts.token;
  const fetchImpl = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;

  async function body(
    method: BotMethod,
    params: BotParams<BotMethod> | undefined,
  ): Promise<{ body: string | FormData; headers?: Record<string, string> }> {
    if (params !== undefined && isMediaUpload(method, params))
      return { body: await convertJsonToFormData(method, { ...params }) };
    return { body: JSON.stringify(params ?? {}), headers: { "content-type": "application/json" } };
  }

  function call<M extends BotMethod>(method: M, ...args: BotArgs<M>): Promise<BotResult<M>>;
  async function call(method: BotMethod, params?: BotParams<BotMethod>): Promise<unknown> {
    const longPoll =
      method === "getUpdates" && isRecord(params) && typeof params.timeout === "number" ? params.timeout * 1000 : 0;
    const init = await body(method, params);
    let res: Response;
    try {
      res = await fetchImpl(`${base}/bot${token}/${method}`, {
        method: "POST",
        ...init,
        signal: AbortSignal.timeout(timeoutMs + longPoll),
        redirect: "manual",
      });
    } catch (e) {
      throw new TelegramNetworkError(method, reasonOf(e), { cause: new Error(reasonOf(e)) });
    }
    let answer: unknown;
    try {
      answer = await res.json();
    } catch (e) {
      // A proxy's HTML error page, a redirect, or the body cut off by the timeout.
      const reason = reasonOf(e) === "timed out" ? "timed out" : `HTTP ${res.status}, not a Bot API answer`;
      throw new TelegramNetworkError(method, reason);
    }
    if (!isRecord(answer) || typeof answer.ok !== "boolean")
      throw new TelegramNetworkError(method, `HTTP ${res.status}, not a Bot API answer`);
    if (answer.ok) return answer.result;
    throw apiErrorOf(method, res.status, answer, token);
  }

  async function download(filePath: string, maxBytes: number): Promise<Uint8Array> {
    const path = filePath.split("/").map(encodeURIComponent).join("/");
    let res: Response;
    try {
      res = await fetchImpl(`${base}/file/bot${token}/${path}`, {
        signal: AbortSignal.timeout(timeoutMs),
        redirect: "manual",
      });
    } catch (e) {
      throw new TelegramNetworkError("downloadFile", reasonOf(e));
    }
    if (!res.ok) throw new TelegramApiError("downloadFile", res.status, `download failed with HTTP ${res.status}`);
    if (declaredTooLarge(res.headers, maxBytes)) throw new TelegramApiError("downloadFile", 413, "file is too large");
    try {
      return await readCapped(res.body, maxBytes);
    } catch (e) {
      if (e instanceof StreamTooLargeError) throw new TelegramApiError("downloadFile", 413, "file is too large");
      throw new TelegramNetworkError("downloadFile", reasonOf(e));
    }
  }

  return { call, download };
}
