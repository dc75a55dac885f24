// The two ways a Bot API call fails: "the API said no" (TelegramApiError) and "the network failed"
// (TelegramNetworkError: fetch failed, timed out, or the answer was not Telegram's JSON), as grammY
// does. Messages carry the method and code, never a URL (it holds the token) or a payload.
import { UntetherError } from "../errors.ts";

export class TelegramApiError extends UntetherError {
  readonly method: string;
  /** Telegram's error_code (HTTP-like: 400, 403, 429, 5xx). */
  readonly errorCode: number;
  /** Telegram's description, e.g. "Bad Request: message is not modified" (the token scrubbed out). */
  readonly description: string;
  /** Seconds to wait, from parameters.retry_after on a 429. */
  readonly retryAfter?: number;

  constructor(method: string, errorCode: number, description: string, retryAfter?: number) {
    super("telegram.api_error", `Telegram ${method} failed with error ${errorCode}`);
    this.method = method;
    this.errorCode = errorCode;
    this.description = description;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
}

export class TelegramNetworkError extends UntetherError {
  readonly method: string;
  /** What failed, for a doctor line: "timed out", an errno such as ECONNREFUSED, "HTTP 502, not a Bot API answer". */
  readonly reason: string;

  constructor(method: string, reason = "network error", options?: { cause?: unknown }) {
    super("telegram.network_error", `Telegram ${method} failed: network error`, options);
    this.method = method;
    this.reason = reason;
  }
}

/** Edits that change nothing are a success, not a failure. */
export function isNotModified(e: unknown): boolean {
  return e instanceof TelegramApiError && e.errorCode === 400 && /message is not modified/i.test(e.description);
}

/** The message is already gone: deleting it again or editing it cannot succeed. */
export function isMessageGone(e: unknown): boolean {
  return (
    e instanceof TelegramApiError &&
    e.errorCode === 400 &&
    /message to (edit|delete) not found|message can't be (edited|deleted)|MESSAGE_ID_INVALID/i.test(e.description)
  );
}
