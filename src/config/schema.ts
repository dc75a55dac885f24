// The one schema of untether.toml: keys, types, defaults, ranges and a line of meaning for each
// (docs/config.md is generated from these descriptions). Every table forbids unknown keys. Secret
// values decode to `Secret` so nothing downstream can print them by accident.
//
// Facts about a key live on its node as markers (read through src/config/markers.ts, never listed
// elsewhere): `secret` (masked by `config list/get`, kept out of error messages, decoded to Secret)
// and `reload` (whether `watch_config` applies a change at once).
import {
  type Static,
  type StaticDecode,
  type TObject,
  type TOptional,
  type TProperties,
  type TSchema,
  Type,
} from "@sinclair/typebox";
import { WEBHOOK_AUTH_MODES } from "../security/webhook-auth.ts";
import {
  AutoContinueSchema,
  LegacyFooterProps,
  LegacyTelegramProps,
  LegacyWatchdogProps,
  LoopSchema,
  PluginsSchema,
} from "./legacy.ts";
import {
  bool,
  headers,
  hot,
  int,
  ints,
  num,
  oneOf,
  opt,
  secret,
  strictObject,
  strings,
  table,
  text,
} from "./schema-kit.ts";

export {
  hot,
  type ReloadMode,
  type SchemaMarkers,
  SECRET_HEADER_RE,
  type SecretMarker,
  secret,
} from "./schema-kit.ts";

/**
 * The one list of engine ids. Built-in engines have a config table (`[engines.<id>]` or top-level
 * `[<id>]`) and an engine module; everything else (registry, doctor, docs) is derived from this list.
 */
export const CONFIGURABLE_ENGINE_IDS = ["claude", "codex", "pi", "gemini", "opencode", "amp"] as const;
export type ConfigurableEngineId = (typeof CONFIGURABLE_ENGINE_IDS)[number];
/** Every engine id a config may name: the built-ins and the built-in mock (tests, demo), which has no table. */
export const ENGINE_IDS = [...CONFIGURABLE_ENGINE_IDS, "mock"] as const;
export type EngineId = (typeof ENGINE_IDS)[number];

export const DEFAULT_TELEGRAM_API_BASE_URL = "https://api.telegram.org";

const engineId = (description: string) => oneOf(ENGINE_IDS, { description });

// ---- [transports.telegram] ------------------------------------------------------------------

export const FilesSchema = hot(
  table(
    {
      enabled: bool(false, "Enables /file get|put, auto-put of sent documents and the outbox."),
      auto_put: bool(true, "Save documents sent to the bot into uploads_dir without a /file command."),
      auto_put_mode: oneOf(["upload", "prompt"], {
        default: "upload",
        description: "upload: only save the file; prompt: save it and run the caption as a prompt.",
      }),
      uploads_dir: Type.String({
        default: "incoming",
        minLength: 1,
        description: "Where uploads land, relative to the project root (absolute paths and '..' refused).",
      }),
      allowed_user_ids: ints("Users allowed to transfer files; empty = private chats and group admins."),
      deny_globs: Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        description:
          "Extra paths never read or written, matched at any depth. Added to the built-in list (docs/files.md), which always applies: this key adds and never replaces.",
      }),
      allow_hard_links: bool(
        false,
        "Send regular files with more than one hard link (/file get, zips, the outbox). Off: a hard link to .env or to a file outside the project would pass every path check.",
      ),
      outbox_enabled: bool(true, "Send files the agent leaves in outbox_dir after each run."),
      outbox_dir: Type.String({
        default: ".untether-outbox",
        minLength: 1,
        description: "Outbox folder, relative to the run's root (absolute paths and '..' refused).",
      }),
      outbox_max_files: int(10, "Most files sent from the outbox per run.", 1, 50),
      outbox_cleanup: bool(true, "Delete sent outbox files afterwards."),
      outbox_notify_skipped: bool(true, "Tell the chat which outbox entries were skipped and why."),
      outbox_deliver_directories: oneOf(["off", "zip"], {
        default: "off",
        description: "Directories in the outbox: skipped (off) or sent as a zip.",
      }),
    },
    "File transfer between the chat and the project.",
  ),
);

