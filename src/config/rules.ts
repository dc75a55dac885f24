// Rules beyond the JSON Schema, run on a schema-valid document with defaults applied. Each failure
// names the key (and the webhook/cron id) and says what would be accepted.
import ipaddr from "ipaddr.js";
import { ENV_NAME_RE } from "../security/env-policy.ts";
import { isLoopbackHost } from "../security/host-guard.ts";
import { ConfigError } from "./errors.ts";
import { formatKeyPath, type KeyPath, labelKey } from "./keys.ts";
import {
  CLAUDE_PERMISSION_MODES,
  CONFIGURABLE_ENGINE_IDS,
  type ConfigFile,
  ENGINE_IDS,
  ENGINE_MANAGED_FLAGS,
  managedFlagOf,
} from "./schema.ts";
import { isSecretPath } from "./secret-keys.ts";

export const WEBHOOK_PATH_RE = /^\/[a-zA-Z0-9/_.-]+$/;
/** Shortest webhook secret accepted at load. */
export const MIN_WEBHOOK_SECRET_CHARS = 16;
/** `name`, `name:port`, `[v6]:port`: what a Host header carries. */
export const PUBLIC_HOST_RE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
export const RESERVED_CHAT_COMMANDS = [
  "cancel",
  "continue",
  "file",
  "new",
  "agent",
  "model",
  "reasoning",
  "trigger",
  "topic",
  "ctx",
  "config",
] as const;

class Checker {
  constructor(private readonly doc: ConfigFile) {}

  fail(path: KeyPath, message: string): never {
    throw new ConfigError("config.invalid", `${labelKey(path, this.doc)}: ${message}`, { key: formatKeyPath(path) });
  }
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}

/** True for IANA names the runtime knows (Intl throws RangeError otherwise). */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Returns an error text for a 5-field cron expression, or undefined when croner accepts it. */
export function cronProblem(schedule: string, timezone?: string): string | undefined {
  const fields = schedule.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    return `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length} in ${JSON.stringify(schedule)}`;
  }
  // Loaded on the first cron checked: a config without crons never loads croner (idle memory).
  const { Cron }: typeof import("croner") = require("croner");
  try {
    const job = new Cron(schedule.trim(), { paused: true, mode: "5-part", timezone });
    job.stop();
    return undefined;
  } catch (e) {
    const why = (e as Error).message.replace(/^CronPattern:\s*/, "");
    return `invalid cron expression ${JSON.stringify(schedule)}: ${why}`;
  }
}

const PLACEHOLDER_RE = /\{\{\s*[\w.-]+\s*\}\}/;

/**
 * A fixed URL must start with http:// or https://. A template (as Untether configs have it, even
 * wholly `{{ url }}`) passes when the text before its first placeholder can still begin such a URL;
 * the rendered URL is checked when the webhook runs.
 */
function mayRenderToHttpUrl(url: string): boolean {
  const first = PLACEHOLDER_RE.exec(url);
  if (first === null) return /^https?:\/\//i.test(url);
  const prefix = url.slice(0, first.index).trimStart().toLowerCase();
  return ["http://", "https://"].some((scheme) => scheme.startsWith(prefix) || prefix.startsWith(scheme));
}

function relativeDirProblem(dir: string): string | undefined {
  if (dir.startsWith("/") || dir.startsWith("~") || /^[A-Za-z]:[\\/]/.test(dir)) {
    return `must be a path relative to the project root, got ${JSON.stringify(dir)}`;
  }
  if (dir.split(/[\\/]/).includes("..")) return `must not contain '..', got ${JSON.stringify(dir)}`;
  return undefined;
}

function hasControlChars(s: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(s);
}

export function checkSemantics(doc: ConfigFile): void {
  const c = new Checker(doc);
  checkTelegram(c, doc);
  checkSecurity(c, doc);
  checkWatchdog(c, doc);
  checkEngines(c, doc);
  checkProjects(c, doc);
  checkTriggers(c, doc);
}

