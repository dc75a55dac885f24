// Errors the emulator answers with, in Telegram's envelope. ApiError is "the Bot API said no"
// (what the bot sees); EmulatorError is misuse of the emulator itself by a test or the demo page.
import { UntetherError } from "../errors.ts";

export interface ResponseParameters {
  retry_after?: number;
  migrate_to_chat_id?: number;
}

export class ApiError extends UntetherError {
  readonly errorCode: number;
  readonly description: string;
  readonly parameters?: ResponseParameters;

  constructor(errorCode: number, description: string, parameters?: ResponseParameters) {
    super("emulator.api_error", description);
    this.errorCode = errorCode;
    this.description = description;
    this.parameters = parameters;
  }

  envelope(): ErrorEnvelope {
    const body: ErrorEnvelope = { ok: false, error_code: this.errorCode, description: this.description };
    if (this.parameters) body.parameters = this.parameters;
    return body;
  }
}

export interface ErrorEnvelope {
  ok: false;
  error_code: number;
  description: string;
  parameters?: ResponseParameters;
}

/** 400 with Telegram's "Bad Request: " prefix. */
export function badRequest(detail: string): ApiError {
  return new ApiError(400, `Bad Request: ${detail}`);
}

export const unauthorized = (): ApiError => new ApiError(401, "Unauthorized");
export const notFound = (): ApiError => new ApiError(404, "Not Found");

export class EmulatorError extends UntetherError {
  /** HTTP status the control API answers with. */
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(code, message);
    this.status = status;
  }
}
