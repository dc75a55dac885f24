// The conformance suite's own parts: the fake models' script, how each wire format's conversation
// is read (user messages counted, tool results seen), and the loopback proof over strace lines.
import { describe, expect, test } from "bun:test";
import { offMachine } from "./conformance/loopback.ts";
import { anthropicConversation } from "./fake-models/anthropic.ts";
import { geminiConversation } from "./fake-models/gemini.ts";
import { startFakeModels } from "./fake-models/index.ts";
import { chatConversation } from "./fake-models/openai-chat.ts";
import { responsesConversation } from "./fake-models/openai-responses.ts";
import { decide, FAKE_COMMAND, FAKE_WRITE_CONTENT, fillArgs, PLAIN_ANSWER } from "./fake-models/script.ts";

const shell = {
  name: "bash",
  schema: {
    type: "object",
    properties: { command: { type: "string" }, timeout: { type: "number" } },
    required: ["command"],
  },
};

describe("script", () => {
  test("answers from the last user message", () => {
    expect(decide({ lastUserText: "say hi", userMessages: 1 })).toMatchObject({ kind: "text", text: PLAIN_ANSWER });
    expect(decide({ lastUserText: "FAKE_REMEMBER", userMessages: 3 })).toMatchObject({
      text: "I see 3 user messages in this conversation.",
    });
    expect(decide({ lastUserText: "FAKE_API_ERROR", userMessages: 1 })).toMatchObject({ kind: "error", status: 400 });
    expect(decide({ lastUserText: "FAKE_SLOW", userMessages: 1 })).toMatchObject({ kind: "text", chunkDelayMs: 250 });
    expect(decide({ lastUserText: "FAKE_BASH", userMessages: 1, shellTool: shell })).toMatchObject({
      kind: "tool",
      tool: "bash",
      args: { command: FAKE_COMMAND },
    });
    // No shell tool offered (a title request): a plain answer.
    expect(decide({ lastUserText: "FAKE_BASH", userMessages: 1 })).toMatchObject({ kind: "text", text: PLAIN_ANSWER });
    expect(
      decide({ lastUserText: "FAKE_BASH", userMessages: 1, toolResult: { text: "", failed: false } }),
    ).toMatchObject({ text: "Tool finished: (no output)" });
    expect(
      decide({ lastUserText: "FAKE_BASH", userMessages: 1, toolResult: { text: "denied", failed: true } }),
    ).toMatchObject({ text: "Tool failed: denied" });
  });

  test("FAKE_WRITE <path> calls Write with that path when the request offers Write", () => {
    expect(decide({ lastUserText: "FAKE_WRITE /p/notes.md please", userMessages: 1, toolNames: ["Write"] })).toEqual({
      kind: "tool",
      text: "I will write a file.",
      tool: "Write",
      args: { file_path: "/p/notes.md", content: FAKE_WRITE_CONTENT },
    });
    expect(decide({ lastUserText: "FAKE_WRITE /p/notes.md", userMessages: 1, toolNames: ["Bash"] }).kind).toBe("text");
  });

  test("fills a shell tool's arguments from its schema", () => {
    expect(fillArgs(shell.schema, "ls")).toEqual({ command: "ls" });
    expect(
      fillArgs(
        { properties: { cmd: { type: "string" }, description: { type: "string" } }, required: ["cmd", "description"] },
        "ls",
      ),
    ).toEqual({ cmd: "ls", description: "Write hello to out.txt" });
    expect(fillArgs({ properties: { command: { type: "array" } } }, "ls")).toEqual({ command: ["bash", "-lc", "ls"] });
  });
});

describe("conversations", () => {
  test("Anthropic: context-only messages and tool results are not user messages", () => {
    const c = anthropicConversation({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "<system-reminder>ctx</system-reminder>" },
            { type: "text", text: "one" },
          ],
        },
        { role: "assistant", content: "ok" },
        { role: "user", content: [{ type: "text", text: "<system-reminder>x</system-reminder>\nFAKE_REMEMBER two" }] },
      ],
    });
    expect(c).toMatchObject({ userMessages: 2, lastUserText: "FAKE_REMEMBER two" });
    const t = anthropicConversation({
      messages: [
        { role: "user", content: "FAKE_BASH" },
        { role: "user", content: [{ type: "tool_result", content: "x", is_error: true }] },
      ],
    });
    expect(t.toolResult).toEqual({ text: "x", failed: true });
  });

  test("Chat Completions, Responses and Gemini count typed messages only", () => {
    expect(
      chatConversation({
        messages: [
          { role: "system", content: "s" },
          { role: "user", content: "a" },
          { role: "assistant", content: "b" },
          { role: "user", content: '"c"' },
        ],
      }),
    ).toMatchObject({ userMessages: 2, lastUserText: "c" });
    expect(
      chatConversation({
        messages: [
          { role: "user", content: "a" },
          { role: "tool", content: "out" },
        ],
      }).toolResult,
    ).toEqual({ text: "out", failed: false });
    const r = responsesConversation({
      input: [
        {
          type: "message",
          role: "user",
          content: [{ type: "input_text", text: "<environment_context>\n<cwd>/x</cwd>\n</environment_context>" }],
        },
        { type: "message", role: "user", content: [{ type: "input_text", text: "# AGENTS.md instructions for /x" }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "hello" }] },
        { type: "function_call_output", output: "done" },
      ],
    });
    expect(r).toMatchObject({ userMessages: 1, toolResult: { text: "done", failed: false } });
    const g = geminiConversation({
      contents: [
        { role: "user", parts: [{ text: "<session_context>c</session_context>hi" }] },
        { role: "model", parts: [{ text: "x" }] },
        { role: "user", parts: [{ text: "FAKE_REMEMBER" }] },
      ],
    });
    expect(g).toMatchObject({ userMessages: 2, lastUserText: "FAKE_REMEMBER" });
  });

  test("the server streams an Anthropic answer and records the request", async () => {
    const fm = startFakeModels();
    try {
      const res = await fetch(`${fm.url}/v1/messages?beta=true`, {
        method: "POST",
        body: JSON.stringify({ stream: true, messages: [{ role: "user", content: "hi" }] }),
      });
      const body = await res.text();
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      expect(body).toContain("event: message_start");
      expect(body).toContain('"text":"Hi! I am"');
      expect(body).toContain("event: message_stop");
      const err = await fetch(`${fm.url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ messages: [{ role: "user", content: "FAKE_API_ERROR" }] }),
      });
      expect(err.status).toBe(400);
      expect(fm.requests.map((r) => r.path)).toEqual(["/v1/messages", "/v1/chat/completions"]);
    } finally {
      await fm.stop();
    }
  });
});

describe("loopback proof", () => {
  test("flags connects that leave the machine, accepts loopback and local sockets", () => {
    const log = [
      '12 connect(3, {sa_family=AF_INET, sin_port=htons(41234), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
      '12 connect(4, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
      '12 connect(5, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
      '13 connect(6, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0',
      '14 connect(7, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2606:4700::1", &sin6_addr), sin6_scope_id=0}, 28) = -1 ENETUNREACH',
    ].join("\n");
    expect(offMachine(log).map((c) => [c.address, c.port])).toEqual([
      ["10.255.255.53", 53],
      ["2606:4700::1", 443],
    ]);
  });
});
