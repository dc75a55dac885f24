// Voice notes → text through an OpenAI-compatible `/audio/transcriptions` endpoint. The endpoint is
// user-configurable (a local Whisper, say), so every request goes through the SSRF-guarded fetch;
// replies never quote the key or the endpoint URL, and logs carry only status codes.
import type { TelegramConfig } from "../config/schema.ts";
import type { ChatRef, Transport } from "../core/transport.ts";
import { logger } from "../log/logger.ts";
import { type FetchImpl, guardedFetch } from "../security/outbound.ts";
import { parseAllowlist, type Resolver, SsrfError, safeOrigin } from "../security/ssrf.ts";
import type { FileApi } from "./files.ts";
import { escapeHtml } from "./html.ts";
import type { IncomingMessage } from "./incoming.ts";
import { TooLargeError } from "./zip.ts";

export type VoiceConfig = Pick<
  TelegramConfig,
  | "voice_transcription"
  | "voice_max_bytes"
  | "voice_transcription_model"
  | "voice_transcription_base_url"
  | "voice_transcription_api_key"
  | "voice_transcription_language"
  | "voice_show_transcription"
  | "voice_transcription_url_allowlist"
>;

export interface VoiceDeps {
  /** Read on every note: voice_* keys hot-reload. */
  config: () => VoiceConfig;
  transport: Transport;
  api: Pick<FileApi, "getFile" | "download">;
  /** The service's environment, for OPENAI_API_KEY (never read from the global process env). */
  env: Readonly<Record<string, string | undefined>>;
  resolver?: Resolver;
  fetchImpl?: FetchImpl;
  /** Whole request including DNS and body (default 120 s). */
  timeoutMs?: number;
}

export interface VoiceHandler {
  /** Replies on its own to every failure; returns the transcript to run, or undefined. */
  transcribe(m: IncomingMessage): Promise<string | undefined>;
}

export const DEFAULT_TRANSCRIPTION_BASE_URL = "https://api.openai.com/v1";
const TIMEOUT_MS = 120_000;
// A transcript of a 10 MiB note is a few hundred KB of JSON at most.
const MAX_RESPONSE_BYTES = 1024 * 1024;
const KEY = "transports.telegram";
// Telegram's 4096 counts visible characters (after entity parsing), so raw length is what matters.
const ECHO_MAX = 4000;

// SSRF verdicts about the endpoint itself (as opposed to "it did not answer").
const BLOCKED = new Set([
  "ssrf.invalid_url",
  "ssrf.scheme",
  "ssrf.userinfo",
  "ssrf.blocked_ip",
  "ssrf.blocked_name",
  "ssrf.dns_blocked",
  "ssrf.invalid_allowlist",
]);

export const VOICE_TEXT = {
  disabled: `🎙 Voice notes are off. Turn them on with <code>untether config set ${KEY}.voice_transcription true</code>.`,
  tooLarge: (max: number) =>
    `🎙 This voice note is too large to transcribe (limit <code>${KEY}.voice_max_bytes</code> = ${max} bytes).`,
  noKey: `🎙 No API key for voice transcription. Set <code>${KEY}.voice_transcription_api_key</code> (or OPENAI_API_KEY in the service's environment).`,
  fetchFailed: "🎙 Could not fetch the voice note from Telegram. Please send it again.",
  downloadFailed: "🎙 Could not download the voice note from Telegram. Please send it again.",
  blocked: `🎙 The transcription endpoint is not permitted. Check <code>${KEY}.voice_transcription_base_url</code>, or add its address to <code>${KEY}.voice_transcription_url_allowlist</code>.`,
  unreachable: "🎙 The transcription service could not be reached. Try again in a moment, or type the task.",
  timedOut: "🎙 Transcription timed out. Try a shorter note, or type the task.",
  rejectedKey: `🎙 The transcription service rejected the API key. Check <code>${KEY}.voice_transcription_api_key</code>.`,
  failed: (status: number) => `🎙 Transcription failed (HTTP ${status}). Try again, or type the task.`,
  badAnswer: "🎙 The transcription service sent an answer without text. Try again, or type the task.",
  empty: "🎙 No speech found in that voice note.",
} as const;

function chatOf(m: IncomingMessage): ChatRef {
  return m.threadId === undefined ? { chatId: m.chatId } : { chatId: m.chatId, threadId: m.threadId };
}

/** `<base>/audio/transcriptions`, keeping any query the base carries (some gateways need one). */
export function transcriptionUrl(base: string): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/audio/transcriptions`;
  return url;
}

const MIME = /^[A-Za-z0-9.+-]+\/[A-Za-z0-9.+-]+$/;

/** multipart/form-data as bytes: guardedFetch takes only string or bytes, so 307/308 can resend it. */
export function multipartBody(
  fields: ReadonlyArray<readonly [string, string]>,
  file: { name: string; filename: string; type: string; data: Uint8Array },
): { body: Uint8Array; contentType: string } {
  const enc = new TextEncoder();
  let boundary: string;
  // A random boundary practically never occurs in the audio; check anyway, it is cheap.
  do boundary = `untether-${crypto.randomUUID().replaceAll("-", "")}`;
  while (Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength).includes(boundary));
  const parts: Uint8Array[] = [];
  for (const [name, value] of fields) {
    parts.push(enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  const type = MIME.test(file.type) ? file.type : "application/octet-stream";
  parts.push(
    enc.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${type}\r\n\r\n`,
    ),
  );
  parts.push(file.data);
  parts.push(enc.encode(`\r\n--${boundary}--\r\n`));
  const body = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.byteLength;
  }
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

