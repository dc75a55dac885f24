// For every real engine definition: what the exec'd process sees is the allowlisted environment
// (plus the engine's own additions), never the stray secrets of the Untether process.
import { describe, expect, test } from "bun:test";
import { runEngine } from "../../src/engines/process.ts";
import { createEngineRegistry } from "../../src/engines/registry.ts";
import type { EngineDefinition } from "../../src/engines/types.ts";
import { fakePath } from "../support/engines/fake-def.ts";

const PROVIDER_KEY: Record<string, string> = {
  claude: "CLAUDE_CODE_OAUTH_TOKEN",
  codex: "OPENAI_API_KEY",
  pi: "ANTHROPIC_API_KEY",
  gemini: "GEMINI_API_KEY",
  opencode: "OPENAI_API_KEY",
  amp: "AMP_API_KEY",
};

const SOURCE = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: "/home/tester",
  AWS_SECRET_ACCESS_KEY: "aws-secret-value",
  DATABASE_URL: "postgres://user:pw@db/prod",
  STRIPE_API_KEY: "stripe-secret-value",
  SOME_PERSONAL_TOKEN: "personal-token-value",
  OPENAI_API_KEY: "openai-key-value",
  ANTHROPIC_API_KEY: "anthropic-key-value",
  GEMINI_API_KEY: "gemini-key-value",
  CLAUDE_CODE_OAUTH_TOKEN: "claude-oauth-value",
  AMP_API_KEY: "amp-key-value",
  BUN_BE_BUN: "1",
};

function asEnvDump(def: EngineDefinition): EngineDefinition {
  // Keep the engine's own env rules (extraEnv / removeEnv); swap the CLI for the env-dump fake.
  return {
    ...def,
    cli: fakePath("env-dump.ts"),
    buildArgs: () => [],
    stdinText: undefined,
    createStdinSession: undefined,
    createParser: () => ({
      parse: (msg) =>
        msg.type === "env"
          ? [
              {
                type: "action",
                engine: def.id,
                phase: "completed",
                ok: true,
                action: { id: "env", kind: "note", title: "env", detail: { env: msg.env } },
              },
            ]
          : msg.type === "done"
            ? [{ type: "completed", engine: def.id, ok: true, answer: "ok" }]
            : [],
      missingCompletion: () => "no result",
    }),
  };
}

async function envSeenBy(
  def: EngineDefinition,
  extras = { exact: [] as string[], prefix: [] as string[] },
): Promise<Record<string, string>> {
  let seen: Record<string, string> = {};
  const h = runEngine(
    asEnvDump(def),
    { prompt: "x", cwd: process.cwd() },
    {
      sourceEnv: SOURCE,
      extras,
      envAudit: false,
      onEvent: (e) => {
        if (e.type === "action" && e.action.id === "env") seen = e.action.detail.env as Record<string, string>;
      },
    },
  );
  await h.done;
  return seen;
}

// Amp's key is not on the built-in allowlist: it is exactly what env_extra_allow is for.
const registry = createEngineRegistry({});

describe("every engine gets only the allowlisted environment", () => {
  for (const id of ["claude", "codex", "pi", "gemini", "opencode", "amp"]) {
    test(id, async () => {
      const def = registry.get(id)!;
      const env = await envSeenBy(def, id === "amp" ? { exact: ["AMP_API_KEY"], prefix: [] } : undefined);
      for (const leaked of [
        "AWS_SECRET_ACCESS_KEY",
        "DATABASE_URL",
        "STRIPE_API_KEY",
        "SOME_PERSONAL_TOKEN",
        "BUN_BE_BUN",
      ]) {
        expect(env[leaked]).toBeUndefined();
      }
      expect(env.PATH).toBe(SOURCE.PATH);
      expect(env.HOME).toBe("/home/tester");
      expect(env[PROVIDER_KEY[id]!]).toBeDefined();
      if (id === "claude") {
        expect(env.UNTETHER_SESSION).toBe("1");
        // Without [claude] use_api_billing the API key is removed (subscription billing).
        expect(env.ANTHROPIC_API_KEY).toBeUndefined();
      }
    });
  }

  test("env_extra_allow lets a named variable through, for any engine", async () => {
    const env = await envSeenBy(registry.get("codex")!, { exact: ["STRIPE_API_KEY"], prefix: [] });
    expect(env.STRIPE_API_KEY).toBe("stripe-secret-value");
    expect(env.DATABASE_URL).toBeUndefined();
  });
});
