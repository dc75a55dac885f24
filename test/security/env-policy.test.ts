import { afterEach, beforeEach, expect, test } from "bun:test";
import fc from "fast-check";
import { createLogger, setLogger } from "../../src/log/logger.ts";
import {
  EXACT_ALLOW,
  NO_EXTRAS,
  PREFIX_ALLOW,
  filterEnv,
  isAllowed,
  logUserExtensionsOnce,
  parseEnvExtras,
  resetUserExtensionLog,
} from "../../src/security/env-policy.ts";

let lines: string[] = [];
beforeEach(() => {
  lines = [];
  resetUserExtensionLog();
  setLogger(createLogger({ sink: { write: (l) => lines.push(l) }, level: "debug", pretty: false }));
});
afterEach(() => resetUserExtensionLog());

const SOURCE = {
  PATH: "/usr/bin:/bin",
  HOME: "/home/u",
  ANTHROPIC_API_KEY: "sk-ant-xxx",
  OPENAI_API_KEY: "sk-yyy",
  AWS_SECRET_ACCESS_KEY: "aws",
  DATABASE_URL: "postgres://u:p@db/x",
  STRIPE_API_KEY: "sk_live_1",
  SOME_PERSONAL_TOKEN: "tok",
  BUN_BE_BUN: "1",
  CLAUDE_CODE_USE_BEDROCK: "1",
  LC_NUMERIC: "C",
  VAULT_ADDR: "https://vault",
  VAULT_TOKEN: "v",
  UNSET: undefined,
};

test("the allowlist has the original's 64 exact names and 11 prefixes", () => {
  expect(EXACT_ALLOW.size).toBe(64);
  expect(PREFIX_ALLOW).toEqual(["CLAUDE_", "CLAUDE_CODE_", "MCP_", "MAX_MCP_", "LC_", "UV_", "NPM_", "PNPM_", "NODE_", "PIP_", "UNTETHER_"]);
});

test("secrets outside the allowlist are dropped; OS basics, provider keys and prefixes pass", () => {
  const env = filterEnv(SOURCE);
  expect(Object.keys(env).sort()).toEqual(["ANTHROPIC_API_KEY", "CLAUDE_CODE_USE_BEDROCK", "HOME", "LC_NUMERIC", "OPENAI_API_KEY", "PATH"]);
  expect(env.PATH).toBe("/usr/bin:/bin");
});

test("BUN_BE_BUN never passes, even when a user tries to allow it", () => {
  expect(isAllowed("BUN_BE_BUN", { exact: ["BUN_BE_BUN"], prefix: ["BUN_"] })).toBe(false);
});

test("prefix matching is case-sensitive", () => {
  expect(isAllowed("claude_x")).toBe(false);
  expect(isAllowed("CLAUDE_X")).toBe(true);
});

test("user extensions let named variables and prefixes through", () => {
  expect(filterEnv(SOURCE, { exact: ["DATABASE_URL"], prefix: [] }).DATABASE_URL).toBe(SOURCE.DATABASE_URL);
  const env = filterEnv(SOURCE, { exact: [], prefix: ["VAULT_"] });
  expect(env.VAULT_ADDR).toBe("https://vault");
  expect(env.VAULT_TOKEN).toBe("v");
  expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
});

test("extensions are logged once per process, sorted and deduplicated, names only", () => {
  logUserExtensionsOnce(NO_EXTRAS);
  expect(lines).toHaveLength(0);
  logUserExtensionsOnce({ exact: ["ZED", "DATABASE_URL", "ZED"], prefix: ["VAULT_"] });
  logUserExtensionsOnce({ exact: ["OTHER"], prefix: [] });
  const hits = lines.filter((l) => l.includes("env_policy.user_extension"));
  expect(hits).toHaveLength(1);
  const rec = JSON.parse(hits[0] as string) as Record<string, unknown>;
  expect(rec.level).toBe("info");
  expect(rec.extra_exact).toEqual(["DATABASE_URL", "ZED"]);
  expect(rec.extra_prefix).toEqual(["VAULT_"]);
});

test("parseEnvExtras validates names and names the key in the error", () => {
  expect(parseEnvExtras(["B", "A", "B"], ["VAULT_"])).toEqual({ exact: ["A", "B"], prefix: ["VAULT_"] });
  expect(() => parseEnvExtras(["lower"], [])).toThrow(/env_extra_allow/);
  expect(() => parseEnvExtras([], ["1BAD"])).toThrow(/env_extra_prefix_allow/);
  expect(() => parseEnvExtras(["A=B"], [])).toThrow();
  expect(() => parseEnvExtras([], [""])).toThrow();
});

test("property: filterEnv keeps exactly the allowed names", () => {
  fc.assert(
    fc.property(fc.dictionary(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/), fc.string()), (src) => {
      const out = filterEnv(src);
      for (const k of Object.keys(src)) expect(k in out).toBe(isAllowed(k));
      for (const k of Object.keys(out)) expect(isAllowed(k)).toBe(true);
    }),
  );
});
