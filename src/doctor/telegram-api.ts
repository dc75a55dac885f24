// Doctor's view of a Bot API call: the shared client (src/botapi), its two errors folded into a
// result that says "ok", "the API said no" or "the network failed". The token goes into the request
// URL only: nothing returned here quotes the URL, and API descriptions are scrubbed of the token.
import { createBotApi } from "../botapi/client.ts";
import { TelegramApiError, TelegramNetworkError } from "../botapi/errors.ts";
import type { BotArgs, BotMethod, BotResult } from "../botapi/types.ts";
import { redactSecrets } from "../log/redact.ts";

export type ApiResult<T> =
  | { kind: "ok"; result: T }
  | { kind: "api"; status: number; description: string }
  | { kind: "network"; host: string; reason: string };

export interface ApiTarget {
  baseUrl: string;
  token: string;
  fetchImpl: typeof fetch;
  /** Per request; a getUpdates probe gets its long-poll `timeout` on top. */
  timeoutMs: number;
}

/** host[:port] of the API base, for messages (never the path, which would hold the token). */
export function apiHost(baseUrl: string): string {
  try {
    return new URL(baseUrl).host || baseUrl;
  } catch {
    return "(invalid api_base_url)";
  }
}

export async function callApi<M extends BotMethod>(
  target: ApiTarget,
  method: M,
  ...args: BotArgs<M>
): Promise<ApiResult<BotResult<M>>> {
  const api = createBotApi({
    token: target.token,
    baseUrl: target.baseUrl,
    fetch: target.fetchImpl,
    timeoutMs: target.timeoutMs,
  });
  try {
    return { kind: "ok", result: await api.call(method, ...args) };
  } catch (e) {
    if (e instanceof TelegramApiError) {
      return {
        kind: "api",
        status: e.errorCode,
        description: redactSecrets(e.description, [target.token]).slice(0, 300),
      };
    }
    return {
      kind: "network",
      host: apiHost(target.baseUrl),
      reason: e instanceof TelegramNetworkError ? e.reason : "network error",
    };
  }
}
