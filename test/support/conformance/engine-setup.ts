// How each real CLI is pointed at the fake model server with telemetry, update checks and plugins
// off (the setup the reference transcripts were recorded with): the files it reads from its HOME and
// the variables it needs. The variables reach the engine only through `[security] env_extra_allow`.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type ConformanceEngine = "claude" | "codex" | "pi" | "gemini" | "opencode";
export const CONFORMANCE_ENGINES: readonly ConformanceEngine[] = ["claude", "codex", "pi", "gemini", "opencode"];

export interface EngineSetup {
  /** Variables the bot process gets, and so (filtered) the engine. */
  env: Record<string, string>;
  /** Names outside the built-in allowlist, for `[security] env_extra_allow`. */
  extraAllow: string[];
  /** Extra TOML for `[engines.<id>]` and friends. */
  engineToml: string;
}

function write(path: string, text: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

/** Writes the CLI's config under `home` and returns what the bot must pass on. */
export function setupEngine(engine: ConformanceEngine, home: string, modelUrl: string): EngineSetup {
  switch (engine) {
    case "claude": {
      write(join(home, ".claude/settings.json"), `${JSON.stringify({ model: "claude-fake", env: {} }, null, 2)}\n`);
      const env = {
        ANTHROPIC_BASE_URL: modelUrl,
        // AUTH_TOKEN, not API_KEY: Untether removes ANTHROPIC_API_KEY unless use_api_billing is on.
        ANTHROPIC_AUTH_TOKEN: "dummy",
        DISABLE_TELEMETRY: "1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_AUTOUPDATER: "1",
        DISABLE_ERROR_REPORTING: "1",
      };
      return {
        env,
        extraAllow: ["DISABLE_TELEMETRY", "DISABLE_AUTOUPDATER", "DISABLE_ERROR_REPORTING"],
        engineToml: "",
      };
    }
    case "codex": {
      const codexHome = join(home, ".codex");
      write(
        join(codexHome, "config.toml"),
        [
          // The default model (gpt-5.5) is offered codex's JavaScript "code mode" tools in this
          // version; a named one gets the classic exec_command the recordings show.
          'model = "gpt-5.4"',
          'model_provider = "fake"',
          "check_for_update_on_startup = false",
          "",
          "[model_providers.fake]",
          'name = "fake"',
          `base_url = "${modelUrl}/v1"`,
          'wire_api = "responses"',
          'env_key = "FAKE_OPENAI_API_KEY"',
          "",
          "[features]",
          "plugins = false",
          "",
          "[analytics]",
          "enabled = false",
          "",
          "[feedback]",
          "enabled = false",
          "",
          "[otel]",
          'exporter = "none"',
          'trace_exporter = "none"',
          'metrics_exporter = "none"',
          "",
        ].join("\n"),
      );
      return {
        env: { CODEX_HOME: codexHome, FAKE_OPENAI_API_KEY: "dummy" },
        extraAllow: ["CODEX_HOME", "FAKE_OPENAI_API_KEY"],
        // The shell call writes out.txt: the workspace-write sandbox lets it, as the recording did.
        engineToml: '\n[engines.codex]\nextra_args = ["-c", "notify=[]", "-s", "workspace-write"]\n',
      };
    }
    case "pi": {
      const models = {
        providers: {
          fake: {
            baseUrl: `${modelUrl}/v1`,
            api: "openai-completions",
            apiKey: "FAKE_OPENAI_API_KEY",
            models: [
              {
                id: "fake-model",
                name: "Fake model",
                reasoning: false,
                input: ["text"],
                contextWindow: 128000,
                maxTokens: 4096,
                cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              },
            ],
          },
        },
      };
      write(join(home, ".pi/agent/models.json"), `${JSON.stringify(models, null, 2)}\n`);
      write(join(home, ".pi/agent/settings.json"), `${JSON.stringify({ enableInstallTelemetry: false }, null, 2)}\n`);
      return {
        env: { FAKE_OPENAI_API_KEY: "dummy", PI_OFFLINE: "1", PI_TELEMETRY: "0", PI_SKIP_VERSION_CHECK: "1" },
        extraAllow: ["FAKE_OPENAI_API_KEY", "PI_OFFLINE", "PI_TELEMETRY", "PI_SKIP_VERSION_CHECK"],
        engineToml: '\n[engines.pi]\nprovider = "fake"\nmodel = "fake-model"\n',
      };
    }
    case "gemini": {
      const settings = {
        privacy: { usageStatisticsEnabled: false },
        telemetry: { enabled: false },
        general: {
          disableAutoUpdate: true,
          disableUpdateNag: true,
          enableAutoUpdate: false,
          enableAutoUpdateNotification: false,
        },
        security: { auth: { selectedType: "gemini-api-key" } },
      };
      write(join(home, ".gemini/settings.json"), `${JSON.stringify(settings, null, 2)}\n`);
      return {
        env: {
          GEMINI_API_KEY: "dummy",
          GOOGLE_GEMINI_BASE_URL: modelUrl,
          GEMINI_TELEMETRY_ENABLED: "false",
          GEMINI_CLI_TRUST_WORKSPACE: "true",
        },
        extraAllow: ["GOOGLE_GEMINI_BASE_URL", "GEMINI_TELEMETRY_ENABLED", "GEMINI_CLI_TRUST_WORKSPACE"],
        engineToml: "",
      };
    }
    case "opencode": {
      const config = {
        $schema: "https://opencode.ai/config.json",
        autoupdate: false,
        share: "disabled",
        model: "fake/fake-model",
        provider: {
          fake: {
            npm: "@ai-sdk/openai-compatible",
            name: "Fake",
            options: { baseURL: `${modelUrl}/v1`, apiKey: "{env:FAKE_OPENAI_API_KEY}" },
            models: { "fake-model": { name: "Fake model" } },
          },
        },
      };
      write(join(home, ".config/opencode/opencode.json"), `${JSON.stringify(config, null, 2)}\n`);
      write(join(home, ".npmrc"), "offline=true\n");
      const disable = ["AUTOUPDATE", "MODELS_FETCH", "DEFAULT_PLUGINS", "LSP_DOWNLOAD", "SHARE", "CLAUDE_CODE"].map(
        (s) => `OPENCODE_DISABLE_${s}`,
      );
      const env: Record<string, string> = { FAKE_OPENAI_API_KEY: "dummy" };
      for (const name of disable) env[name] = "1";
      return { env, extraAllow: ["FAKE_OPENAI_API_KEY", ...disable], engineToml: "" };
    }
  }
}
