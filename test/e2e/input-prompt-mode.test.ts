// auto_put_mode = "prompt": a photo sent without a caption waits for the sender's next message as its prompt.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;
const jpg = new Uint8Array(Array.from({ length: 2048 }, (_, i) => (i * 5 + 1) % 256));

beforeAll(async () => {
  h = await startHarness({
    telegramToml: '\n[transports.telegram.files]\nenabled = true\nauto_put_mode = "prompt"\n',
  });
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

test("a captionless photo is saved, then the next message runs naming it", async () => {
  const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, photo: { data: jpg, width: 640, height: 480 } });
  const ack = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id, 15_000);
  const saved = /incoming\/photo-\d{4}-\d{2}-\d{2}-1\.jpg/.exec(ack.text ?? "")?.[0];
  expect(saved).toBeDefined();
  expect(new Uint8Array(readFileSync(join(h.project, saved as string)))).toEqual(jpg);
  h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "describe the picture" });
  const answer = await h.emu.waitForBotMessage(
    h.dm,
    (x) => (x.text ?? "").includes("You said:") && (x.text ?? "").includes("describe the picture"),
    20_000,
  );
  expect(answer.text ?? "").toContain(`attached: ${saved}`);
  h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "and now something else" });
  const next = await h.emu.waitForBotMessage(
    h.dm,
    (x) => (x.text ?? "").includes("You said:") && (x.text ?? "").includes("something else"),
    20_000,
  );
  expect(next.text ?? "").not.toContain("attached:");
}, 60_000);
