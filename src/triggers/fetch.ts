// A cron's `fetch` table: data fetched before the run (HTTP through the SSRF guard, or a file
// confined to the project), parsed, and handed to the agent behind the fetched-data marker.
import type { CronConfig, FetchConfig } from "../config/schema.ts";
import { Secret } from "../log/secret.ts";
import { type FetchImpl, guardedFetch } from "../security/outbound.ts";
import { PathGuardError, readFileInsideRoot } from "../security/path-guard.ts";
import { type Resolver, SsrfError } from "../security/ssrf.ts";
import { wrapFetchedData } from "../security/untrusted.ts";
import { renderTemplate } from "./template.ts";

export interface FetchContext {
  /** Absolute project root for file_read; undefined when the cron has no known project. */
  projectRoot: string | undefined;
  denyGlobs: readonly string[];
  now: () => number;
  resolver?: Resolver;
  fetchImpl?: FetchImpl;
}

export type FetchResult = { ok: true; data: unknown } | { ok: false; error: string };

export class FetchFailure extends Error {}

const utf8 = new TextDecoder();

export function parseFetched(text: string, parseAs: FetchConfig["parse_as"]): unknown {
  switch (parseAs) {
    case "json":
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text; // as the original: unparseable JSON is kept as text
      }
    case "lines":
      return text.split(/\r?\n/).filter((l) => l.trim() !== "");
    case "text":
      return text;
  }
}

async function fetchHttp(f: FetchConfig, cronId: string, ctx: FetchContext): Promise<string> {
  if (f.url === undefined) throw new FetchFailure("no url configured");
  const headers: Array<[string, string]> = Object.entries(f.headers ?? {}).map(([k, v]) => [
    k,
    v instanceof Secret ? v.reveal() : String(v),
  ]);
  const post = f.type === "http_post";
  const body =
    post && f.body !== undefined
      ? renderTemplate(f.body, { cron_id: cronId, now: new Date(ctx.now()).toISOString() })
      : null;
  try {
    const res = await guardedFetch(
      f.url,
      { method: post ? "POST" : "GET", headers, body },
      {
        timeoutMs: f.timeout_seconds * 1000,
        maxBytes: f.max_bytes,
        ...(ctx.resolver === undefined ? {} : { resolver: ctx.resolver }),
        ...(ctx.fetchImpl === undefined ? {} : { fetchImpl: ctx.fetchImpl }),
      },
    );
    if (res.status >= 400) throw new FetchFailure(`HTTP ${res.status}`);
    return utf8.decode(res.body);
  } catch (e) {
    if (e instanceof SsrfError) throw new FetchFailure(e.message);
    throw e;
  }
}

async function fetchFile(f: FetchConfig, ctx: FetchContext): Promise<string> {
  if (f.file_path === undefined) throw new FetchFailure("no file_path configured");
  if (ctx.projectRoot === undefined) throw new FetchFailure("file_read needs a project (set project = …)");
  try {
    const read = await readFileInsideRoot(ctx.projectRoot, f.file_path, f.max_bytes, { denyGlobs: ctx.denyGlobs });
    return utf8.decode(read.data);
  } catch (e) {
    if (e instanceof PathGuardError) throw new FetchFailure(e.message);
    throw e;
  }
}

/** Fetches and parses; errors become `{ok: false}` with a message fit for the chat. */
export async function runFetch(f: FetchConfig, cronId: string, ctx: FetchContext): Promise<FetchResult> {
  try {
    const text = f.type === "file_read" ? await fetchFile(f, ctx) : await fetchHttp(f, cronId, ctx);
    return { ok: true, data: parseFetched(text, f.parse_as) };
  } catch (e) {
    if (e instanceof FetchFailure) return { ok: false, error: e.message };
    return { ok: false, error: "unexpected error" };
  }
}

function renderData(data: unknown): string {
  return typeof data === "string" ? data : JSON.stringify(data, null, 2);
}

/** The agent's prompt: marker line first, then the template with the data, or prompt + data block. */
export function fetchedPrompt(cron: CronConfig, storeAs: string, data: unknown): string {
  if (cron.prompt_template !== undefined) {
    return wrapFetchedData(renderTemplate(cron.prompt_template, { [storeAs]: data }));
  }
  return wrapFetchedData(`${cron.prompt ?? ""}\n\n--- Fetched data (${storeAs}) ---\n${renderData(data)}`);
}
