// The fake model servers on 127.0.0.1: one Bun server answering every provider wire format the five
// CLIs use (Anthropic Messages, OpenAI Responses and Chat Completions, Gemini). It records each
// request so tests can see what the CLIs asked.
import { anthropicAnswer } from "./anthropic.ts";
import { geminiGenerate, geminiStream } from "./gemini.ts";
import { chatAnswer } from "./openai-chat.ts";
import { responsesAnswer } from "./openai-responses.ts";
import { jsonResponse } from "./sse.ts";

export interface RecordedRequest {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

export interface FakeModels {
  url: string;
  port: number;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

async function bodyOf(req: Request): Promise<Record<string, unknown>> {
  if (req.method !== "POST") return {};
  try {
    const v: unknown = await req.json();
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function startFakeModels(): FakeModels {
  const requests: RecordedRequest[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const body = await bodyOf(req);
      requests.push({ method: req.method, path: url.pathname, body });
      if (req.method !== "POST") return new Response(null, { status: 200 });
      const p = url.pathname;
      if (p.endsWith("/messages")) return anthropicAnswer(body);
      if (p.endsWith("/responses")) return responsesAnswer(body);
      if (p.endsWith("/chat/completions")) return chatAnswer(body);
      if (p.endsWith(":streamGenerateContent")) return geminiStream(body);
      if (p.endsWith(":generateContent")) return geminiGenerate();
      return jsonResponse({});
    },
  });
  const port = server.port ?? 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    async stop() {
      await server.stop(true);
    },
  };
}
