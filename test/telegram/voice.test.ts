// Voice notes: a fake FileApi for Telegram's side and a real HTTP server on 127.0.0.1 standing in for
// the transcription endpoint, reached through the SSRF-guarded fetch (allowlisted, or not).
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createLogger, setLogger } from "../../src/log/logger.ts";
import { Secret } from "../../src/log/secret.ts";
import type { IncomingMessage } from "../../src/telegram/incoming.ts";
import {
  createVoiceHandler,
  multipartBody,
  transcriptionUrl,
  type VoiceConfig,
  type VoiceDeps,
} from "../../src/telegram/voice.ts";
import { TooLargeError } from "../../src/telegram/zip.ts";
import { captureLogs, type LogRecord } from "../config/helpers.ts";
import { FakeTransport } from "./files-fixtures.ts";

const KEY = "sk-test-voice-key-0123456789";
// Every byte value plus CRLF and a fake boundary line: the multipart body must carry it unchanged.
const AUDIO = new Uint8Array([
  ...Array.from({ length: 256 }, (_, i) => i),
  ...new TextEncoder().encode("\r\n--boundary\r\n"),
]);

interface Seen {
  path: string;
  search: string;
  authorization: string | null;
  contentType: string | null;
  fields: Record<string, string>;
  file?: { name: string; type: string; bytes: Uint8Array };
}

let server: ReturnType<typeof Bun.serve>;
let seen: Seen[] = [];
// What the fake endpoint answers next.
let answer: () => Response | Promise<Response> = () => Response.json({ text: "fix the <b>tests</b>" });
let release: () => void = () => {};

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const form = await req.formData();
      const fields: Record<string, string> = {};
      let file: Seen["file"];
      for (const [name, value] of form.entries()) {
        if (typeof value === "string") fields[name] = value;
        else file = { name: value.name, type: value.type, bytes: new Uint8Array(await value.arrayBuffer()) };
      }
      seen.push({
        path: url.pathname,
        search: url.search,
        authorization: req.headers.get("authorization"),
        contentType: req.headers.get("content-type"),
        fields,
        file,
      });
      return answer();
    },
  });
});

afterAll(() => {
  release();
  server.stop(true);
  setLogger(createLogger({ level: "silent", sink: { write: () => {} } }));
});

let logs: LogRecord[];
beforeEach(() => {
  seen = [];
  answer = () => Response.json({ text: "fix the <b>tests</b>" });
  logs = captureLogs();
});

function base(): string {
  return `http://127.0.0.1:${server.port}/v1`;
}

function cfg(over: Partial<VoiceConfig> = {}): VoiceConfig {
  return {
    voice_transcription: true,
    voice_max_bytes: 10_000,
    voice_transcription_model: "whisper-test",
    voice_transcription_base_url: base(),
    voice_transcription_api_key: new Secret(KEY),
    voice_transcription_language: "en",
    voice_show_transcription: true,
    voice_transcription_url_allowlist: ["127.0.0.1"],
    ...over,
  };
}

class FakeVoiceApi {
  calls: string[] = [];
  declared?: number;
  failGetFile = false;
  failDownload = false;
  /** Ignore the cap, like a buggy download that returns everything. */
  overshoot?: Uint8Array;

  async getFile(fileId: string): Promise<{ file_path?: string; file_size?: number }> {
    this.calls.push(`getFile ${fileId}`);
    if (this.failGetFile) throw new Error("400 Bad Request: invalid file_id");
    return { file_path: "voice/file_1.oga", file_size: this.declared ?? AUDIO.byteLength };
  }

  async download(filePath: string, maxBytes: number): Promise<Uint8Array> {
    this.calls.push(`download ${filePath} ${maxBytes}`);
    if (this.failDownload) throw new Error("network down");
    if (this.overshoot) return this.overshoot;
    if (AUDIO.byteLength > maxBytes) throw new TooLargeError(maxBytes);
    return AUDIO.slice();
  }
}

function voiceMessage(over: Partial<NonNullable<IncomingMessage["voice"]>> = {}): IncomingMessage {
  return {
    kind: "message",
    updateId: 1,
    chatId: 42,
    chatType: "private",
    messageId: 7,
    userId: 42,
    text: "",
    voice: { file_id: "VOICE1", duration: 3, file_size: AUDIO.byteLength, mime_type: "audio/ogg", ...over },
  };
}

