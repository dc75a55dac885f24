// What an accepted webhook does: start an agent run, write a file inside its project, forward the
// body, or post a message. Each action returns an outcome instead of throwing, so the notify flags
// and the history record are handled in one place.
import type { WebhookConfig } from "../config/schema.ts";
import { escapeHtml } from "../core/html.ts";
import { boundLogger, logger } from "../log/logger.ts";
import { Secret } from "../log/secret.ts";
import { type FetchImpl, guardedFetch } from "../security/outbound.ts";
import {
  normalizeRelativePath,
  PathGuardError,
  statInsideRoot,
  writeFileAtomicInsideRoot,
} from "../security/path-guard.ts";
import { type Resolver, SsrfError } from "../security/ssrf.ts";
import { wrapWebhookPayload } from "../security/untrusted.ts";
import type { StateDb } from "../state/db.ts";
import type { TriggerSink } from "./sink.ts";
import { renderTemplate } from "./template.ts";

export interface ActionContext {
  sink: TriggerSink;
  db: StateDb;
  now: () => number;
  resolver?: Resolver;
  fetchImpl?: FetchImpl;
  sleep: (ms: number) => Promise<void>;
}

export interface Outcome {
  ok: boolean;
  /** Short text for the chat; payload-derived parts are escaped when sent. */
  message: string;
}

export const FORWARD_TIMEOUT_MS = 15_000;
export const FORWARD_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** Waits before the 2nd and 3rd forwarding attempt. */
export const FORWARD_RETRY_DELAYS_MS: readonly number[] = [2_000, 4_000];

const CONTROL_CHARS = /[\r\n\0]/;

export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const ok = (message: string): Outcome => ({ ok: true, message });
const fail = (message: string): Outcome => ({ ok: false, message });

async function agentRun(w: WebhookConfig, payload: unknown, ctx: ActionContext): Promise<Outcome> {
  const rendered = renderTemplate(w.prompt_template ?? "", payload);
  await ctx.sink.startRun({
    chatId: w.chat_id ?? ctx.sink.defaultChatId,
    prompt: wrapWebhookPayload(rendered),
    source: { kind: "webhook", id: w.id },
    ...(w.engine === undefined ? {} : { engine: w.engine }),
    ...(w.project === undefined ? {} : { project: w.project }),
  });
  return ok("run started");
}

/** `dir/report.json` → `dir/report_<ns>.json`: the original's append_timestamp naming. */
function timestamped(relPath: string, nowMs: number): string {
  const slash = relPath.lastIndexOf("/");
  const dir = relPath.slice(0, slash + 1);
  const name = relPath.slice(slash + 1);
  const dot = name.lastIndexOf(".");
  const ns = (BigInt(Math.trunc(nowMs)) * 1_000_000n).toString();
  return dot > 0 ? `${dir}${name.slice(0, dot)}_${ns}${name.slice(dot)}` : `${dir}${name}_${ns}`;
}

async function exists(root: string, relPath: string, denyGlobs: readonly string[]): Promise<boolean> {
  try {
    await statInsideRoot(root, relPath, { denyGlobs });
    return true;
  } catch (e) {
    if (e instanceof PathGuardError && e.code === "path.not_found") return false;
    throw e;
  }
}

/**
 * Stricter than the original (which could write anywhere): the rendered path must be relative to
 * the webhook's project root and stays confined to it (no `..`, no absolute path, no symlink escape,
 * deny globs at any depth).
 */
async function fileWrite(w: WebhookConfig, payload: unknown, raw: Uint8Array, ctx: ActionContext): Promise<Outcome> {
  const root = ctx.sink.projectPath(w.project);
  if (root === undefined) return fail("file_write rejected: the webhook has no project to write into");
  const opts = { denyGlobs: ctx.sink.denyGlobs() };
  try {
    let relPath = normalizeRelativePath(renderTemplate(w.file_path ?? "", payload));
    let force = true;
    if (w.on_conflict !== "overwrite" && (await exists(root, relPath, opts.denyGlobs))) {
      if (w.on_conflict === "error") return fail(`file_write rejected: ${relPath} already exists`);
      relPath = timestamped(relPath, ctx.now());
    }
    // Without force a racing writer's file is never replaced: the write moves to `name_N`.
    if (w.on_conflict !== "overwrite") force = false;
    const written = await writeFileAtomicInsideRoot(root, relPath, raw, { ...opts, force });
    return ok(`wrote ${written.relPath} (${written.bytes} bytes)`);
  } catch (e) {
    if (e instanceof PathGuardError) {
      logger().warn({ webhook: w.id, code: e.code, rule: e.rule }, "triggers.webhook.file_write_refused");
      return fail(`file_write rejected: ${e.message}`);
    }
    throw e;
  }
}

function forwardHeaders(w: WebhookConfig, payload: unknown): Array<[string, string]> | string {
  const out: Array<[string, string]> = [];
  let contentType = false;
  for (const [name, value] of Object.entries(w.forward_headers ?? {})) {
    // Secret values are sent as configured; only plain values are templates.
    const text = value instanceof Secret ? value.reveal() : renderTemplate(String(value), payload);
    if (CONTROL_CHARS.test(text) || CONTROL_CHARS.test(name)) {
      return `http_forward rejected: header '${name.replace(/[^\x20-\x7e]/g, "?")}' contains control characters`;
    }
    if (name.toLowerCase() === "content-type") contentType = true;
    out.push([name, text]);
  }
  if (!contentType) out.push(["Content-Type", "application/json"]);
  return out;
}