export const TelegramSchema = strictObject(
  {
    bot_token: secret("Bot token from @BotFather (secret; masked in logs and `config list`)."),
    chat_id: Type.Integer({ description: "Default chat: startup message and trigger notifications." }),
    api_base_url: Type.String({
      default: DEFAULT_TELEGRAM_API_BASE_URL,
      description: "Bot API base URL (http or https), e.g. a local Bot API server or the demo emulator.",
    }),
    allowed_user_ids: hot(
      ints("Telegram user ids allowed to use the bot. Empty refuses to start unless allow_any_user."),
    ),
    allow_any_user: hot(bool(false, "Open the bot to anyone who finds it. For demos only.")),
    admin_user_ids: hot(
      opt(
        Type.Array(Type.Integer(), {
          description:
            "Users who may /restart, pause triggers and lower safety from the chat (bypassPermissions, full access, yolo). Default: allowed_user_ids.",
        }),
      ),
    ),
    message_overflow: hot(
      oneOf(["trim", "split"], {
        default: "split",
        description: "Answers longer than Telegram's limit: split into several messages or trim.",
      }),
    ),
    max_answer_parts: hot(
      int(
        3,
        'Answers that would need more messages than this (message_overflow = "split") come as their first paragraph plus the whole answer as answer.md.',
        1,
        100,
      ),
    ),
    voice_transcription: hot(bool(false, "Transcribe voice notes and run them as prompts.")),
    voice_max_bytes: hot(int(10485760, "Largest voice note transcribed, in bytes.", 1)),
    voice_transcription_model: hot(
      Type.String({
        default: "gpt-4o-mini-transcribe",
        minLength: 1,
        description: "Transcription model name.",
      }),
    ),
    voice_transcription_base_url: hot(
      opt(Type.String({ description: "OpenAI-compatible endpoint (http or https); default OpenAI." })),
    ),
    voice_transcription_api_key: hot(opt(secret("API key for the transcription endpoint (secret)."))),
    voice_transcription_language: hot(
      opt(
        Type.Transform(
          Type.String({ pattern: "^[A-Za-z]{2,3}$", description: "ISO-639-1 language hint such as 'en'." }),
        )
          .Decode((v) => v.toLowerCase())
          .Encode((v) => v),
      ),
    ),
    voice_show_transcription: hot(bool(true, "Echo the transcribed text before running it.")),
    voice_transcription_url_allowlist: hot(
      strings([], "CIDRs or IPs the transcription endpoint may resolve to even if private (e.g. a local Whisper)."),
    ),
    session_mode: oneOf(["stateless", "chat"], {
      default: "stateless",
      description: "stateless: reply to continue a run; chat: one ongoing session per chat.",
    }),
    show_resume_line: hot(bool(true, "Show the engine's resume command under answers.")),
    approval_timeout_s: int(
      300,
      "Seconds an engine's permission request (Approve/Deny) waits before it is denied.",
      10,
      86400,
    ),
    inbound_rate_per_minute: hot(
      int(
        60,
        "Flood guard: messages one user may send a minute (also the burst); over it they are dropped with one notice a minute. Button presses and /cancel get 4× this. 0 = off.",
        0,
        100000,
      ),
    ),
    forward_coalesce_s: hot(
      num(
        1.0,
        "Forwarded messages arriving within this many seconds of each other, and of your next own message, become one prompt (quoted with their origin); forwards with nothing after them run on their own when the window closes. 0 = each forward runs alone.",
        0,
        60,
      ),
    ),
    media_group_debounce_s: hot(
      num(
        1.0,
        "Seconds to wait after an album's last item for more: the album is saved as one upload and runs one prompt. 0 = item by item.",
        0,
        60,
      ),
    ),
    ...LegacyTelegramProps,
    topics: table(
      {
        enabled: bool(
          false,
          "Forum topics as separate threads: /topic creates one bound to a project (and @branch), each with its own sessions and settings. Checked at start.",
        ),
        scope: oneOf(["auto", "main", "projects", "all"], {
          default: "auto",
          description:
            "Which chats must be forums: main (chat_id), projects (every projects.<alias>.chat_id), all, or auto (projects when any project has a chat_id, else main).",
        }),
      },
      "Forum topics.",
    ),
    files: FilesSchema,
  },
  "The Telegram transport.",
);

