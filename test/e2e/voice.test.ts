// Voice notes through the bot on the emulator: a fake transcription endpoint on 127.0.0.1
// (allowlisted) that "hears" the audio bytes as text, so each note says what the test wants.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Harness, startHarness } from "../support/harness.ts";

const KEY = "sk-e2e-voice-key-abcdef123456";
let h: Harness;
let server: ReturnType<typeof Bun.serve>;
const seen: Array<{ authorization: string | null; model: unknown }> = [];

beforeAll(async () => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const form = await req.formData();
      const file = form.get("file");
      seen.push({ authorization: req.headers.get("authorization"), model: form.get("model") });
      if (!(file instanceof Blob)) return new Response("no file", { status: 400 });
      return Response.json({ text: await file.text() });
    },
  });
  h = await startHarness({
    telegramToml: [
      "voice_transcription = true",
      `voice_transcription_base_url = "http://127.0.0.1:${server.port}/v1"`,
      `voice_transcription_api_key = "${KEY}"`,
      'voice_transcription_url_allowlist = ["127.0.0.1"]',
    ].join("\n"),
  });
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
  server.stop(true);
});

function say(text: string) {
  return h.emu.sendUserVoice({ chatId: h.dm, from: h.alice, data: new TextEncoder().encode(text), durationSec: 2 });
}

describe("voice notes through the bot", () => {
  test("Alice's voice note is echoed, then runs as a prompt", async () => {
    const m = say("please check the tests");
    const echo = await h.emu.waitForBotMessage(
      h.dm,
      (x) => x.reply_to_message_id === m.message_id && (x.text ?? "").startsWith("🎙"),
      15_000,
    );
    expect(echo.text).toBe("🎙 please check the tests");
    await h.emu.waitForBotMessage(h.dm, (x) => (x.text ?? "").includes("You said: please check the tests"), 20_000);
    expect(seen.at(-1)).toEqual({ authorization: `Bearer ${KEY}`, model: "gpt-4o-mini-transcribe" });
    expect(h.output()).not.toContain(KEY);
  });

  test("a spoken directive routes like a typed one", async () => {
    say("/mock run the linter");
    const answer = await h.emu.waitForBotMessage(
      h.dm,
      (x) => (x.text ?? "").includes("You said: run the linter"),
      20_000,
    );
    expect(answer.text).not.toContain("/mock");
  });
});
