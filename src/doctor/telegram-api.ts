// A minimal Bot API caller for doctor: raw fetch with a timeout, and results that separate "the API
// said no" from "the network failed". The token goes into the request URL only: nothing returned
// here quotes the URL, and API descriptions are scrubbed of the token all the same.
import { redactSecrets } from "../log/redact.ts";
import { errorCode } from "../security/ssrf.ts";

export type ApiResult<T> =
  | { kind: "ok"; result: T }
  | { kind: "api"; status: number; description: string }
  | { kind: "network"; host: string; reason: string };

export interface ApiTarget {
  baseUrl: string;
  token: string;
  fetchImpl: typeof fetch;
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

interface Envelope {
  ok?: boolean;
  result?: unknown;
  description?: unknown;
}

export async function callApi<T>(
  target: ApiTarget,
  method: string,
  params: Record<string, unknown>,
  extraTimeoutMs = 0,
): Promise<ApiResult<T>> {
  const host = apiHost(target.baseUrl);
  const url = `${target.baseUrl.replace(/\/+$/, "")}/bot${target.token}/${method}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), target.timeoutMs + extraTimeoutMs);
  try {
    const res = await target.fetchImpl(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
      signal: controller.signal,
      redirect: "manual",
    });
    const text = await res.text();
    let body: Envelope | undefined;
    try {
      body = JSON.parse(text) as Envelope;
    } catch {
      body = undefined;
    }
    if (res.ok && body?.ok === true) return { kind: "ok", result: body.result as T };
    const description = typeof body?.description === "string" ? body.description : `HTTP ${res.status} without a Bot API answer`;
    return { kind: "api", status: res.status, description: redactSecrets(description, [target.token]).slice(0, 300) };
  } catch (e) {
    const reason = controller.signal.aborted ? "timed out" : errorCode(e);
    return { kind: "network", host, reason };
  } finally {
    clearTimeout(timer);
  }
}