// ---- projects, plugins, security ------------------------------------------------------------

// `table` (with default {}) because TypeBox only fills defaults inside record values that have one.
export const ProjectSchema = table(
  {
    path: text("Project directory (~ expanded; relative paths are relative to the config file)."),
    worktrees_dir: Type.String({
      default: ".worktrees",
      minLength: 1,
      description: "Where @branch worktrees are created, relative to path unless absolute.",
    }),
    default_engine: opt(engineId("Engine for new threads in this project.")),
    worktree_base: opt(text("Branch new worktrees start from.")),
    chat_id: opt(Type.Integer({ description: "A Telegram chat bound to this project." })),
  },
  "A project the bot can run agents in.",
);

export const SecuritySchema = hot(
  table(
    {
      env_audit: bool(true, "Check a running Claude's environment once per run and warn about leaked variables."),
      env_extra_allow: strings([], "Extra environment variable names passed to engines (e.g. VAULT_ADDR)."),
      env_extra_prefix_allow: strings(
        [],
        "Extra name prefixes passed to engines (e.g. VAULT_). Credential-looking names under a prefix (*_TOKEN, *_SECRET, *_PASSWORD, *_KEY, URLs with a password) pass only when listed in env_extra_allow.",
      ),
    },
    "Engine environment policy.",
  ),
);

// ---- per-run behaviour ----------------------------------------------------------------------

export const ProgressSchema = hot(
  table(
    {
      verbosity: oneOf(["compact", "verbose"], { default: "compact", description: "Progress message detail." }),
      max_actions: int(5, "Actions shown in the progress message.", 0, 50),
      min_render_interval: num(2.0, "Seconds between progress edits.", 0, 30),
      heartbeat_interval: num(
        30,
        "Seconds between re-renders of a working run's progress message (its elapsed time) when the engine is silent.",
        5,
        120,
      ),
      group_chat_rps: Type.Number({
        default: 20 / 60,
        exclusiveMinimum: 0,
        maximum: 10,
        description: "Messages (sends and edits) per second to one group chat (> 0); private chats get one per second.",
      }),
    },
    "The live progress message.",
  ),
);

export const FooterSchema = hot(
  table(
    {
      show_api_cost: bool(true, "Show the run's API cost under the answer."),
      ...LegacyFooterProps,
    },
    "Footer of final answers.",
  ),
);

export const PreambleSchema = hot(
  table(
    {
      enabled: bool(true, "Prepend the preamble to prompts."),
      text: opt(Type.String({ description: "Custom preamble; unset = the built-in text." })),
    },
    "Text prepended to every prompt.",
  ),
);

export const CostBudgetSchema = hot(
  table(
    {
      enabled: bool(false, "Track run costs against the limits."),
      max_cost_per_run: opt(Type.Number({ minimum: 0, description: "USD limit per run." })),
      max_cost_per_day: opt(Type.Number({ minimum: 0, description: "USD limit per day." })),
      warn_at_pct: num(70, "Warn at this percentage of a limit.", 0, 100),
      auto_cancel: bool(false, "Cancel a run that exceeds max_cost_per_run."),
    },
    "Cost limits.",
  ),
);

/** [history]: what the state database keeps of each run for /export and /stats, and for how long. */
export const HistorySchema = hot(
  table(
    {
      retention_days: int(
        30,
        "Days a run's stored log (prompt, actions, answer) and its message links are kept; older ones are deleted (daily and at start). A reply to a message older than this starts a new conversation.",
        1,
        3650,
      ),
      max_actions: int(
        300,
        "Most actions kept per run in its stored log; the earlier ones are counted by kind instead.",
        10,
        10000,
      ),
      max_bytes: int(
        262144,
        "Most bytes of a run's stored log (prompt, actions, answer); past it the earliest actions are counted instead and the answer is cut.",
        16384,
        16777216,
      ),
    },
    "Run history in the state database (/export, /stats).",
  ),
);

