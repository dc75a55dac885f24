// The one shape of a Bot API call that outbox and poller depend on; bot.ts adapts gramio to it, the
// tests pass fakes. "The API said no" (TelegramApiError) is kept apart from "the network failed"
// (TelegramNetworkError), as grammY does. Messages carry the method and code, never a URL or payload.
import { UntetherError } from "../errors.ts";

/** Calls a Bot API method; resolves with `result`, rejects with one of the errors below. */
export type ApiCall = (method: string, params: Record<string, unknown>) => Promise<unknown>;

export class TelegramApiError extends UntetherError {
  readonly method: string;
  /** Telegram's error_code (HTTP-like: 400, 403, 429, 5xx). */
  readonly errorCode: number;
  /** Telegram's description, e.g. "Bad Request: message is not modified". */
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

  constructor(method: string, options?: { cause?: unknown }) {
    super("telegram.network_error", `Telegram ${method} failed: network error`, options);
    this.method = method;
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
