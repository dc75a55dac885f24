// OpenAI Responses (Codex, wire_api = "responses"): `POST /v1/responses` streamed as named events.
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

type Item = { type?: string; role?: string; content?: unknown; output?: unknown };

export function responsesConversation(body: Record<string, unknown>): Conversation {
  const input = (
    Array.isArray(body.input)
      ? body.input
      : typeof body.input === "string"
        ? [{ role: "user", content: body.input }]
        : []
  ) as Item[];
  const userTexts = input
    .filter((i) => (i.type === undefined || i.type === "message") && i.role === "user")
    .map((i) => textOf(i.content))
    .filter(isTyped);
  const last = input.at(-1);
  const tools = (Array.isArray(body.tools) ? body.tools : []) as Array<{ name?: string; parameters?: unknown }>;
  const conv: Conversation = { lastUserText: stripContext(userTexts.at(-1) ?? ""), userMessages: userTexts.length };
  if (last?.type === "function_call_output" || last?.type === "custom_tool_call_output") {
    conv.toolResult = { text: typeof last.output === "string" ? last.output : textOf(last.output), failed: false };
  }
  const shell = findShellTool(tools.map((t) => ({ name: t.name ?? "", schema: t.parameters })));
  if (shell) conv.shellTool = shell;
  return conv;
}

export function responsesAnswer(body: Record<string, unknown>): Response {
  const answer = decide(responsesConversation(body));
  if (answer.kind === "error") {
    return jsonResponse(
      { error: { message: answer.message, type: "invalid_request_error", param: null, code: "fake_api_error" } },
      answer.status,
    );
  }
  const id = fakeId("resp_fake");
  const model = typeof body.model === "string" ? body.model : "gpt-fake";
  const base = { id, object: "response", created_at: Math.floor(Date.now() / 1000), model };
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>) => sseEvent({ type, sequence_number: seq++, ...data }, type);
  const spoken: Spoken = answer;
  async function* events() {
    yield ev("response.created", { response: { ...base, status: "in_progress", output: [] } });
    yield ev("response.in_progress", { response: { ...base, status: "in_progress", output: [] } });
    const msgId = fakeId("msg_fake");
    const output: Record<string, unknown>[] = [];
    yield ev("response.output_item.added", {
      output_index: 0,
      item: { id: msgId, type: "message", role: "assistant", status: "in_progress", content: [] },
    });
    yield ev("response.content_part.added", {
      item_id: msgId,
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [] },
    });
    for (const c of chunks(spoken.text)) {
      if (spoken.kind === "text") await sleep(spoken.chunkDelayMs);
      yield ev("response.output_text.delta", { item_id: msgId, output_index: 0, content_index: 0, delta: c });
    }
    const part = { type: "output_text", text: spoken.text, annotations: [] };
    yield ev("response.output_text.done", { item_id: msgId, output_index: 0, content_index: 0, text: spoken.text });
    yield ev("response.content_part.done", { item_id: msgId, output_index: 0, content_index: 0, part });
    const message = { id: msgId, type: "message", role: "assistant", status: "completed", content: [part] };
    yield ev("response.output_item.done", { output_index: 0, item: message });
    output.push(message);
    if (spoken.kind === "tool") {
      const fcId = fakeId("fc_fake");
      const args = JSON.stringify(spoken.args);
      const item = {
        id: fcId,
        type: "function_call",
        status: "in_progress",
        call_id: fakeId("call_fake"),
        name: spoken.tool,
        arguments: "",
      };
      yield ev("response.output_item.added", { output_index: 1, item });
      yield ev("response.function_call_arguments.delta", { item_id: fcId, output_index: 1, delta: args });
      yield ev("response.function_call_arguments.done", { item_id: fcId, output_index: 1, arguments: args });
      const done = { ...item, status: "completed", arguments: args };
      yield ev("response.output_item.done", { output_index: 1, item: done });
      output.push(done);
    }
    const usage = {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 12,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 22,
    };
    yield ev("response.completed", { response: { ...base, status: "completed", output, usage } });
  }
  return sseResponse(events());
}