/** [watchdog]: admission (cap, memory guard), the stall watchdog and Claude's stream watchdog; the keys from legacy.ts are accepted for compatibility. */
export const WatchdogSchema = table(
  {
    max_concurrent_engine_runs: int(
      0,
      "Most engine processes at once (0 = unlimited); a run over the cap is refused, not parked.",
      0,
      64,
    ),
    liveness_timeout: num(
      600,
      "Seconds without engine output before the progress message says so and a stall notice (with a Cancel button) is sent.",
      60,
      3600,
    ),
    stall_auto_kill: bool(false, "Cancel a stalled run instead of sending the stall notice."),
    stall_repeat_seconds: num(180, "Seconds between repeated stall notices of the same run.", 30, 600),
    tool_timeout: num(600, "Seconds a single tool action may run before a stall notice.", 60, 7200),
    mcp_tool_timeout: num(
      900,
      "Seconds a single MCP tool action (mcp__*) may run before a stall notice; also Claude's MCP_TOOL_TIMEOUT.",
      60,
      7200,
    ),
    claude_stream_idle_timeout_ms: int(
      300000,
      "Claude's own stream idle timeout (CLAUDE_STREAM_IDLE_TIMEOUT_MS), in ms; the user's environment wins.",
      30000,
      1800000,
    ),
    prespawn_ram_warn_mb: int(2000, "Warn before starting an engine below this free RAM (0 = off).", 0, 65536),
    prespawn_ram_block_mb: int(500, "Refuse to start an engine below this free RAM (0 = off).", 0, 65536),
    prespawn_ram_per_run_reserve_mb: int(750, "Extra free RAM required per run already in flight.", 0, 65536),
    ...LegacyWatchdogProps,
  },
  "Stall detection and resource guards.",
);

// ---- engines --------------------------------------------------------------------------------
// The one source of the engines' options: the engine modules take `EngineOptions<id>` (the static
// type of these tables) and their defaults from here; docs/config.md and the options section of
// docs/engines.md are generated from here.

/**
 * Flags each engine sets itself (output format, resume, permission plumbing, keys of its own table):
 * `extra_args` may not contain them, as `--flag`, `--flag=value` or the exact short flag.
 */
export const ENGINE_MANAGED_FLAGS = {
  codex: [
    "--ask-for-approval",
    "-a",
    "--skip-git-repo-check",
    "--json",
    "--output-schema",
    "--output-last-message",
    "--color",
    "-o",
  ],
  claude: [
    "-p",
    "--print",
    "--output-format",
    "--input-format",
    "--resume",
    "-r",
    "--continue",
    "-c",
    "--permission-mode",
    "--permission-prompt-tool",
    // Has its own config key, so that turning it on is visible in the config, not buried in a list.
    "--dangerously-skip-permissions",
  ],
  pi: ["--print", "-p", "--mode", "--session", "--continue", "-c", "--provider", "--model"],
  gemini: ["--output-format", "-o", "--prompt", "-p", "--resume", "-r", "--approval-mode", "--yolo", "-y"],
  opencode: ["--format", "--session", "-s", "--continue", "-c"],
  amp: ["-x", "--execute", "--stream-json", "--stream-json-input", "--dangerously-allow-all", "--mode", "-m"],
} as const satisfies Record<ConfigurableEngineId, readonly string[]>;

/** The managed flag `arg` would override, or undefined. */
export function managedFlagOf(arg: string, managed: readonly string[]): string | undefined {
  return managed.find((m) => arg === m || (m.startsWith("--") && arg.startsWith(`${m}=`)));
}

export const CLAUDE_PERMISSION_MODES = ["default", "plan", "auto", "acceptEdits", "bypassPermissions"] as const;
export const AMP_MODES = ["deep", "free", "rush", "smart"] as const;

const extraArgs = (id: ConfigurableEngineId, value: readonly string[] = []) =>
  Type.Array(Type.String(), {
    default: [...value],
    description: "Extra command-line arguments for the CLI (flags Untether manages are refused).",
    managedFlags: [...ENGINE_MANAGED_FLAGS[id]],
  });
const model = (flag = "--model") => opt(text(`Model name, passed as ${flag}; a chat's /model overrides it.`));

