// One built-in deny list for every file access, on the running binary: the same secret-looking paths
// are refused by `/file get`, by a webhook `file_write` and by a cron `file_read`, both with the
// default config and with a user `deny_globs` that names something unrelated (which adds to the
// built-in list and never replaces it).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { freePort } from "../support/free-port.ts";
import { type Harness, startHarness } from "../support/harness.ts";

const SECRET = "deny-globs-e2e-bearer-secret";
const CONTENT = "PRIVATE-KEY-never-sent\n";
// Built-in globs: `**/id_rsa`, `**/.netrc`, `**/*.pem`.
const RULES = { id_rsa: "**/id_rsa", "deploy/.netrc": "**/.netrc", "certs/server.pem": "**/*.pem" } as const;
const PATHS = Object.keys(RULES) as (keyof typeof RULES)[];

interface Setup {
  h: Harness;
  base: string;
}

async function start(userDenyGlobs: string | undefined): Promise<Setup> {
  const port = freePort();
  const crons = PATHS.flatMap((p, i) => [
    "[[triggers.crons]]",
    `id = "read-${i}"`,
    'schedule = "* * * * *"',
    'project = "demo"',
    'prompt = "summarise the file"',
    "[triggers.crons.fetch]",
    'type = "file_read"',
    `file_path = "${p}"`,
    'on_failure = "abort"',
  ]);
  const h = await startHarness({
    telegramToml: ["", "[transports.telegram.files]", "enabled = true", userDenyGlobs ?? ""].join("\n"),
    extraToml: [
      "",
      "[triggers]",
      "enabled = true",
      "[triggers.server]",
      `port = ${port}`,
      "[[triggers.webhooks]]",
      'id = "writer"',
      'path = "/hooks/write"',
      'auth = "bearer"',
      `secret = "${SECRET}"`,
      'project = "demo"',
      'action = "file_write"',
      'file_path = "{{ path }}"',
      "notify_on_success = true",
      "notify_on_failure = true",
      ...crons,
    ].join("\n"),
  });
  for (const p of PATHS) {
    mkdirSync(dirname(join(h.project, p)), { recursive: true });
    writeFileSync(join(h.project, p), CONTENT);
  }
  await h.waitForOutput(/triggers\.server\.started/);
  return { h, base: `http://127.0.0.1:${port}` };
}

const setups: Record<string, Setup> = {};
const CASES = {
  "the default config": undefined,
  "a user deny_globs naming something unrelated": 'deny_globs = ["unrelated/**"]',
} as const;

beforeAll(async () => {
  // Both bots run at once, so their crons come due at the same minute.
  const started = await Promise.all(Object.values(CASES).map((d) => start(d)));
  Object.keys(CASES).forEach((name, i) => {
    setups[name] = started[i]!;
  });
}, 60_000);

afterAll(async () => {
  for (const { h } of Object.values(setups)) {
    await h.stop();
    await h.emu.stop();
  }
});

for (const name of Object.keys(CASES)) {
  describe(`built-in deny globs with ${name}`, () => {
    for (const path of PATHS) {
      test(`/file get ${path} is refused`, async () => {
        const { h } = setups[name]!;
        const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: `/file get ${path}` });
        const r = await h.emu.waitForBotMessage(h.dm, (x) => x.reply_to_message_id === m.message_id, 15_000);
        expect(r.document).toBeUndefined();
        expect(r.text ?? "").toContain("denied");
        expect(r.text ?? "").not.toContain("never-sent");
      }, 20_000);

      test(`a webhook file_write to ${path} is refused and the file is unchanged`, async () => {
        const { h, base } = setups[name]!;
        const body = JSON.stringify({ path, overwritten: true });
        const seen = Math.max(0, ...h.emu.botMessages(h.group).map((x) => x.message_id));
        const res = await fetch(`${base}/hooks/write`, {
          method: "POST",
          body,
          headers: { "content-type": "application/json", authorization: `Bearer ${SECRET}` },
        });
        expect(res.status).toBe(202);
        const notice = await h.emu.waitForBotMessage(
          h.group,
          (x) => x.message_id > seen && (x.text ?? "").includes("webhook:writer"),
          15_000,
        );
        expect(notice.text ?? "").toContain(`file_write rejected: path denied by rule: ${RULES[path]}`);
        expect(readFileSync(join(h.project, path), "utf8")).toBe(CONTENT);
      }, 20_000);
    }

    test("a cron file_read of each path is refused: no run, a notice naming the rule", async () => {
      const { h } = setups[name]!;
      for (const [i, path] of PATHS.entries()) {
        const notice = await h.emu.waitForBotMessage(
          h.group,
          (x) => (x.text ?? "").includes(`cron:read-${i} fetch failed`),
          75_000,
        );
        expect(notice.text ?? "").toContain(`path denied by rule: ${RULES[path]}`);
        expect(notice.text ?? "").not.toContain("never-sent");
        expect(readFileSync(join(h.project, path), "utf8")).toBe(CONTENT);
      }
      expect(h.emu.botMessages(h.group).some((x) => (x.text ?? "").includes("never-sent"))).toBe(false);
    }, 90_000);
  });
}
