import { afterEach, beforeEach, expect, test } from "bun:test";
import fc from "fast-check";
import { createLogger, setLogger } from "../../src/log/logger.ts";
import {
  EXACT_ALLOW,
  filterEnv,
  isAllowed,
  logUserExtensionsOnce,
  NO_EXTRAS,
  PREFIX_ALLOW,
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
  expect(PREFIX_ALLOW).toEqual([
    "CLAUDE_",
    "CLAUDE_CODE_",
    "MCP_",
    "MAX_MCP_",
    "LC_",
    "UV_",
    "NPM_",
    "PNPM_",
    "NODE_",
    "PIP_",
    "UNTETHER_",
  ]);
});

test("secrets outside the allowlist are dropped; OS basics, provider keys and prefixes pass", () => {
  const env = filterEnv(SOURCE);
  expect(Object.keys(env).sort()).toEqual([
    "ANTHROPIC_API_KEY",
    "CLAUDE_CODE_USE_BEDROCK",
    "HOME",
    "LC_NUMERIC",
    "OPENAI_API_KEY",
    "PATH",
  ]);
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
  // A prefix does not carry credential-looking names: VAULT_TOKEN must be listed exactly.
  expect(env.VAULT_TOKEN).toBeUndefined();
  expect(filterEnv(SOURCE, { exact: ["VAULT_TOKEN"], prefix: ["VAULT_"] }).VAULT_TOKEN).toBe("v");
  expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
});

// Realistic shapes (fake values) of what package managers read from the environment.
const PACKAGE_CREDENTIALS = {
  NPM_TOKEN: "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
  NODE_AUTH_TOKEN: "npm_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210",
  NPM_CONFIG__AUTH: "dXNlcjpwYXNzd29yZA==",
  UV_PUBLISH_TOKEN: "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0",
  UV_PUBLISH_PASSWORD: "hunter2-publish",
  PIP_INDEX_URL: "https://alice:s3cr3t-pass@pypi.example.com/simple",
  PIP_EXTRA_INDEX_URL: "https://pypi.org/simple https://__token__@private.example.com/simple",
  UV_INDEX_URL: "https://oauth2accesstoken:ya29.a0AfH6SMBx@europe-python.pkg.dev/p/r/simple",
  MCP_API_KEY: "mcp-key-0123456789abcdef",
  CLAUDE_CODE_CLIENT_SECRET: "client-secret-0123456789",
  PNPM_PASSWORD: "pw-0123456789",
};
const PACKAGE_SETTINGS = {
  NPM_CONFIG_REGISTRY: "https://registry.npmjs.org/",
  NODE_ENV: "development",
  UV_CACHE_DIR: "/home/u/.cache/uv",
  PIP_NO_CACHE_DIR: "1",
  UV_INDEX_URL_PLAIN: "https://pypi.org/simple",
  CLAUDE_CODE_MAX_OUTPUT_TOKENS: "32000",
};

test("prefix rules pass settings but not credentials: *_TOKEN, *_SECRET, *_PASSWORD, *_KEY, URLs with userinfo", () => {
  const env = filterEnv({ ...PACKAGE_CREDENTIALS, ...PACKAGE_SETTINGS });
  expect(Object.keys(env).sort()).toEqual(Object.keys(PACKAGE_SETTINGS).sort());
});

test("a credential under a prefix passes when listed exactly in env_extra_allow", () => {
  const extras = parseEnvExtras(["NPM_TOKEN", "PIP_INDEX_URL"], []);
  const env = filterEnv(PACKAGE_CREDENTIALS, extras);
  expect(Object.keys(env).sort()).toEqual(["NPM_TOKEN", "PIP_INDEX_URL"]);
  expect(env.PIP_INDEX_URL).toBe(PACKAGE_CREDENTIALS.PIP_INDEX_URL);
});

test("built-in exact provider keys still pass (they are listed, not matched by a prefix)", () => {
  expect(isAllowed("ANTHROPIC_API_KEY")).toBe(true);
  expect(isAllowed("GITHUB_TOKEN")).toBe(true);
  expect(isAllowed("ANTHROPIC_BASE_URL", NO_EXTRAS, "https://u:p@proxy.example.com")).toBe(true);
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
      for (const k of Object.keys(src)) expect(k in out).toBe(isAllowed(k, NO_EXTRAS, src[k]));
      for (const k of Object.keys(out)) expect(isAllowed(k, NO_EXTRAS, out[k])).toBe(true);
    }),
  );
});
