// Redaction of secrets in serialised text, and sanitising of engine output shown to users.
import { secretValues } from "./secret.ts";

export const REDACTED = "[REDACTED]";

// Ordered: the URL form first so "/bot<token>/" keeps its "/bot" prefix readable. Patterns with a
// capture group keep group 1 (the label) and redact what follows it.
const SECRET_PATTERNS: RegExp[] = [
  /(?<=\/bot)\d{3,}:[A-Za-z0-9_-]{10,}/g, // Telegram token inside an API URL
  /\b\d{3,}:[A-Za-z0-9_-]{30,}\b/g, // bare Telegram bot token
  /\bsk-ant-[A-Za-z0-9_-]{10,}/g, // Anthropic
  /\bsk-proj-[A-Za-z0-9_-]{10,}/g, // OpenAI project keys
  /\bsk-[A-Za-z0-9_-]{16,}/g, // OpenAI and other sk- keys
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{16,}\b/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g, // GitHub fine-grained tokens
  /\b(?:xox[abprs]|xapp)-[A-Za-z0-9-]{10,}/g, // Slack bot, user, workspace, refresh, legacy and app-level tokens
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, // AWS access key ids (long-term and temporary)
  /(aws_secret_access_key["'\\]*\s*[:=]\s*["'\\]*)[A-Za-z0-9/+]{20,}={0,2}/gi, // AWS secret keys in config/env lines
  /\b[rs]k_(?:live|test)_[A-Za-z0-9]{10,}/g, // Stripe secret and restricted keys
  /\bglpat-[A-Za-z0-9_-]{20,}/g, // GitLab personal access tokens
  /\bnpm_[A-Za-z0-9]{36}\b/g, // npm access tokens
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{10,}/g, // JWTs (header.payload.signature)
  /(\bauthorization["'\\]*\s*[:=]\s*["'\\]*(?:basic|token|bearer)\s+)[A-Za-z0-9._~+/-]{4,}=*/gi, // Authorization headers
  /(\bbearer\s+)(?:(?=[A-Za-z._~+/-]*\d)[A-Za-z0-9._~+/-]{8,}|[A-Za-z0-9._~+/-]{20,})=*/gi, // "Bearer <token>" anywhere
  /(\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/?#@"'<>\\]*:)[^\s/?#@"'<>\\]+(?=@)/g, // password in scheme://user:pass@host
];

/**
 * Something every pattern above needs (a "<digits>:" token prefix, "sk-", a vendor prefix, a header
 * name, "://…@"): one scan of the line decides whether the patterns run at all.
 */
const MAYBE_SECRET =
  /\d{3}:|sk-|gh[pousr]_|github_pat_|xox[abprs]-|xapp-|A[KS]IA|_access_key|_ACCESS_KEY|k_live_|k_test_|glpat-|npm_|eyJ|[Bb]earer|BEARER|[Aa]uthorization|AUTHORIZATION|:\/\/[^\s/@"]*@/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// JSON-escaped forms of secret values, computed once per value (every log line checks them).
const escapedForms = new Map<string, string>();

function jsonEscaped(value: string): string {
  let escaped = escapedForms.get(value);
  if (escaped === undefined) {
    escaped = JSON.stringify(value).slice(1, -1);
    if (escapedForms.size < 10_000) escapedForms.set(value, escaped);
  }
  return escaped;
}

function redactValue(text: string, value: string): string {
  if (value.length < 6) return text;
  let out = text.includes(value) ? text.split(value).join(REDACTED) : text;
  // A value may also appear JSON-escaped inside a serialised line.
  const escaped = jsonEscaped(value);
  if (escaped !== value && out.includes(escaped)) out = out.split(escaped).join(REDACTED);
  return out;
}

/** Replaces every known secret pattern and every registered secret value with [REDACTED]. */
export function redactSecrets(text: string, extraValues: readonly string[] = []): string {
  let out = text;
  for (const value of extraValues) out = redactValue(out, value);
  for (const value of secretValues()) out = redactValue(out, value);
  // Every log line passes here: one cheap scan decides whether the patterns need to run.
  if (!MAYBE_SECRET.test(out)) return out;
  for (const re of SECRET_PATTERNS)
    out = out.replace(re, (_match: string, label: unknown) =>
      typeof label === "string" ? `${label}${REDACTED}` : REDACTED,
    );
  return out;
}

// "Stop" characters end a path: whitespace, quotes, angle brackets and ':' (so ":42" survives).
const STOP = `[^\\s'"<>:]`;
const PATH_PREFIXES = [
  "/home/",
  "/Users/",
  "/root",
  "/private/var/",
  "/var/",
  "/tmp/",
  "/opt/",
  "/srv/",
  "/etc/",
  "/usr/local/",
  "/app/",
  "/workspace/",
];
const PATH_RE = new RegExp(`(?<![\\w.])(?:${PATH_PREFIXES.map(escapeRegExp).join("|")})${STOP}*`, "g");
const URL_RE = /\bhttps?:\/\/[^\s"'<>]+/g;

export const PATH_PLACEHOLDER = "[path]";
export const URL_PLACEHOLDER = "[url]";

/**
 * Makes engine stderr (or any untrusted diagnostic text) safe to show in a chat: URLs masked,
 * absolute paths under well-known roots replaced (":line" markers kept), secrets redacted.
 */
export function sanitizeForUser(text: string, maxChars = 600): string {
  let out = redactSecrets(text);
  out = out.replace(URL_RE, URL_PLACEHOLDER);
  out = out.replace(PATH_RE, PATH_PLACEHOLDER);
  if (out.length > maxChars) out = `${out.slice(0, maxChars - 1)}…`;
  return out;
}