export const EngineSchemas = {
  codex: {
    model: model(),
    profile: opt(text("Codex profile (--profile).")),
    extra_args: extraArgs("codex", ["-c", "notify=[]"]),
  },
  claude: {
    model: model(),
    allowed_tools: strings(["Bash", "Read", "Edit", "Write"], "Tools Claude may use without asking (--allowedTools)."),
    extra_args: extraArgs("claude"),
    dangerously_skip_permissions: bool(
      false,
      "Skip every permission prompt (--dangerously-skip-permissions). Dangerous.",
    ),
    use_api_billing: bool(false, "Pass ANTHROPIC_API_KEY to Claude (otherwise removed)."),
    permission_mode: opt(
      oneOf(CLAUDE_PERMISSION_MODES, {
        description: "Claude permission mode (--permission-mode; auto = plan, then proceed without asking).",
      }),
    ),
  },
  pi: { model: model(), provider: opt(text("Pi provider (--provider).")), extra_args: extraArgs("pi") },
  gemini: {
    model: model(),
    skip_trust: bool(
      true,
      "Skip Gemini's folder trust prompt (--skip-trust; headless runs otherwise exit in an untrusted folder).",
    ),
    extra_args: extraArgs("gemini"),
  },
  opencode: { model: model(), extra_args: extraArgs("opencode") },
  amp: {
    model: opt(text("Label shown as the model under answers (amp picks its model from the mode).")),
    mode: opt(oneOf(AMP_MODES, { description: "Amp mode (--mode); a chat's /model overrides it." })),
    dangerously_allow_all: bool(false, "Allow every tool without asking (--dangerously-allow-all). Dangerous."),
    stream_json_input: bool(false, "Send prompts as stream-json on stdin (--stream-json-input)."),
    extra_args: extraArgs("amp"),
  },
} as const satisfies Record<ConfigurableEngineId, TProperties>;

type EngineProps = typeof EngineSchemas;
type EngineTables = { [K in ConfigurableEngineId]: TObject<EngineProps[K]> };
type TopLevelEngineTables = { [K in ConfigurableEngineId]: TOptional<TObject<EngineProps[K]>> };

function engineTables<T>(make: (id: ConfigurableEngineId) => TSchema): T {
  // One table per id of CONFIGURABLE_ENGINE_IDS; the mapped types above give each its own static type.
  return Object.fromEntries(CONFIGURABLE_ENGINE_IDS.map((id) => [id, make(id)])) as T;
}

/** `[engines.<id>]`: exists with its defaults even when absent from the file. */
export const EngineTableSchemas = engineTables<EngineTables>((id) =>
  table(EngineSchemas[id], `Settings of the ${id} engine.`),
);

export const EnginesSchema = table(
  EngineTableSchemas,
  "Engine settings; [engines.<id>] and top-level [<id>] are both accepted.",
);

/** Top-level `[<id>]`, the older layout: moved under `engines` on load. */
const TopLevelEngineSchemas = engineTables<TopLevelEngineTables>((id) =>
  opt(strictObject(EngineSchemas[id], `Same as [engines.${id}].`)),
);

type EngineOptionsById = { [K in ConfigurableEngineId]: Static<EngineTables[K]> };
/** An engine's options as the engine module takes them (defaults applied). */
export type EngineOptions<K extends ConfigurableEngineId> = EngineOptionsById[K];
/** Any engine's options: what every table has (`model`, `extra_args`) can be read from it. */
export type AnyEngineOptions = EngineOptionsById[ConfigurableEngineId];

// ---- [triggers] -----------------------------------------------------------------------------

export const WEBHOOK_ACTIONS = ["agent_run", "file_write", "http_forward", "notify_only"] as const;

export const ServerSchema = table(
  {
    host: Type.String({ default: "127.0.0.1", minLength: 1, description: "Bind address." }),
    port: int(9876, "Port.", 1, 65535),
    public_host: opt(
      text(
        "Host header a reverse proxy forwards (e.g. hooks.example.com, with :port if not the default); requests naming any other host than this or the bind address are refused.",
      ),
    ),
    rate_limit: int(60, "Requests per minute, per webhook; all webhooks together get rate_limit × their number.", 1),
    max_body_bytes: int(1048576, "Largest request body.", 1024, 10485760),
    peer_failures_per_minute: int(
      30,
      "Failed requests (bad signature or token, oversized or broken body) one peer address may cause per minute, in a burst of as many; past them its requests get 429 unread. IPv6 peers count per /64. Requests that authenticate never count. 0 turns this off (behind a reverse proxy every sender shares the proxy's address: limit per client there).",
      0,
    ),
  },
  "The webhook HTTP server.",
);