function transcriptOf(body: Uint8Array): string | undefined {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(body));
    if (parsed && typeof parsed === "object" && "text" in parsed && typeof parsed.text === "string") return parsed.text;
  } catch {
    // Falls through: not JSON.
  }
  return undefined;
}

export function createVoiceHandler(d: VoiceDeps): VoiceHandler {
  return {
    async transcribe(m) {
      const voice = m.voice;
      if (!voice) return undefined;
      const cfg = d.config();
      const chat = chatOf(m);
      const say = async (html: string): Promise<undefined> => {
        await d.transport.send(chat, html, { replyTo: m.messageId });
        return undefined;
      };
      if (!cfg.voice_transcription) return say(VOICE_TEXT.disabled);
      const max = cfg.voice_max_bytes;
      if (voice.file_size !== undefined && voice.file_size > max) return say(VOICE_TEXT.tooLarge(max));
      const key = cfg.voice_transcription_api_key?.reveal() ?? d.env.OPENAI_API_KEY?.trim();
      if (!key) return say(VOICE_TEXT.noKey);

      let filePath: string;
      try {
        const f = await d.api.getFile(voice.file_id);
        if (f.file_size !== undefined && f.file_size > max) return say(VOICE_TEXT.tooLarge(max));
        if (!f.file_path) throw new Error("getFile returned no file_path");
        filePath = f.file_path;
      } catch (e) {
        logger().warn({ error: (e as Error).name, chat_id: m.chatId }, "voice.get_file_failed");
        return say(VOICE_TEXT.fetchFailed);
      }
      let audio: Uint8Array;
      try {
        audio = await d.api.download(filePath, max);
      } catch (e) {
        if (e instanceof TooLargeError) return say(VOICE_TEXT.tooLarge(max));
        logger().warn({ error: (e as Error).name, chat_id: m.chatId }, "voice.download_failed");
        return say(VOICE_TEXT.downloadFailed);
      }
      // The cap is the download's promise, not a guarantee: check the bytes themselves.
      if (audio.byteLength > max) return say(VOICE_TEXT.tooLarge(max));

      let url: URL;
      try {
        url = transcriptionUrl(cfg.voice_transcription_base_url ?? DEFAULT_TRANSCRIPTION_BASE_URL);
      } catch {
        logger().warn({ code: "ssrf.invalid_url" }, "voice.endpoint_blocked");
        return say(VOICE_TEXT.blocked);
      }
      const fields: Array<[string, string]> = [["model", cfg.voice_transcription_model]];
      if (cfg.voice_transcription_language) fields.push(["language", cfg.voice_transcription_language]);
      const { body, contentType } = multipartBody(fields, {
        name: "file",
        filename: "voice.ogg",
        type: voice.mime_type ?? "audio/ogg",
        data: audio,
      });
      let res: Awaited<ReturnType<typeof guardedFetch>>;
      try {
        res = await guardedFetch(
          url,
          {
            method: "POST",
            headers: { authorization: `Bearer ${key}`, "content-type": contentType, accept: "application/json" },
            body,
          },
          {
            allowlist: parseAllowlist(cfg.voice_transcription_url_allowlist),
            resolver: d.resolver,
            fetchImpl: d.fetchImpl,
            timeoutMs: d.timeoutMs ?? TIMEOUT_MS,
            maxBytes: MAX_RESPONSE_BYTES,
          },
        );
      } catch (e) {
        const code = e instanceof SsrfError ? e.code : "unknown";
        if (BLOCKED.has(code)) {
          logger().warn({ code, endpoint: safeOrigin(url) }, "voice.endpoint_blocked");
          return say(VOICE_TEXT.blocked);
        }
        logger().warn({ code }, "voice.transcription_failed");
        return say(code === "ssrf.timeout" ? VOICE_TEXT.timedOut : VOICE_TEXT.unreachable);
      }
      if (res.status < 200 || res.status > 299) {
        logger().warn({ status: res.status }, "voice.transcription_failed");
        return say(res.status === 401 || res.status === 403 ? VOICE_TEXT.rejectedKey : VOICE_TEXT.failed(res.status));
      }
      const text = transcriptOf(res.body)?.trim();
      if (text === undefined) {
        logger().warn({ status: res.status }, "voice.transcription_failed");
        return say(VOICE_TEXT.badAnswer);
      }
      if (text === "") return say(VOICE_TEXT.empty);
      // Length only: what the user said is prompt text, never logged at info.
      logger().info({ chat_id: m.chatId, bytes: audio.byteLength, chars: text.length }, "voice.transcribed");
      if (cfg.voice_show_transcription) {
        // The echo must fit one message (4096); the full text still goes to the agent.
        const shown = text.length > ECHO_MAX ? `${text.slice(0, ECHO_MAX).replace(/[\uD800-\uDBFF]$/, "")}…` : text;
        await d.transport.send(chat, `🎙 ${escapeHtml(shown)}`, { replyTo: m.messageId });
      }
      return text;
    },
  };
}