function checkTelegram(c: Checker, doc: ConfigFile): void {
  const tg = doc.transports?.telegram;
  if (!tg) return;
  const base: KeyPath = ["transports", "telegram"];
  if (!isHttpUrl(tg.api_base_url)) {
    c.fail([...base, "api_base_url"], `must be an http:// or https:// URL, got ${JSON.stringify(tg.api_base_url)}`);
  }
  if (tg.voice_transcription_base_url !== undefined && !isHttpUrl(tg.voice_transcription_base_url)) {
    c.fail([...base, "voice_transcription_base_url"], "must be an http:// or https:// URL");
  }
  const key = tg.voice_transcription_api_key;
  if (key !== undefined) {
    if (hasControlChars(key)) {
      c.fail(
        [...base, "voice_transcription_api_key"],
        "contains control characters (embedded newline/tab?); paste the key again",
      );
    }
    if (/[^\u0000-\u00ff]/.test(key)) {
      c.fail(
        [...base, "voice_transcription_api_key"],
        "has characters that cannot be sent in an HTTP Authorization header; paste the key again",
      );
    }
  }
  tg.voice_transcription_url_allowlist.forEach((entry, i) => {
    if (!ipaddr.isValid(entry) && !isValidCidr(entry)) {
      c.fail(
        [...base, "voice_transcription_url_allowlist", i],
        `expected an IP or CIDR such as "10.0.0.5" or "192.168.0.0/16", got ${JSON.stringify(entry)}`,
      );
    }
  });
  for (const k of ["uploads_dir", "outbox_dir"] as const) {
    const problem = relativeDirProblem(tg.files[k]);
    if (problem) c.fail([...base, "files", k], problem);
  }
}

function isValidCidr(s: string): boolean {
  try {
    ipaddr.parseCIDR(s);
    return true;
  } catch {
    return false;
  }
}

function checkSecurity(c: Checker, doc: ConfigFile): void {
  for (const k of ["env_extra_allow", "env_extra_prefix_allow"] as const) {
    doc.security[k].forEach((name, i) => {
      if (name.trim() === "") c.fail(["security", k, i], "env allowlist entries must not be empty");
      if (!ENV_NAME_RE.test(name)) {
        c.fail(
          ["security", k, i],
          `invalid environment variable name ${JSON.stringify(name)}: must match [A-Z_][A-Z0-9_]* (upper-case letters, digits and underscores, not starting with a digit; no wildcards${k === "env_extra_prefix_allow" ? ', a prefix is written like "VAULT_"' : ""})`,
        );
      }
    });
  }
}

function checkWatchdog(c: Checker, doc: ConfigFile): void {
  const w = doc.watchdog;
  if (w.prespawn_ram_warn_mb > 0 && w.prespawn_ram_block_mb > 0 && w.prespawn_ram_warn_mb <= w.prespawn_ram_block_mb) {
    c.fail(
      ["watchdog", "prespawn_ram_warn_mb"],
      `must be > prespawn_ram_block_mb when both are active (got warn=${w.prespawn_ram_warn_mb}, block=${w.prespawn_ram_block_mb}); 0 turns a tier off`,
    );
  }
}

function checkEngines(c: Checker, doc: ConfigFile): void {
  for (const id of CONFIGURABLE_ENGINE_IDS) {
    const tables: [KeyPath, { extra_args?: string[] } | undefined][] = [
      [["engines", id], doc.engines[id]],
      [[id], doc[id]],
    ];
    for (const [path, table] of tables) {
      table?.extra_args?.forEach((arg, i) => {
        if (managedFlagOf(arg, ENGINE_MANAGED_FLAGS[id]) !== undefined) {
          c.fail(
            [...path, "extra_args", i],
            `flag ${JSON.stringify(arg)} is managed by Untether and cannot be set here`,
          );
        }
      });
    }
  }
}

