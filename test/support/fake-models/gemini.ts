// Gemini generativelanguage v1beta (Gemini CLI): `:streamGenerateContent?alt=sse` as `data:` lines,
// and the plain `:generateContent` the CLI uses to pick a model (answered with a JSON choice).
import { type Conversation, chunks, decide, findShellTool, isTyped, type Spoken, stripContext } from "./script.ts";
import { jsonResponse, sleep, sseEvent, sseResponse } from "./sse.ts";

type Part = { text?: string; functionResponse?: { response?: Record<string, unknown> } };
type Content = { role?: string; parts?: Part[] };

const partsText = (c: Content) => (c.parts ?? []).map((p) => p.text ?? "").join("");

export function geminiConversation(body: Record<string, unknown>): Conversation {
  const contents = (Array.isArray(body.contents) ? body.contents : []) as Content[];
  const userTexts = contents
    .filter((c) => c.role === "user" && !(c.parts ?? []).some((p) => p.functionResponse))
    .map(partsText)
    .filter(isTyped);
  const last = contents.at(-1);
  const fr = last?.role === "user" ? (last.parts ?? []).find((p) => p.functionResponse)?.functionResponse : undefined;
  const decls = (
    (Array.isArray(body.tools) ? body.tools : []) as Array<{
      functionDeclarations?: Array<{ name?: string; parameters?: unknown; parametersJsonSchema?: unknown }>;
    }>
  ).flatMap((t) => t.functionDeclarations ?? []);
  const conv: Conversation = { lastUserText: stripContext(userTexts.at(-1) ?? ""), userMessages: userTexts.length };
  if (fr) {
    const r = fr.response ?? {};
    const failed = r.error !== undefined;
    const value = failed ? r.error : (r.output ?? r);
    conv.toolResult = { text: typeof value === "string" ? value : JSON.stringify(value), failed };
  }
  const shell = findShellTool(
    decls.map((d) => ({ name: d.name ?? "", schema: d.parametersJsonSchema ?? d.parameters })),
  );
  if (shell) conv.shellTool = shell;
  return conv;
}

const usageMetadata = { promptTokenCount: 10, candidatesTokenCount: 12, totalTokenCount: 22 };

export function geminiStream(body: Record<string, unknown>): Response {
  const answer = decide(geminiConversation(body));
  if (answer.kind === "error") {
    return jsonResponse(
      { error: { code: answer.status, message: answer.message, status: "INVALID_ARGUMENT" } },
      answer.status,
    );
  }
  const candidate = (parts: unknown[], finish?: string) => ({
    candidates: [{ content: { role: "model", parts }, index: 0, ...(finish ? { finishReason: finish } : {}) }],
    ...(finish ? { usageMetadata } : {}),
    modelVersion: "gemini-fake",
  });
  const spoken: Spoken = answer;
  async function* events() {
    for (const c of chunks(spoken.text)) {
      if (spoken.kind === "text") await sleep(spoken.chunkDelayMs);
      yield sseEvent(candidate([{ text: c }]));
    }
    if (spoken.kind === "tool")
      yield sseEvent(candidate([{ functionCall: { name: spoken.tool, args: spoken.args } }], "STOP"));
    else yield sseEvent(candidate([{ text: "" }], "STOP"));
  }
  return sseResponse(events());
}

/** The model router's question (both classifier schemas): "simple", so the CLI picks its flash model. */
export function geminiGenerate(): Response {
  const text = JSON.stringify({
    reasoning: "A simple request.",
    model_choice: "flash",
    complexity_reasoning: "A simple request.",
    complexity_score: 10,
  });
  return jsonResponse({
    candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }],
    usageMetadata,
  });
}
