// An engine's error text reaches the chat (and the log) without the credentials it quoted: a fake
// `codex` on PATH replays the recorded API-error run with secrets of many shapes in its message.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { makeFakeCli } from "../support/fake-engine.ts";
import { type Harness, startHarness } from "../support/harness.ts";

const FIX = resolve(import.meta.dir, "../fixtures/engines");
// Fake values shaped like the real ones.
const SECRETS = {
  slack: "xoxb-2345678901-2345678901234-AbCdEfGhIjKlMnOpQrStUvWx",
  awsId: "AKIAIOSFODNN7EXAMPLE",
  awsSecret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  stripe: "sk_live_51H8xYzABCdefGHIjklMNOpqrSTUvwxYZ0123456789abcdEFGH",
  gitlab: "glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn7o",
  npm: "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
  jwt: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
  bearer: "8f14e45fceea167a5a36dedd4bea2543",
  urlPassword: "Tr0ub4dor-3x",
};
const MESSAGE =
  `upstream 401 (slack ${SECRETS.slack}; ${SECRETS.awsId} aws_secret_access_key=${SECRETS.awsSecret}; ` +
  `stripe ${SECRETS.stripe}; gitlab ${SECRETS.gitlab}; npm ${SECRETS.npm}; jwt ${SECRETS.jwt}; ` +
  `Authorization: Bearer ${SECRETS.bearer}; proxy postgres://app:${SECRETS.urlPassword}@db.example.com/prod)`;

const fakeDir = mkdtempSync(join(tmpdir(), "untether-fakecli-"));
const fixture = join(fakeDir, "api-error-with-secrets.stdout.jsonl");
writeFileSync(
  fixture,
  readFileSync(join(FIX, "codex/api-error.stdout.jsonl"), "utf8").replaceAll(
    "fake invalid request (FAKE_API_ERROR)",
    MESSAGE.replaceAll('"', ""),
  ),
);
makeFakeCli(fakeDir, "codex", fixture);

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { PATH: `${fakeDir}:${process.env.PATH}` } });
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

test("an engine error quoting credentials is shown in chat and logged with each one redacted", async () => {
  const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "/codex deploy it" });
  const final = await h.emu.waitForBotMessage(
    h.dm,
    (x) => x.reply_to_message_id === m.message_id && /^error ·/.test(x.text ?? ""),
    25_000,
  );
  const text = final.text ?? "";
  expect(text).toContain("upstream 401");
  expect(text).toContain("[REDACTED]");
  // Everything the bot sent in this chat (progress edits included) and everything it logged.
  const sent = JSON.stringify(h.emu.calls());
  for (const [name, secret] of Object.entries(SECRETS)) {
    expect(text, name).not.toContain(secret);
    expect(sent, name).not.toContain(secret);
    expect(h.output(), name).not.toContain(secret);
  }
}, 40_000);
