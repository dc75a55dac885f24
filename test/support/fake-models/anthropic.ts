// Anthropic Messages (Claude Code): `POST /v1/messages` streamed as SSE event/data pairs.
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
type Block = {
  type?: string;
  text?: string;
  content?: unknown;
  is_error?: boolean;
  source?: { media_type?: string };
};

export function anthropicConversation(body: Record<string, unknown>): Conversation {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as Msg[];
  const blocks = (m: Msg): Block[] =>
    Array.isArray(m.content) ? (m.content as Block[]) : [{ type: "text", text: textOf(m.content) }];
  const userTexts = messages
    .filter((m) => m.role === "user" && !blocks(m).some((b) => b.type === "tool_result"))
    .map((m) =>
      blocks(m)
        .filter((b) => b.type === "text")
        .map((b) => b.text ?? "")
        .join("\n"),
    )
    .filter(isTyped);
  const last = messages.at(-1);
  const result = last?.role === "user" ? blocks(last).find((b) => b.type === "tool_result") : undefined;
  const tools = (Array.isArray(body.tools) ? body.tools : []) as Array<{ name?: string; input_schema?: unknown }>;
  const conv: Conversation = {
    lastUserText: stripContext(userTexts.at(-1) ?? ""),
    userMessages: userTexts.length,
    toolNames: tools.map((t) => t.name ?? ""),
  };
  if (result) conv.toolResult = { text: textOf(result.content), failed: result.is_error === true };
  const lastAssistant = messages.filter((m) => m.role === "assistant").at(-1);
  const lastTool = lastAssistant
    ? blocks(lastAssistant)
        .filter((b) => b.type === "tool_use")
        .at(-1)
    : undefined;
  if (result && typeof (lastTool as { name?: unknown } | undefined)?.name === "string")
    conv.lastToolUse = (lastTool as { name: string }).name;
  const planFile = /create your plan at (\S+?\.md) using the Write tool/.exec(JSON.stringify(messages));
  if (planFile) conv.planFile = planFile[1] as string;
  const shell = findShellTool(tools.map((t) => ({ name: t.name ?? "", schema: t.input_schema })));
  if (shell) conv.shellTool = shell;
  const lastTyped = [...messages]
    .reverse()
    .find((m) => m.role === "user" && !blocks(m).some((b) => b.type === "tool_result"));
  const images = lastTyped ? blocks(lastTyped).filter((b) => b.type === "image") : [];
  if (images.length > 0) conv.images = images.map((b) => b.source?.media_type ?? "?");
  return conv;
}

export function anthropicAnswer(body: Record<string, unknown>): Response {
  const answer = decide(anthropicConversation(body));
  if (answer.kind === "error") {
    return jsonResponse(
      { type: "error", error: { type: "invalid_request_error", message: answer.message } },
      answer.status,
    );
  }
  const model = typeof body.model === "string" ? body.model : "claude-fake";
  const spoken: Spoken = answer;
  async function* events() {
    const usage = { input_tokens: 10, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    yield sseEvent(
      {
        type: "message_start",
        message: {
          id: fakeId("msg_fake"),
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage,
        },
      },
      "message_start",
    );
    yield sseEvent({ type: "ping" }, "ping");
    yield sseEvent(
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      "content_block_start",
    );
    for (const c of chunks(spoken.text)) {
      if (spoken.kind === "text") await sleep(spoken.chunkDelayMs);
      yield sseEvent(
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: c } },
        "content_block_delta",
      );
    }
    yield sseEvent({ type: "content_block_stop", index: 0 }, "content_block_stop");
    if (spoken.kind === "tool") {
      yield sseEvent(
        {
          type: "content_block_start",
          index: 1,
          content_block: { type: "tool_use", id: fakeId("toolu_fake"), name: spoken.tool, input: {} },
        },
        "content_block_start",
      );
      yield sseEvent(
        {
          type: "content_block_delta",
          index: 1,
          delta: { type: "input_json_delta", partial_json: JSON.stringify(spoken.args) },
        },
        "content_block_delta",
      );
      yield sseEvent({ type: "content_block_stop", index: 1 }, "content_block_stop");
    }
    yield sseEvent(
      {
        type: "message_delta",
        delta: { stop_reason: spoken.kind === "tool" ? "tool_use" : "end_turn", stop_sequence: null },
        usage: { output_tokens: 12 },
      },
      "message_delta",
    );
    yield sseEvent({ type: "message_stop" }, "message_stop");
  }
  return sseResponse(events());
}