const RETRYABLE_CODES = new Set(["ssrf.network", "ssrf.timeout"]);

/**
 * Why a rendered forward_url is not an http(s) URL, or undefined when it is one. Says the scheme at
 * most, never the URL (payload-derived, and paths often carry tokens).
 */
function notHttpUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.trim() === "" ? "it rendered empty" : "it is not a valid URL";
  }
  if (parsed.protocol === "http:" || parsed.protocol === "https:") return undefined;
  const scheme = parsed.protocol
    .slice(0, -1)
    .replace(/[^a-z0-9+.-]/gi, "?")
    .slice(0, 20);
  return `the scheme is ${scheme}`;
}

async function httpForward(w: WebhookConfig, payload: unknown, raw: Uint8Array, ctx: ActionContext): Promise<Outcome> {
  const url = renderTemplate(w.forward_url ?? "", payload);
  const notHttp = notHttpUrl(url);
  if (notHttp !== undefined) {
    logger().warn({ webhook: w.id }, "triggers.webhook.forward_url_not_http");
    return fail(`http_forward rejected: forward_url did not render to an http:// or https:// URL (${notHttp})`);
  }
  const headers = forwardHeaders(w, payload);
  if (typeof headers === "string") return fail(headers);
  let last = "no attempt made";
  for (let attempt = 0; attempt <= FORWARD_RETRY_DELAYS_MS.length; attempt++) {
    if (attempt > 0) await ctx.sleep(FORWARD_RETRY_DELAYS_MS[attempt - 1] ?? 0);
    try {
      const res = await guardedFetch(
        url,
        { method: w.forward_method, headers, body: raw },
        {
          timeoutMs: FORWARD_TIMEOUT_MS,
          maxBytes: FORWARD_MAX_RESPONSE_BYTES,
          ...(ctx.resolver === undefined ? {} : { resolver: ctx.resolver }),
          ...(ctx.fetchImpl === undefined ? {} : { fetchImpl: ctx.fetchImpl }),
        },
      );
      if (res.status < 400) return ok(`forwarded (${res.status})`);
      last = `http_forward failed: ${res.status}`;
      if (res.status < 500) return fail(last);
    } catch (e) {
      if (!(e instanceof SsrfError)) throw e;
      if (!RETRYABLE_CODES.has(e.code)) return fail(`http_forward blocked: ${e.message}`);
      last = `http_forward failed: ${e.message}`;
    }
    logger().warn({ webhook: w.id, attempt: attempt + 1 }, "triggers.webhook.forward_retry");
  }
  return fail(last);
}

async function notifyOnly(w: WebhookConfig, payload: unknown, ctx: ActionContext): Promise<Outcome> {
  const text = renderTemplate(w.message_template ?? "", payload);
  await ctx.sink.notify(w.chat_id ?? ctx.sink.defaultChatId, escapeHtml(text));
  return ok("notified");
}

// Not async itself (each action is): one promise per delivery fewer.
function runAction(w: WebhookConfig, payload: unknown, raw: Uint8Array, ctx: ActionContext): Promise<Outcome> {
  switch (w.action) {
    case "agent_run":
      return agentRun(w, payload, ctx);
    case "file_write":
      return fileWrite(w, payload, raw, ctx);
    case "http_forward":
      return httpForward(w, payload, raw, ctx);
    case "notify_only":
      return notifyOnly(w, payload, ctx);
  }
}

/**
 * Runs the webhook's action, records it in the history and sends the success/failure notice the
 * flags ask for (notify_only is its own notice). Never throws: this runs in the background.
 */
export async function dispatchWebhook(
  w: WebhookConfig,
  payload: unknown,
  raw: Uint8Array,
  ctx: ActionContext,
): Promise<Outcome> {
  let outcome: Outcome;
  try {
    outcome = await runAction(w, payload, raw, ctx);
  } catch (e) {
    logger().error({ webhook: w.id, action: w.action, err: errorName(e) }, "triggers.webhook.dispatch_failed");
    outcome = fail(`${w.action} failed`);
  }
  try {
    ctx.db.recordTrigger(w.id, ctx.now());
  } catch (e) {
    logger().warn({ webhook: w.id, err: errorName(e) }, "triggers.history.write_failed");
  }
  // The audit line of every delivery: its fixed fields are serialised once per webhook and outcome.
  const ok = outcome.ok;
  boundLogger(`triggers.webhook.dispatched\n${w.id}\n${w.action}\n${ok}`, () => ({
    webhook: w.id,
    action: w.action,
    ok,
  })).info("triggers.webhook.dispatched");
  const wanted = w.action !== "notify_only" && (outcome.ok ? w.notify_on_success : w.notify_on_failure);
  if (wanted) {
    const mark = outcome.ok ? "✅" : "❌";
    const text = `${mark} webhook:${w.id} (${w.action}): ${outcome.message}`;
    await ctx.sink.notify(w.chat_id ?? ctx.sink.defaultChatId, escapeHtml(text)).catch((e: unknown) => {
      logger().warn({ webhook: w.id, err: errorName(e) }, "triggers.webhook.notify_failed");
    });
  }
  return outcome;
}

/** A log-safe description of an error: its code or class, never its message (which may quote a payload). */
export function errorName(e: unknown): string {
  if (e instanceof Error) return "code" in e && typeof e.code === "string" ? e.code : e.name;
  return typeof e;
}
