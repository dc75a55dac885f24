// gramio as our Bot API client, adapted to the ApiCall shape the outbox and poller use. Errors are
// split into "the API said no" and "the network failed"; neither carries the URL (it holds the token).
import { Bot, TelegramError } from "gramio";
import { declaredTooLarge, readCapped, StreamTooLargeError } from "../security/read-capped.ts";
import { TelegramApiError, TelegramNetworkError, type ApiCall } from "./api.ts";

export interface TelegramClient {
  call: ApiCall;
  /** Downloads a file by its getFile path, refusing more than maxBytes. */
  download(filePath: string, maxBytes: number): Promise<Uint8Array>;
}

/** Long enough for a 30 s long poll and a large upload; bounds every other call. */
const REQUEST_TIMEOUT_MS = 120_000;

export function createTelegramClient(token: string, apiBaseUrl: string): TelegramClient {
  const base = apiBaseUrl.replace(/\/+$/, "");
  const fetchOptions = {
    // A getter: gramio spreads these options per request, so every call gets a fresh timeout signal.
    get signal() {
      return AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    },
  };
  const bot = new Bot(token, { api: { baseURL: `${base}/bot`, fetchOptions: fetchOptions as RequestInit } });
  const api = bot.api as unknown as Record<string, (params: Record<string, unknown>) => Promise<unknown>>;

  const call: ApiCall = async (method, params) => {
    const fn = api[method];
    if (typeof fn !== "function") throw new TelegramApiError(method, 404, "Not Found: unknown method");
    let result: unknown;
    try {
      result = await fn({ ...params, suppress: true });
    } catch (e) {
      // fetch failed, timed out, or the body was not JSON (a proxy's HTML error page).
      throw new TelegramNetworkError(method, { cause: e instanceof Error ? new Error(e.name) : undefined });
    }
    if (result instanceof TelegramError) {
      const retryAfter = (result.payload as { retry_after?: number } | undefined)?.retry_after;
      throw new TelegramApiError(method, Number(result.code) || 0, String(result.message ?? ""), retryAfter);
    }
    return result;
  };

  const download = async (filePath: string, maxBytes: number): Promise<Uint8Array> => {
    const res = await fetch(`${base}/file/bot${token}/${filePath.split("/").map(encodeURIComponent).join("/")}`, {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }).catch(() => {
      throw new TelegramNetworkError("downloadFile");
    });
    if (!res.ok) throw new TelegramApiError("downloadFile", res.status, `download failed with HTTP ${res.status}`);
    if (declaredTooLarge(res.headers, maxBytes)) throw new TelegramApiError("downloadFile", 413, "file is too large");
    try {
      return await readCapped(res.body, maxBytes);
    } catch (e) {
      if (e instanceof StreamTooLargeError) throw new TelegramApiError("downloadFile", 413, "file is too large");
      throw new TelegramNetworkError("downloadFile");
    }
  };

  return { call, download };
}