function setup(config: VoiceConfig, extra: Partial<VoiceDeps> = {}) {
  const transport = new FakeTransport();
  const api = new FakeVoiceApi();
  const handler = createVoiceHandler({ config: () => config, transport, api, env: {}, ...extra });
  return { transport, api, handler };
}

function events(name: string): LogRecord[] {
  return logs.filter((l) => l.msg === name);
}

describe("multipart body", () => {
  test("parses as form data with every byte of the file intact", async () => {
    const { body, contentType } = multipartBody([["model", "m"]], {
      name: "file",
      filename: "voice.ogg",
      type: "audio/ogg",
      data: AUDIO,
    });
    const form = await new Response(body, { headers: { "content-type": contentType } }).formData();
    expect(form.get("model")).toBe("m");
    const file = form.get("file") as File;
    expect(file.name).toBe("voice.ogg");
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(AUDIO);
  });

  test("the endpoint path is appended to the base, keeping its query", () => {
    expect(transcriptionUrl("https://api.openai.com/v1").href).toBe("https://api.openai.com/v1/audio/transcriptions");
    expect(transcriptionUrl("http://h:9/v1/?api-version=2").href).toBe(
      "http://h:9/v1/audio/transcriptions?api-version=2",
    );
  });
});

describe("voice notes", () => {
  test("posts model, language and the audio with the bearer key; echoes the escaped transcript and returns it", async () => {
    const { transport, handler } = setup(cfg());
    const text = await handler.transcribe(voiceMessage());
    expect(text).toBe("fix the <b>tests</b>");
    expect(seen).toHaveLength(1);
    const req = seen[0]!;
    expect(req.path).toBe("/v1/audio/transcriptions");
    expect(req.authorization).toBe(`Bearer ${KEY}`);
    expect(req.contentType).toStartWith("multipart/form-data; boundary=");
    expect(req.fields).toEqual({ model: "whisper-test", language: "en" });
    expect(req.file?.name).toBe("voice.ogg");
    expect(req.file?.type).toBe("audio/ogg");
    expect(req.file?.bytes).toEqual(AUDIO);
    expect(transport.texts).toHaveLength(1);
    expect(transport.lastText).toBe("🎙 fix the &lt;b&gt;tests&lt;/b&gt;");
    expect(transport.texts[0]?.opts?.replyTo).toBe(7);
    expect(JSON.stringify(logs)).not.toContain("tests");
  });

  test("without a language no language field is sent; without the echo nothing is said", async () => {
    const { transport, handler } = setup(
      cfg({ voice_transcription_language: undefined, voice_show_transcription: false }),
    );
    expect(await handler.transcribe(voiceMessage())).toBe("fix the <b>tests</b>");
    expect(seen[0]?.fields).toEqual({ model: "whisper-test" });
    expect(transport.texts).toHaveLength(0);
  });

  test("OPENAI_API_KEY from the service's environment is used when the config has no key", async () => {
    const { handler } = setup(cfg({ voice_transcription_api_key: undefined }), {
      env: { OPENAI_API_KEY: "sk-from-env-123456" },
    });
    await handler.transcribe(voiceMessage());
    expect(seen[0]?.authorization).toBe("Bearer sk-from-env-123456");
  });

  test("disabled: a reply naming the key, nothing fetched", async () => {
    const { transport, api, handler } = setup(cfg({ voice_transcription: false }));
    expect(await handler.transcribe(voiceMessage())).toBeUndefined();
    expect(transport.lastText).toContain("transports.telegram.voice_transcription");
    expect(api.calls).toEqual([]);
    expect(seen).toHaveLength(0);
  });

  test("a declared size over voice_max_bytes is refused before any download", async () => {
    const { transport, api, handler } = setup(cfg({ voice_max_bytes: 100 }));
    expect(await handler.transcribe(voiceMessage())).toBeUndefined();
    expect(transport.lastText).toContain("too large");
    expect(api.calls).toEqual([]);
    expect(seen).toHaveLength(0);
  });

  test("getFile's size, the capped download and the bytes themselves are each checked", async () => {
    const small = cfg({ voice_max_bytes: 100 });
    // The message does not declare a size, getFile does.
    const a = setup(small);
    expect(await a.handler.transcribe(voiceMessage({ file_size: undefined }))).toBeUndefined();
    expect(a.api.calls).toEqual(["getFile VOICE1"]);
    // Nobody declares a size: the download stops at the cap.
    const b = setup(small);
    b.api.declared = 50;
    expect(await b.handler.transcribe(voiceMessage({ file_size: undefined }))).toBeUndefined();
    expect(b.api.calls).toEqual(["getFile VOICE1", "download voice/file_1.oga 100"]);
    expect(b.transport.lastText).toContain("too large");
    // A download that ignores the cap is caught on the bytes.
    const c = setup(small);
    c.api.declared = 50;
    c.api.overshoot = new Uint8Array(101);
    expect(await c.handler.transcribe(voiceMessage({ file_size: undefined }))).toBeUndefined();
    expect(c.transport.lastText).toContain("too large");
    expect(seen).toHaveLength(0);
  });

  test("no key in the config or the environment: a reply naming the key, nothing downloaded", async () => {
    const { transport, api, handler } = setup(cfg({ voice_transcription_api_key: undefined }), {
      env: { OPENAI_API_KEY: "  " },
    });
    expect(await handler.transcribe(voiceMessage())).toBeUndefined();
    expect(transport.lastText).toContain("transports.telegram.voice_transcription_api_key");
    expect(api.calls).toEqual([]);
    expect(seen).toHaveLength(0);
  });

  test("a loopback endpoint that is not allowlisted is blocked: no request reaches it", async () => {
    const { transport, handler } = setup(cfg({ voice_transcription_url_allowlist: [] }));
    expect(await handler.transcribe(voiceMessage())).toBeUndefined();
    expect(seen).toHaveLength(0);
    expect(transport.lastText).toContain("transcription endpoint is not permitted");
    expect(transport.lastText).toContain("transports.telegram.voice_transcription_url_allowlist");
    expect(events("voice.endpoint_blocked")).toHaveLength(1);
  });

  test("a server error: a short reply and a log with the status, never the key or the URL's query", async () => {
    answer = () => new Response(`{"error":"boom ${KEY}"}`, { status: 500 });
    const { transport, handler } = setup(cfg({ voice_transcription_base_url: `${base()}?token=querysecret` }));
    expect(await handler.transcribe(voiceMessage())).toBeUndefined();
    expect(seen[0]?.search).toBe("?token=querysecret");
    expect(transport.lastText).toContain("HTTP 500");
    const failed = events("voice.transcription_failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.status).toBe(500);
    const everything = JSON.stringify(logs) + JSON.stringify(transport.texts);
    for (const secret of [KEY, "querysecret", "boom"]) expect(everything).not.toContain(secret);
  });

  test("401 says the key was rejected; an answer without text and an empty transcript run nothing", async () => {
    answer = () => new Response("nope", { status: 401 });
    const a = setup(cfg());
    expect(await a.handler.transcribe(voiceMessage())).toBeUndefined();
    expect(a.transport.lastText).toContain("rejected the API key");

    answer = () => new Response("<html>not json</html>", { status: 200 });
    const b = setup(cfg());
    expect(await b.handler.transcribe(voiceMessage())).toBeUndefined();
    expect(b.transport.lastText).toContain("without text");

    answer = () => Response.json({ text: "   " });
    const c = setup(cfg());
    expect(await c.handler.transcribe(voiceMessage())).toBeUndefined();
    expect(c.transport.lastText).toContain("No speech");
  });

  test("an endpoint that does not answer in time: a timeout reply", async () => {
    answer = () => new Promise<Response>((resolve) => (release = () => resolve(Response.json({ text: "late" }))));
    const { transport, handler } = setup(cfg(), { timeoutMs: 300 });
    expect(await handler.transcribe(voiceMessage())).toBeUndefined();
    release();
    expect(transport.lastText).toContain("timed out");
    expect(events("voice.transcription_failed")[0]?.code).toBe("ssrf.timeout");
  });

  test("Telegram failures: getFile and download each get their own reply", async () => {
    const a = setup(cfg());
    a.api.failGetFile = true;
    expect(await a.handler.transcribe(voiceMessage())).toBeUndefined();
    expect(a.transport.lastText).toContain("Could not fetch the voice note");

    const b = setup(cfg());
    b.api.failDownload = true;
    expect(await b.handler.transcribe(voiceMessage())).toBeUndefined();
    expect(b.transport.lastText).toContain("Could not download the voice note");
    expect(seen).toHaveLength(0);
  });

  test("a very long transcript is echoed trimmed to one message, and returned whole", async () => {
    const long = "word ".repeat(2000).trim();
    answer = () => Response.json({ text: long });
    const { transport, handler } = setup(cfg());
    expect(await handler.transcribe(voiceMessage())).toBe(long);
    expect(transport.lastText.length).toBeLessThanOrEqual(4096);
    expect(transport.lastText).toEndWith("…");
  });
});
