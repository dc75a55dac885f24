// OpenAI Chat Completions (pi, opencode): `POST /v1/chat/completions` streamed as `data:` chunks.
import {
  type Conversation,
  chunks,
  decide,
  findShellTool,
  isTyped,
  type Spoken,
  stripContext,
  textOf,
} from "./script.ts";
import { fakeId, jsonResponse, sleep, sseEvent, sseResponse } from "./sse.ts";

type Msg = { role?: string; content?: unknown };

export function chatConversation(body: Record<string, unknown>): Conversation {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as Msg[];
  const userTexts = messages
    .filter((m) => m.role === "user")
    .map((m) => textOf(m.content))
    .filter(isTyped);
  const last = messages.at(-1);
  const tools = (Array.isArray(body.tools) ? body.tools : []) as Array<{
    function?: { name?: string; parameters?: unknown };
  }>;
  const conv: Conversation = {
    lastUserText: stripContext(userTexts.at(-1) ?? "").replace(/^"|"$/g, ""),
    userMessages: userTexts.length,
  };
  if (last?.role === "tool") conv.toolResult = { text: textOf(last.content), failed: false };
  const shell = findShellTool(tools.map((t) => ({ name: t.function?.name ?? "", schema: t.function?.parameters })));
  if (shell) conv.shellTool = shell;
  return conv;
}

export function chatAnswer(body: Record<string, unknown>): Response {
  const answer = decide(chatConversation(body));
  if (answer.kind === "error") {
    return jsonResponse(
      { error: { message: answer.message, type: "invalid_request_error", param: null, code: "fake_api_error" } },
      answer.status,
    );
  }
  const id = fakeId("chatcmpl-fake");
  const model = typeof body.model === "string" ? body.model : "fake-model";
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    sseEvent({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  const wantsUsage = ((body.stream_options ?? {}) as Record<string, unknown>).include_usage === true;
  const spoken: Spoken = answer;
  async function* events() {
    yield chunk({ role: "assistant", content: "" });
    for (const c of chunks(spoken.text)) {
      if (spoken.kind === "text") await sleep(spoken.chunkDelayMs);
      yield chunk({ content: c });
    }
    if (spoken.kind === "tool") {
      yield chunk({
        tool_calls: [
          { index: 0, id: fakeId("call_fake"), type: "function", function: { name: spoken.tool, arguments: "" } },
        ],
      });
      yield chunk({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(spoken.args) } }] });
    }
    yield chunk({}, spoken.kind === "tool" ? "tool_calls" : "stop");
    if (wantsUsage) {
      yield sseEvent({
        id,
        object: "chat.completion.chunk",
        created,
        model,
        choices: [],
        usage: { prompt_tokens: 10, completion_tokens: 12, total_tokens: 22 },
      });
    }
    yield "data: [DONE]\n\n";
  }
  return sseResponse(events());
}
