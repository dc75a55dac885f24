import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/log/logger.ts";
import { redactSecrets, sanitizeForUser } from "../../src/log/redact.ts";
import { registerSecretValue, Secret } from "../../src/log/secret.ts";

// Synthetic, obviously fake values shaped like the real ones.
const BOT_TOKEN = "123456789:AAFakeFakeFakeFakeFakeFakeFakeFake12";
const KEYS = {
  openai: "sk-abcdefghijklmnopqrstuvwx0123",
  openaiProject: "sk-proj-abcdefghijklmnopqrstuvwxyz_0123",
  anthropic: "sk-ant-api03-abcdefghijklmnopqrstuvwxyz-0123",
  ghp: "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
  gho: "gho_abcdefghijklmnopqrstuvwxyz0123456789",
  ghu: "ghu_abcdefghijklmnopqrstuvwxyz0123456789",
  ghs: "ghs_abcdefghijklmnopqrstuvwxyz0123456789",
  ghr: "ghr_abcdefghijklmnopqrstuvwxyz0123456789",
  pat: "github_pat_11ABCDEFG0abcdefghijklmnopqrstuvwxyz",
};

function capture() {
  const lines: string[] = [];
  const log = createLogger({ sink: { write: (l) => lines.push(l) }, level: "debug", pretty: false });
  return { log, lines };
}

describe("redaction at the log sink", () => {
  test("a bot token inside an error's URL field is redacted", () => {
    const { log, lines } = capture();
    const err = Object.assign(new Error("request failed"), {
      url: `https://api.telegram.org/bot${BOT_TOKEN}/sendMessage`,
    });
    log.error({ err }, "telegram.request_failed");
    expect(lines.join("")).not.toContain(BOT_TOKEN);
    expect(lines.join("")).toContain("/bot[REDACTED]/sendMessage");
    expect(JSON.parse(lines[0] as string).msg).toBe("telegram.request_failed");
  });

  for (const [name, key] of Object.entries(KEYS)) {
    test(`${name} keys are redacted wherever they appear`, () => {
      const { log, lines } = capture();
      log.info({ nested: { deep: [`prefix ${key} suffix`] } }, `saw ${key}`);
      expect(lines.join("")).not.toContain(key);
      expect(lines.join("")).toContain("[REDACTED]");
    });
  }

  test("config secrets are redacted by value even without a known shape", () => {
    const s = new Secret("my webhook secret phrase");
    const { log, lines } = capture();
    log.warn({ header: "my webhook secret phrase", s }, "triggers.webhook.auth_failed");
    const out = lines.join("");
    expect(out).not.toContain("my webhook secret phrase");
    expect(out).toContain('"s":"[REDACTED]"');
  });

  test("a value registered at run time is redacted, JSON-escaped forms too", () => {
    registerSecretValue('quote"inside-secret');
    expect(redactSecrets(JSON.stringify({ v: 'quote"inside-secret' }))).toBe('{"v":"[REDACTED]"}');
  });

  test("ordinary text is left alone", () => {
    expect(redactSecrets("12:30 meeting, see issue 123 and sk-short")).toBe(
      "12:30 meeting, see issue 123 and sk-short",
    );
  });
});

describe("Secret wrapper", () => {
  test("String, templates, JSON, inspect and errors show it masked", () => {
    const s = new Secret("hunter2-but-longer");
    expect(String(s)).toBe("[REDACTED]");
    expect(`${s}`).toBe("[REDACTED]");
    expect(JSON.stringify({ s })).toBe('{"s":"[REDACTED]"}');
    expect(Bun.inspect(s)).not.toContain("hunter2");
    expect(Bun.inspect({ nested: s })).not.toContain("hunter2");
    expect(new Error(`bad token ${s}`).message).toBe("bad token [REDACTED]");
    expect(s.reveal()).toBe("hunter2-but-longer");
  });
});

describe("sanitising engine stderr for users", () => {
  test("paths under well-known roots are replaced, :line markers survive", () => {
    const out = sanitizeForUser(
      "Error at /home/alice/proj/src/app.ts:42:7\n  from /Users/bob/x.js:3 and /root/.config/a:1 /tmp/x/y.txt /opt/tool/bin:9",
    );
    expect(out).toBe("Error at [path]:42:7\n  from [path]:3 and [path]:1 [path] [path]:9");
  });

  test("every listed root is covered", () => {
    for (const root of ["/private/var/x", "/var/log/x", "/srv/a", "/etc/passwd", "/usr/local/lib/z", "/app/main.py", "/workspace/k"]) {
      expect(sanitizeForUser(`at ${root}:12`)).toBe("at [path]:12");
    }
  });

  test("URLs are masked and secrets redacted", () => {
    const out = sanitizeForUser(`fetch https://example.com/a?token=x failed with ${KEYS.openai}`);
    expect(out).toBe("fetch [url] failed with [REDACTED]");
  });

  test("output is capped", () => {
    expect(sanitizeForUser("x".repeat(5000), 100)).toHaveLength(100);
  });
});
