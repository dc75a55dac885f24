// Claude's own stream watchdog: its variables come from [watchdog] as defaults of the engine's
// environment; the same names in the user's environment win, and the forced and removed names stay
// as they were (UNTETHER_SESSION set, ANTHROPIC_API_KEY dropped without use_api_billing).
import { expect, test } from "bun:test";
import { claudeWatchdogEnv, createClaudeEngine } from "../../src/engines/claude.ts";
import { engineEnv } from "../../src/engines/process.ts";
import { NO_EXTRAS } from "../../src/security/env-policy.ts";

const claude = createClaudeEngine();
const WATCHDOG = { claude_stream_idle_timeout_ms: 300000, mcp_tool_timeout: 900 };
const BASE = { PATH: "/usr/bin:/bin", HOME: "/home/tester", ANTHROPIC_API_KEY: "sk-ant-test-value-123456" };

test("the defaults: watchdog on, idle timeout and MCP tool timeout (ms) from [watchdog], MCP output capped", () => {
  const env = engineEnv(claude, BASE, NO_EXTRAS, claudeWatchdogEnv(WATCHDOG));
  expect(env.CLAUDE_ENABLE_STREAM_WATCHDOG).toBe("1");
  expect(env.CLAUDE_STREAM_IDLE_TIMEOUT_MS).toBe("300000");
  expect(env.MCP_TOOL_TIMEOUT).toBe("900000");
  expect(env.MAX_MCP_OUTPUT_TOKENS).toBe("12000");
  expect(env.UNTETHER_SESSION).toBe("1");
  expect(env.ANTHROPIC_API_KEY).toBeUndefined();
});

test("a value in the user's environment wins over every default", () => {
  const user = {
    ...BASE,
    CLAUDE_ENABLE_STREAM_WATCHDOG: "0",
    CLAUDE_STREAM_IDLE_TIMEOUT_MS: "60000",
    MCP_TOOL_TIMEOUT: "5000",
    MAX_MCP_OUTPUT_TOKENS: "50000",
  };
  const env = engineEnv(claude, user, NO_EXTRAS, claudeWatchdogEnv(WATCHDOG));
  expect(env.CLAUDE_ENABLE_STREAM_WATCHDOG).toBe("0");
  expect(env.CLAUDE_STREAM_IDLE_TIMEOUT_MS).toBe("60000");
  expect(env.MCP_TOOL_TIMEOUT).toBe("5000");
  expect(env.MAX_MCP_OUTPUT_TOKENS).toBe("50000");
});
