// Base of every domain error (ConfigError, SsrfError, PathGuardError, …). `code` is stable: logs and
// tests assert on it. Messages say what to fix and never carry a secret.
export class UntetherError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
