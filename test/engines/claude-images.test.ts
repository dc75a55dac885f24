import { expect, test } from "bun:test";
import { claudeUserLine, createClaudeStdinSession } from "../../src/engines/claude.ts";
import { imageTypeOf } from "../../src/telegram/files.ts";

const PNG = Uint8Array.from(
  Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    "base64",
  ),
);

test("a prompt without images stays a plain string; with images it is text then base64 image blocks", () => {
  expect(JSON.parse(claudeUserLine("hi")).message.content).toBe("hi");
  const line = JSON.parse(claudeUserLine("what is this?", [{ mediaType: "image/png", data: PNG }]));
  expect(line.message.content).toEqual([
    { type: "text", text: "what is this?" },
    { type: "image", source: { type: "base64", media_type: "image/png", data: Buffer.from(PNG).toString("base64") } },
  ]);
});

test("the stdin session writes the job's images with the prompt", () => {
  const s = createClaudeStdinSession(
    { prompt: "look", cwd: "/tmp", images: [{ mediaType: "image/png", data: PNG }] },
    undefined,
    async () => ({ behavior: "deny", message: "no" }),
  );
  const user = JSON.parse(s.initialLines.at(-1) ?? "{}");
  expect(user.message.content[1].source.media_type).toBe("image/png");
});

test("image types are told by their first bytes, not by a name", () => {
  expect(imageTypeOf(PNG)).toBe("image/png");
  expect(imageTypeOf(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0]))).toBe("image/jpeg");
  expect(imageTypeOf(new TextEncoder().encode("GIF89a..."))).toBe("image/gif");
  expect(imageTypeOf(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 "))).toBe("image/webp");
  expect(imageTypeOf(new TextEncoder().encode("not an image"))).toBeUndefined();
  expect(imageTypeOf(new Uint8Array(0))).toBeUndefined();
});