export const WebhookSchema = strictObject(
  {
    id: text("Unique id (used in logs and notifications)."),
    path: Type.String({ description: "URL path, e.g. /hooks/github (unique, not /health)." }),
    project: opt(text("Project the run happens in.")),
    engine: opt(engineId("Engine for the run.")),
    chat_id: opt(Type.Integer({ description: "Chat notified; default transports.telegram.chat_id." })),
    auth: oneOf(WEBHOOK_AUTH_MODES, {
      default: "bearer",
      description: "How requests are authenticated; every mode but none needs secret.",
    }),
    secret: opt(secret("Shared secret (secret), at least 16 characters.")),
    prompt_template: opt(text("Prompt for agent_run, with {{ payload.field }} placeholders.")),
    event_filter: opt(text("Only this X-GitHub-Event / X-Event-Type is handled.")),
    accept_multipart: bool(false, "Accept multipart file uploads."),
    file_destination: opt(
      text("Upload path relative to the project (template with file.filename); default incoming/webhooks/ID/FILENAME."),
    ),
    max_file_size_bytes: int(52428800, "Largest uploaded file.", 1024, 104857600),
    action: oneOf(WEBHOOK_ACTIONS, { default: "agent_run", description: "What a request does." }),
    file_path: opt(text("file_write: target path (template).")),
    on_conflict: oneOf(["overwrite", "append_timestamp", "error"], {
      default: "overwrite",
      description: "file_write: what to do when the file exists.",
    }),
    forward_url: opt(
      text(
        'http_forward: target URL (http or https; may be a template, even wholly "{{ url }}": the rendered URL is checked, SSRF guard included).',
      ),
    ),
    forward_headers: opt(headers("http_forward: extra headers (credential-like values are secret).")),
    forward_method: oneOf(["POST", "PUT", "PATCH"], { default: "POST", description: "http_forward: method." }),
    message_template: opt(text("notify_only: message (template).")),
    notify_on_success: bool(false, "Notify the chat when the action succeeds."),
    notify_on_failure: bool(false, "Notify the chat when the action fails."),
  },
  "A webhook.",
);

export const FetchSchema = strictObject(
  {
    type: oneOf(["http_get", "http_post", "file_read"], { description: "What to fetch before the run." }),
    url: opt(text("http_get/http_post: URL (http or https).")),
    headers: opt(headers("Request headers (credential-like values are secret).")),
    body: opt(Type.String({ description: "http_post: body (template)." })),
    file_path: opt(text("file_read: path.")),
    timeout_seconds: num(15, "Timeout.", 1, 60),
    parse_as: oneOf(["json", "text", "lines"], { default: "text", description: "How the result is parsed." }),
    store_as: Type.String({ default: "fetch_result", minLength: 1, description: "Template variable name." }),
    on_failure: oneOf(["abort", "run_with_error"], {
      default: "abort",
      description: "Skip the run, or run with the error text.",
    }),
    max_bytes: int(10485760, "Largest response.", 1024, 104857600),
  },
  "Data fetched before a cron run.",
);

export const CronSchema = strictObject(
  {
    id: text("Unique id."),
    schedule: Type.String({ description: "Five-field cron expression, e.g. '0 9 * * 1-5'." }),
    project: opt(text("Project the run happens in.")),
    engine: opt(engineId("Engine for the run.")),
    chat_id: opt(Type.Integer({ description: "Chat of the run; default transports.telegram.chat_id." })),
    prompt: opt(text("Prompt (this or prompt_template is required).")),
    prompt_template: opt(text("Prompt with {{ fetch_result }} placeholders.")),
    timezone: opt(text("IANA time zone, e.g. Europe/Berlin; default triggers.default_timezone.")),
    fetch: opt(FetchSchema),
    run_once: bool(false, "Fire once, then stay disabled."),
    permission_mode: opt(text("Claude permission mode for the run.")),
  },
  "A scheduled run.",
);

