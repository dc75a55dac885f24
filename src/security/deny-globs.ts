// The one built-in list of deny globs, and the one function that computes the globs in force. Every
// file access the bot makes for someone else goes through it: /file get|put and auto-put, the
// outbox, webhook file_write and multipart uploads, cron file_read. A user's
// `transports.telegram.files.deny_globs` adds to this list; it can never remove an entry.

/** Right-anchored globs, matched at any depth (the first five are the ones DESIGN.md requires). */
export const BUILTIN_DENY_GLOBS: readonly string[] = Object.freeze([
  ".git/**",
  ".env",
  ".envrc",
  "**/*.pem",
  "**/.ssh/**",
  "**/.env",
  "**/.env.*",
  "**/.envrc",
  "**/*.key",
  "**/id_rsa",
  "**/id_ed25519",
  "**/.netrc",
  "**/.npmrc",
  "**/.pypirc",
]);

/** The globs in force: the built-in list plus the configured ones (deduplicated, built-ins first). */
export function effectiveDenyGlobs(configured: readonly string[] = []): string[] {
  return [...new Set([...BUILTIN_DENY_GLOBS, ...configured])];
}
