import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/log/logger.ts";
import { REDACTED, redactSecrets, sanitizeForUser } from "../../src/log/redact.ts";
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

// Realistic shapes (fake values) of credentials that turn up in tool output, configs and error texts:
// [name, the text as it appears, the secret part that must not survive, what must survive].
const MORE: Array<[string, string, string, string]> = [
  [
    "Slack bot token",
    "posting with xoxb-2345678901-2345678901234-AbCdEfGhIjKlMnOpQrStUvWx failed",
    "xoxb-2345678901-2345678901234-AbCdEfGhIjKlMnOpQrStUvWx",
    "failed",
  ],
  [
    "Slack user token",
    "SLACK_TOKEN=xoxp-2345678901-2345678901-2345678901234-0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef",
    "SLACK_TOKEN=",
  ],
  [
    "Slack app-level token",
    "SLACK_APP_TOKEN=xapp-1-A0123456789-0123456789012-abcdef0123456789abcdef",
    "abcdef0123456789abcdef",
    "SLACK_APP_TOKEN=",
  ],
  [
    "Slack workspace token",
    "using xoxa-2-0123456789-abcdefabcdef0123 now",
    "xoxa-2-0123456789-abcdefabcdef0123",
    "now",
  ],
  [
    "AWS access key id",
    "InvalidClientTokenId: The security token for AKIAIOSFODNN7EXAMPLE is invalid",
    "AKIAIOSFODNN7EXAMPLE",
    "is invalid",
  ],
  ["AWS temporary key id", "credentials ASIAY34FZKBOKMUTVV7A expired", "ASIAY34FZKBOKMUTVV7A", "expired"],
  [
    "AWS secret key (credentials file)",
    "[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = eu-west-1",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "region = eu-west-1",
  ],
  [
    "AWS secret key (env line)",
    "export AWS_SECRET_ACCESS_KEY=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "export AWS_SECRET_ACCESS_KEY=",
  ],
  [
    "Stripe live secret key",
    "Stripe error with sk_live_51H8xYzABCdefGHIjklMNOpqrSTUvwxYZ0123456789abcdEFGH",
    "sk_live_51H8xYzABCdefGHIjklMNOpqrSTUvwxYZ0123456789abcdEFGH",
    "Stripe error",
  ],
  [
    "Stripe restricted key",
    "key=rk_live_51H8xYzABCdefGHIjklMNOpqrSTUvwxYZ0123456789",
    "rk_live_51H8xYzABCdefGHIjklMNOpqrSTUvwxYZ0123456789",
    "key=",
  ],
  [
    "GitLab token",
    "remote: HTTP Basic: Access denied for glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn7o",
    "glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn7o",
    "Access denied",
  ],
  [
    "npm token",
    "//registry.npmjs.org/:_authToken=npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "_authToken=",
  ],
  [
    "JWT",
    "token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c rejected",
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "rejected",
  ],
  [
    "Authorization: Bearer (opaque)",
    "> Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543",
    "8f14e45fceea167a5a36dedd4bea2543",
    "Authorization: Bearer ",
  ],
  [
    "Authorization: Basic",
    '{"headers":{"Authorization":"Basic YWxpY2U6czNjcjN0LXBhc3N3b3Jk"}}',
    "YWxpY2U6czNjcjN0LXBhc3N3b3Jk",
    '"Authorization":"Basic ',
  ],
  [
    "bearer header, lower case",
    "curl -H 'authorization: bearer ya29.a0AfH6SMBxExampleTokenValue0123' https://api.example.com",
    "ya29.a0AfH6SMBxExampleTokenValue0123",
    "authorization: bearer ",
  ],
  [
    "password in a database URL",
    "connect ECONNREFUSED postgres://app:Tr0ub4dor&3@db.example.com:5432/prod",
    "Tr0ub4dor&3",
    "postgres://app:",
  ],
  [
    "password in an index URL",
    "Looking in indexes: https://alice:s3cr3t-pass@pypi.example.com/simple",
    "s3cr3t-pass",
    "@pypi.example.com/simple",
  ],
  [
    "password in a redis URL without user",
    "redis://:hunter2-redis-pw@cache:6379/0 refused",
    "hunter2-redis-pw",
    "refused",
  ],
];

describe("more credential shapes: logs and engine errors shown in chat", () => {
  for (const [name, text, secret, kept] of MORE) {
    test(`${name}: redacted in a log line`, () => {
      const { log, lines } = capture();
      log.warn({ stderr: text, nested: { err: { message: text } } }, "engine.stderr");
      const out = lines.join("");
      expect(out).not.toContain(secret);
      expect(out).toContain(REDACTED);
      expect(JSON.parse(lines[0] as string).msg).toBe("engine.stderr");
    });

    test(`${name}: redacted in text shown to a user`, () => {
      const red = redactSecrets(text);
      expect(red).not.toContain(secret);
      expect(red).toContain(kept);
      expect(sanitizeForUser(text, 2000)).not.toContain(secret);
    });
  }

  test("ordinary text with the same words is left alone", () => {
    for (const text of [
      "Bearer authentication is required",
      "see https://example.com/a@b and mailto:someone@example.com",
      "the npm_config_cache folder, an AKIA prefix, sk_live mode, glpat- tokens",
      "Authorization header missing",
      "aws_secret_access_key is not set",
    ]) {
      expect(redactSecrets(text)).toBe(text);
    }
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
    for (const root of [
      "/private/var/x",
      "/var/log/x",
      "/srv/a",
      "/etc/passwd",
      "/usr/local/lib/z",
      "/app/main.py",
      "/workspace/k",
    ]) {
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