export const TriggersSchema = table(
  {
    enabled: bool(false, "Master switch for webhooks and crons (read at start)."),
    default_timezone: opt(text("IANA time zone for crons; default the system's.")),
    allow_unauthenticated_webhooks: bool(false, 'Allow auth = "none" webhooks on a non-loopback host.'),
    server: ServerSchema,
    webhooks: Type.Array(WebhookSchema, { default: [], description: "[[triggers.webhooks]] entries." }),
    crons: Type.Array(CronSchema, { default: [], description: "[[triggers.crons]] entries." }),
  },
  "Webhooks and scheduled runs.",
);

// ---- the whole file -------------------------------------------------------------------------

export const ConfigSchema = Type.Object(
  {
    watch_config: bool(false, "Reload the config when the file changes."),
    default_engine: oneOf(ENGINE_IDS, { default: "codex", description: "Engine for new threads." }),
    default_project: opt(text("Project used when a message names none.")),
    transport: oneOf(["telegram"], { default: "telegram", description: "Transport (telegram only)." }),
    transports: strictObject({ telegram: TelegramSchema }, "Transport settings."),
    projects: Type.Record(Type.String(), ProjectSchema, {
      default: {},
      description: "[projects.<alias>] tables.",
    }),
    plugins: PluginsSchema,
    security: SecuritySchema,
    triggers: TriggersSchema,
    engines: EnginesSchema,
    ...TopLevelEngineSchemas,
    progress: ProgressSchema,
    footer: FooterSchema,
    preamble: PreambleSchema,
    cost_budget: CostBudgetSchema,
    history: HistorySchema,
    loop: LoopSchema,
    auto_continue: AutoContinueSchema,
    watchdog: WatchdogSchema,
  },
  { additionalProperties: false, description: "untether.toml" },
);

// ---- static types ---------------------------------------------------------------------------

/** The file as written (secrets as plain strings). */
export type ConfigFile = Static<typeof ConfigSchema>;
type Decoded = StaticDecode<typeof ConfigSchema>;
/** The loaded config: defaults applied, secrets wrapped, engine tables only under `engines`. */
export type Config = Omit<Decoded, ConfigurableEngineId>;
export type TelegramConfig = Config["transports"]["telegram"];
export type FilesConfig = TelegramConfig["files"];
export type TopicsConfig = TelegramConfig["topics"];
export type ProjectConfig = StaticDecode<typeof ProjectSchema>;
export type SecurityConfig = Config["security"];
export type ProgressConfig = Config["progress"];
export type FooterConfig = Config["footer"];
export type PreambleConfig = Config["preamble"];
export type CostBudgetConfig = Config["cost_budget"];
export type HistoryConfig = Config["history"];
export type LoopConfig = Config["loop"];
export type AutoContinueConfig = Config["auto_continue"];
export type WatchdogConfig = Config["watchdog"];
export type EnginesConfig = Config["engines"];
export type CodexConfig = EnginesConfig["codex"];
export type ClaudeConfig = EnginesConfig["claude"];
export type PiConfig = EnginesConfig["pi"];
export type GeminiConfig = EnginesConfig["gemini"];
export type OpencodeConfig = EnginesConfig["opencode"];
export type AmpConfig = EnginesConfig["amp"];
export type TriggersConfig = Config["triggers"];
export type ServerConfig = TriggersConfig["server"];
export type WebhookConfig = StaticDecode<typeof WebhookSchema>;
export type CronConfig = StaticDecode<typeof CronSchema>;
export type FetchConfig = StaticDecode<typeof FetchSchema>;
export type WebhookAuth = WebhookConfig["auth"];
export type WebhookAction = WebhookConfig["action"];

/** JSON Schema of untether.toml for editors (e.g. Taplo / Even Better TOML `$schema`). */
export function configJsonSchema(): Record<string, unknown> {
  // JSON round trip drops TypeBox's symbol keys and our internal marker keywords stay harmless.
  const schema = JSON.parse(JSON.stringify(ConfigSchema)) as Record<string, unknown>;
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "untether.toml",
    ...schema,
  };
}
