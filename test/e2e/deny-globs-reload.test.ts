// A `deny_globs` added while the bot runs (watch_config) reaches every file access at once: `/file`
// and the triggers read the live list, not the one they started with.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../support/free-port.ts";
import { type Harness, type HarnessOptions, startHarness, writeConfig } from "../support/harness.ts";

const SECRET = "deny-globs-reload-bearer-secret";

let h: Harness;
let base: string;
let opts: HarnessOptions;

const files = (denyGlobs: string) => ["", "[transports.telegram.files]", "enabled = true", denyGlobs].join("\n");

beforeAll(async () => {
  const port = freePort();
  opts = {
    topToml: 'watch_config = true\ndefault_engine = "mock"',
    telegramToml: files(""),
    extraToml: [
      "",
      "[triggers]",
      "enabled = true",
      "[triggers.server]",
      `port = ${port}`,
      "[[triggers.webhooks]]",
      'id = "notes"',
      'path = "/hooks/notes"',
      'auth = "bearer"',
      `secret = "${SECRET}"`,
      'project = "demo"',
      'action = "file_write"',
      'file_path = "notes/{{ name }}"',
      "notify_on_success = true",
      "notify_on_failure = true",
    ].join("\n"),
  };
  h = await startHarness(opts);
  base = `http://127.0.0.1:${port}`;
  mkdirSync(join(h.project, "notes"), { recursive: true });
  writeFileSync(join(h.project, "notes", "kept.txt"), "kept\n");
  await h.waitForOutput(/triggers\.server\.started/);
}, 30_000);

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

async function writeNote(name: string): Promise<string> {
  const seen = Math.max(0, ...h.emu.botMessages(h.group).map((x) => x.message_id));
  const res = await fetch(`${base}/hooks/notes`, {
    method: "POST",
    body: JSON.stringify({ name, text: "hello" }),
    headers: { "content-type": "application/json", authorization: `Bearer ${SECRET}` },
  });
  expect(res.status).toBe(202);
  const notice = await h.emu.waitForBotMessage(
    h.group,
    (x) => x.message_id > seen && (x.text ?? "").includes("webhook:notes"),
    15_000,
  );
  return notice.text ?? "";
}

async function fileGet(path: string) {
  const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: `/file get ${path}` });
  return h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id, 15_000);
}

describe("deny_globs changed by a reload", () => {
  test("before: a webhook writes into notes/ and /file get reads from it", async () => {
    expect(await writeNote("before.txt")).not.toContain("rejected");
    expect(existsSync(join(h.project, "notes", "before.txt"))).toBe(true);
    expect((await fileGet("notes/kept.txt")).document).toBeDefined();
  }, 30_000);

  test("after adding notes/** the webhook write and /file get are both refused", async () => {
    const tmp = `${h.configPath}.tmp`;
    writeConfig(tmp, h.emu, {
      ...opts,
      telegramToml: files('deny_globs = ["notes/**"]'),
      chatId: h.group,
      allowed: [h.alice, h.bob],
      project: h.project,
    });
    renameSync(tmp, h.configPath);
    await h.waitForOutput(/config\.reloaded/);

    const text = await writeNote("after.txt");
    expect(text).toContain("file_write rejected: path denied by rule: notes/**");
    expect(existsSync(join(h.project, "notes", "after.txt"))).toBe(false);

    const r = await fileGet("notes/kept.txt");
    expect(r.document).toBeUndefined();
    expect(r.text ?? "").toContain("denied");
    expect(readFileSync(join(h.project, "notes", "kept.txt"), "utf8")).toBe("kept\n");
  }, 30_000);
});