function checkProjects(c: Checker, doc: ConfigFile): void {
  const seenAlias = new Map<string, string>();
  const seenChat = new Map<number, string>();
  const mainChat = doc.transports?.telegram?.chat_id;
  for (const [alias, project] of Object.entries(doc.projects)) {
    const lower = alias.toLowerCase();
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(alias)) {
      c.fail(["projects", alias], "project aliases use 1-32 letters, digits, '_' or '-'");
    }
    if (
      (ENGINE_IDS as readonly string[]).includes(lower) ||
      (RESERVED_CHAT_COMMANDS as readonly string[]).includes(lower)
    ) {
      c.fail(
        ["projects", alias],
        `alias ${JSON.stringify(alias)} is an engine id or a chat command; pick another name`,
      );
    }
    const dup = seenAlias.get(lower);
    if (dup !== undefined)
      c.fail(["projects", alias], `duplicates project ${JSON.stringify(dup)} (aliases are case-insensitive)`);
    seenAlias.set(lower, alias);
    if (project.chat_id !== undefined) {
      if (project.chat_id === mainChat) {
        c.fail(
          ["projects", alias, "chat_id"],
          "is the same as transports.telegram.chat_id; bind a different chat to the project",
        );
      }
      const other = seenChat.get(project.chat_id);
      if (other !== undefined)
        c.fail(["projects", alias, "chat_id"], `is already bound to project ${JSON.stringify(other)}`);
      seenChat.set(project.chat_id, alias);
    }
  }
  if (doc.default_project !== undefined && !seenAlias.has(doc.default_project.toLowerCase())) {
    c.fail(
      ["default_project"],
      `no project named ${JSON.stringify(doc.default_project)}; add [projects.${doc.default_project}] first`,
    );
  }
}

function projectExists(doc: ConfigFile, name: string): boolean {
  return Object.keys(doc.projects).some((a) => a.toLowerCase() === name.toLowerCase());
}

function checkTriggers(c: Checker, doc: ConfigFile): void {
  const t = doc.triggers;
  if (t.default_timezone !== undefined && !isValidTimeZone(t.default_timezone)) {
    c.fail(
      ["triggers", "default_timezone"],
      `unknown timezone ${JSON.stringify(t.default_timezone)}; use IANA names like "Australia/Melbourne"`,
    );
  }
  const loopback = isLoopbackHost(t.server.host);
  const publicHost = t.server.public_host;
  if (publicHost !== undefined && !PUBLIC_HOST_RE.test(publicHost.trim())) {
    c.fail(
      ["triggers", "server", "public_host"],
      `must be a host name with an optional port, as the reverse proxy sends it in the Host header (e.g. "hooks.example.com" or "hooks.example.com:8443"; no scheme, no path), got ${JSON.stringify(publicHost)}`,
    );
  }
  const ids = new Set<string>();
  const paths = new Set<string>();
  t.webhooks.forEach((w, i) => {
    const at = (...k: (string | number)[]): KeyPath => ["triggers", "webhooks", i, ...k];
    if (ids.has(w.id)) c.fail(at("id"), `webhook ids must be unique; ${JSON.stringify(w.id)} is used twice`);
    ids.add(w.id);
    if (!WEBHOOK_PATH_RE.test(w.path) || w.path === "/health") {
      c.fail(
        at("path"),
        `must start with "/", use only letters, digits, / _ . - and not be /health, got ${JSON.stringify(w.path)}`,
      );
    }
    if (paths.has(w.path)) c.fail(at("path"), `webhook paths must be unique; ${JSON.stringify(w.path)} is used twice`);
    paths.add(w.path);
    if (w.auth !== "none" && w.secret === undefined) c.fail(at("secret"), `is required when auth = "${w.auth}"`);
    // Counted as loaded (trimmed); the message never shows the value or its length.
    if (w.secret !== undefined && w.secret.trim().length < MIN_WEBHOOK_SECRET_CHARS) {
      c.fail(
        at("secret"),
        `is too short: use at least ${MIN_WEBHOOK_SECRET_CHARS} characters (a short secret can be guessed); generate one with: openssl rand -hex 32`,
      );
    }
    if (w.auth === "none" && !loopback && !t.allow_unauthenticated_webhooks) {
      c.fail(
        at("auth"),
        `"none" is refused while triggers.server.host (${t.server.host}) is not a loopback address; set a secret, bind to 127.0.0.1, or set triggers.allow_unauthenticated_webhooks = true`,
      );
    }
    const needs: Record<typeof w.action, keyof typeof w> = {
      agent_run: "prompt_template",
      file_write: "file_path",
      http_forward: "forward_url",
      notify_only: "message_template",
    };
    const required = needs[w.action];
    if (w[required] === undefined) c.fail(at(required), `is required when action = "${w.action}"`);
    if (w.forward_url !== undefined && !mayRenderToHttpUrl(w.forward_url)) {
      c.fail(
        at("forward_url"),
        'must be an http:// or https:// URL, or a template that renders to one (e.g. "{{ url }}"; checked again, with the SSRF guard, on each request)',
      );
    }
    checkHeaders(c, w.forward_headers, at("forward_headers"));
    if (w.project !== undefined && !projectExists(doc, w.project)) {
      c.fail(at("project"), `no project named ${JSON.stringify(w.project)}`);
    }
  });
  const cronIds = new Set<string>();
  t.crons.forEach((cron, i) => {
    const at = (...k: (string | number)[]): KeyPath => ["triggers", "crons", i, ...k];
    if (cronIds.has(cron.id)) c.fail(at("id"), `cron ids must be unique; ${JSON.stringify(cron.id)} is used twice`);
    cronIds.add(cron.id);
    if (cron.timezone !== undefined && !isValidTimeZone(cron.timezone)) {
      c.fail(
        at("timezone"),
        `unknown timezone ${JSON.stringify(cron.timezone)}; use IANA names like "Australia/Melbourne"`,
      );
    }
    const problem = cronProblem(cron.schedule, cron.timezone ?? t.default_timezone);
    if (problem) c.fail(at("schedule"), problem);
    if (cron.prompt === undefined && cron.prompt_template === undefined) {
      c.fail(at("prompt"), "either prompt or prompt_template is required");
    }
    if (
      cron.engine === "claude" &&
      cron.permission_mode !== undefined &&
      !(CLAUDE_PERMISSION_MODES as readonly string[]).includes(cron.permission_mode)
    ) {
      c.fail(
        at("permission_mode"),
        `unknown permission_mode ${JSON.stringify(cron.permission_mode)} for engine "claude"; allowed: ${CLAUDE_PERMISSION_MODES.join(", ")}`,
      );
    }
    if (cron.project !== undefined && !projectExists(doc, cron.project)) {
      c.fail(at("project"), `no project named ${JSON.stringify(cron.project)}`);
    }
    const f = cron.fetch;
    if (f) {
      if (f.type !== "file_read") {
        if (f.url === undefined) c.fail(at("fetch", "url"), `is required when fetch.type = "${f.type}"`);
        if (!/^https?:\/\//i.test(f.url)) c.fail(at("fetch", "url"), "must be an http:// or https:// URL");
      } else {
        if (f.file_path === undefined) c.fail(at("fetch", "file_path"), 'is required when fetch.type = "file_read"');
        if (f.file_path.split(/[\\/]/).includes("..")) c.fail(at("fetch", "file_path"), "must not contain '..'");
      }
      checkHeaders(c, f.headers, at("fetch", "headers"));
    }
  });
}

function checkHeaders(c: Checker, headers: Record<string, string> | undefined, at: KeyPath): void {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) c.fail([...at, name], "is not a valid HTTP header name");
    if (hasControlChars(value)) {
      c.fail(
        [...at, name],
        `${isSecretPath([...at, name]) ? "value" : JSON.stringify(value)} contains control characters (CR, LF or NUL)`,
      );
    }
  }
}
