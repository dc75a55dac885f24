// The one schema of untether.toml: keys, types, defaults, ranges and a line of meaning for each
// (docs/config.md is generated from these descriptions). Every table forbids unknown keys. Secret
// values decode to `Secret` so nothing downstream can print them by accident.
import {
  type StaticDecode,
  type Static,
  type TLiteral,
  type TSchema,
  type TUnion,
  type TObject,
  type TProperties,
  Type,
} from "@sinclair/typebox";
import { Secret } from "../log/secret.ts";

export const ENGINE_IDS = ["codex", "claude", "pi", "gemini", "opencode", "amp", "mock"] as const;
export type EngineId = (typeof ENGINE_IDS)[number];
/** Engines that have a config table (`[engines.<id>]` or top-level `[<id>]`); mock has none. */
export const CONFIGURABLE_ENGINE_IDS = ["codex", "claude", "pi", "gemini", "opencode", "amp"] as const;
export type ConfigurableEngineId = (typeof CONFIGURABLE_ENGINE_IDS)[number];

export const DEFAULT_TELEGRAM_API_BASE_URL = "https://api.telegram.org";

// Right-anchored globs (matched at any depth); the first five are the ones DESIGN.md requires.
export const DEFAULT_DENY_GLOBS = [
  ".git/**",
  ".env",
  ".envrc",
  "**/*.pem",
  "**/.ssh/**",
  "**/.env",
  "**/.env.*",
  "**/.envrc",
  "**/*.key",
  "**/id_rsa",
  "**/id_ed25519",
  "**/.netrc",
  "**/.npmrc",
  "**/.pypirc",
] as const;

// ---- small builders -------------------------------------------------------------------------

type Lits<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };

function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  opts: { default?: T[number]; description: string },
): TUnion<Lits<T>> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    opts,
  ) as unknown as TUnion<Lits<T>>;
}

const bool = (value: boolean, description: string) => Type.Boolean({ default: value, description });
const int = (value: number, description: string, min?: number, max?: number) =>
  Type.Integer({ default: value, description, minimum: min, maximum: max });
const num = (value: number, description: string, min?: number, max?: number) =>
  Type.Number({ default: value, description, minimum: min, maximum: max });
const text = (description: string) => Type.String({ minLength: 1, pattern: "\\S", description });
const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);
const strings = (value: readonly string[], description: string) =>
  Type.Array(Type.String(), { default: [...value], description });
const ints = (description: string) => Type.Array(Type.Integer(), { default: [], description });

/** A table that exists (with its defaults) even when absent from the file. */
function table<P extends TProperties>(props: P, description: string): TObject<P> {
  return Type.Object(props, { additionalProperties: false, default: {}, description });
}

/** A table that stays absent unless written. */
function strictObject<P extends TProperties>(props: P, description: string): TObject<P> {
  return Type.Object(props, { additionalProperties: false, description });
}

/** A secret string in the file; a `Secret` once loaded. */
const secret = (description: string) =>
  Type.Transform(Type.String({ minLength: 1, pattern: "\\S", description, secret: true }))
    .Decode((v) => new Secret(v.trim()))
    .Encode((s) => s.reveal());

// Header names that carry credentials: their values are wrapped in Secret on load.
export const SECRET_HEADER_RE = /authorization|token|secret|api[-_]?key|cookie|signature|password/i;

/** Header map: every value a string; credential-like ones decode to Secret. */
const headers = (description: string) =>
  Type.Transform(Type.Record(Type.String(), Type.String(), { description, secretHeaders: true }))
    .Decode((h) => {
      const out: Record<string, string | Secret> = {};
      for (const [k, v] of Object.entries(h)) out[k] = SECRET_HEADER_RE.test(k) ? new Secret(v) : v;
      return out;
    })
    .Encode((h) => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(h)) out[k] = typeof v === "string" ? v : v.reveal();
      return out;
    });

const engineId = (description: string) => oneOf(ENGINE_IDS, { description });

// ---- [transports.telegram] ------------------------------------------------------------------

export const FilesSchema = table(
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
      default: [...DEFAULT_DENY_GLOBS],
      description: "Paths never read or written, matched at any depth (the defaults are always kept in mind).",
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
);

export const TopicsSchema = table(
  {
    enabled: bool(false, "Use forum topics as separate threads."),
    scope: oneOf(["auto", "main", "projects", "all"], {
      default: "auto",
      description: "Which chats use topics.",
    }),
  },
  "Forum topics.",
);

export const TelegramSchema = strictObject(
  {
    bot_token: secret("Bot token from @BotFather (secret; masked in logs and `config list`)."),
    chat_id: Type.Integer({ description: "Default chat: startup message and trigger notifications." }),
    api_base_url: Type.String({
      default: DEFAULT_TELEGRAM_API_BASE_URL,
      description: "Bot API base URL (http or https), e.g. a local Bot API server or the demo emulator.",
    }),
    allowed_user_ids: ints("Telegram user ids allowed to use the bot. Empty refuses to start unless allow_any_user."),
    allow_any_user: bool(false, "Open the bot to anyone who finds it. For demos only."),
    message_overflow: oneOf(["trim", "split"], {
      default: "split",
      description: "Answers longer than Telegram's limit: split into several messages or trim.",
    }),
    voice_transcription: bool(false, "Transcribe voice notes and run them as prompts."),
    voice_max_bytes: int(10485760, "Largest voice note transcribed, in bytes.", 1),
    voice_transcription_model: Type.String({
      default: "gpt-4o-mini-transcribe",
      minLength: 1,
      description: "Transcription model name.",
    }),
    voice_transcription_base_url: opt(
      Type.String({ description: "OpenAI-compatible endpoint (http or https); default OpenAI." }),
    ),
    voice_transcription_api_key: opt(secret("API key for the transcription endpoint (secret).")),
    voice_transcription_language: opt(
      Type.Transform(
        Type.String({ pattern: "^[A-Za-z]{2,3}$", description: "ISO-639-1 language hint such as 'en'." }),
      )
        .Decode((v) => v.toLowerCase())
        .Encode((v) => v),
    ),
    voice_show_transcription: bool(true, "Echo the transcribed text before running it."),
    voice_transcription_url_allowlist: strings(
      [],
      "CIDRs or IPs the transcription endpoint may resolve to even if private (e.g. a local Whisper).",
    ),
    session_mode: oneOf(["stateless", "chat"], {
      default: "stateless",
      description: "stateless: reply to continue a run; chat: one ongoing session per chat.",
    }),
    show_resume_line: bool(true, "Show the engine's resume command under answers."),
    approval_timeout_s: int(300, "Seconds an engine's permission request (Approve/Deny) waits before it is denied.", 10, 86400),
    forward_coalesce_s: num(1.0, "Seconds to wait for more forwarded messages before running.", 0),
    media_group_debounce_s: num(1.0, "Seconds to wait for the rest of an album.", 0),
    topics: TopicsSchema,
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

export const SecuritySchema = table(
  {
    env_audit: bool(true, "Check a running Claude's environment once per run and warn about leaked variables."),
    env_extra_allow: strings([], "Extra environment variable names passed to engines (e.g. VAULT_ADDR)."),
    env_extra_prefix_allow: strings([], "Extra name prefixes passed to engines (e.g. VAULT_). Credential-looking names under a prefix (*_TOKEN, *_SECRET, *_PASSWORD, *_KEY, URLs with a password) pass only when listed in env_extra_allow."),
  },
  "Engine environment policy.",
);

// ---- per-run behaviour ----------------------------------------------------------------------

export const ProgressSchema = table(
  {
    verbosity: oneOf(["compact", "verbose"], { default: "compact", description: "Progress message detail." }),
    max_actions: int(5, "Actions shown in the progress message.", 0, 50),
    min_render_interval: num(2.0, "Seconds between progress edits.", 0, 30),
    group_chat_rps: Type.Number({
      default: 20 / 60,
      exclusiveMinimum: 0,
      maximum: 10,
      description: "Edits per second allowed in group chats (> 0).",
    }),
    heartbeat_interval: num(30, "Seconds between elapsed-time updates of long actions.", 5, 120),
  },
  "The live progress message.",
);

export const FooterSchema = table(
  {
    show_api_cost: bool(true, "Show the run's API cost under the answer."),
    show_subscription_usage: bool(false, "Show subscription usage under the answer."),
  },
  "Footer of final answers.",
);

export const PreambleSchema = table(
  {
    enabled: bool(true, "Prepend the preamble to prompts."),
    text: opt(Type.String({ description: "Custom preamble; unset = the built-in text." })),
  },
  "Text prepended to every prompt.",
);

export const CostBudgetSchema = table(
  {
    enabled: bool(false, "Track run costs against the limits."),
    max_cost_per_run: opt(Type.Number({ minimum: 0, description: "USD limit per run." })),
    max_cost_per_day: opt(Type.Number({ minimum: 0, description: "USD limit per day." })),
    warn_at_pct: num(70, "Warn at this percentage of a limit.", 0, 100),
    auto_cancel: bool(false, "Cancel a run that exceeds max_cost_per_run."),
  },
  "Cost limits.",
);

export const LoopSchema = table(
  {
    enabled: bool(false, "Follow Claude's ScheduleWakeup/CronCreate loops."),
    inline_threshold_seconds: num(300, "Wakeups sooner than this run inline.", 0),
    redundancy_check_interval: num(30, "Seconds between redundancy checks.", 1),
    max_iterations: int(20, "Most loop iterations.", 1, 10000),
    max_total_duration_hours: num(4, "Longest a loop may run, in hours.", 1, 168),
    min_interval_seconds: num(60, "Shortest interval between iterations.", 60),
    expiry_days: int(7, "Days after which a loop expires.", 1, 30),
  },
  "Agent-scheduled loops (Claude).",
);

export const AutoContinueSchema = table(
  {
    enabled: bool(true, "Resume a Claude run that exited early."),
    max_retries: int(1, "Automatic continues per run.", 0, 3),
    resend_empty_resume: bool(true, "Resend when a resume produced nothing."),
    empty_resume_fresh: bool(true, "Start a fresh session when a resume stays empty."),
    quarantine_on_forced_teardown: bool(true, "Do not resume sessions that were force-killed."),
    serialize_session_owner: bool(true, "Wait for a session's previous process before resuming it."),
    session_handoff_timeout_s: num(30, "Seconds to wait for that handoff.", 0, 300),
    session_handoff_bg_timeout_s: num(600, "Extra wait while background work is still live.", 0, 1800),
  },
  "Automatic continuation (Claude).",
);

export const WatchdogSchema = table(
  {
    liveness_timeout: num(600, "Seconds without output before a stall warning.", 60, 3600),
    stall_auto_kill: bool(false, "Kill a stalled engine."),
    stall_repeat_seconds: num(180, "Seconds between repeated stall warnings.", 30, 600),
    reap_orphans: bool(true, "Kill processes an engine left behind."),
    tool_timeout: num(600, "Seconds a tool may run before a warning.", 60, 7200),
    mcp_tool_timeout: num(900, "Seconds an MCP tool may run before a warning.", 60, 7200),
    subagent_timeout: num(900, "Seconds a subagent may run before a warning.", 60, 7200),
    detect_stuck_after_tool_result: bool(false, "Detect engines silent after a tool result."),
    stuck_after_tool_result_timeout: num(300, "Seconds of that silence before acting.", 60, 1800),
    stuck_after_tool_result_recovery_enabled: bool(true, "Try to recover (stop MCP adapters, then cancel)."),
    stuck_after_tool_result_recovery_delay: num(60, "Seconds between recovery steps.", 10, 600),
    detect_catalog_staleness: bool(true, "Warn when MCP servers are not connected."),
    notify_catalog_refresh: bool(false, "Ask Claude for MCP status after tool results (experimental)."),
    catalog_refresh_min_interval_s: num(5, "Least seconds between such requests.", 0, 60),
    prespawn_ram_warn_mb: int(2000, "Warn before starting an engine below this free RAM (0 = off).", 0, 65536),
    prespawn_ram_block_mb: int(500, "Refuse to start an engine below this free RAM (0 = off).", 0, 65536),
    prespawn_ram_per_run_reserve_mb: int(750, "Extra free RAM required per run already in flight.", 0, 65536),
    max_concurrent_engine_runs: int(0, "Most engine processes at once (0 = unlimited).", 0, 64),
    claude_stream_idle_timeout_ms: int(300000, "Claude's stream idle timeout, in ms.", 30000, 1800000),
    stream_idle_auto_retry: bool(false, "Resume once after a mid-answer stream stall."),
    stream_idle_max_retries: int(1, "Retries after stream stalls.", 1, 3),
    post_result_idle_enabled: bool(true, "Close an idle Claude process after its result."),
    post_result_idle_timeout: num(600, "Seconds idle after a result before closing.", 30, 3600),
    pre_result_silence_timeout: num(3600, "Seconds of silence before any result that end a run (0 = off).", 0, 86400),
    post_result_limbo_grace: num(60, "Seconds before stopping a process held open only by leftovers.", 0, 600),
    post_result_bg_max_hold: num(1800, "Longest hold for live background work after a result.", 0, 7200),
    bash_grace_seconds: num(60, "No stall warning within this many seconds of a Bash call.", 5, 300),
  },
  "Stall detection and resource guards.",
);

// ---- engines --------------------------------------------------------------------------------

const extraArgs = (value: readonly string[]) =>
  strings(value, "Extra command-line arguments (flags Untether manages are refused).");
const model = () => opt(text("Model name passed to the engine."));

export const EngineSchemas = {
  codex: {
    extra_args: extraArgs(["-c", "notify=[]"]),
    profile: opt(text("Codex profile (--profile).")),
  },
  claude: {
    model: model(),
    allowed_tools: strings(["Bash", "Read", "Edit", "Write"], "Tools Claude may use without asking."),
    extra_args: extraArgs([]),
    dangerously_skip_permissions: bool(false, "Skip every permission prompt. Dangerous."),
    use_api_billing: bool(false, "Pass ANTHROPIC_API_KEY to Claude (otherwise removed)."),
    permission_mode: opt(
      oneOf(["default", "plan", "auto", "acceptEdits", "bypassPermissions"], {
        description: "Claude permission mode.",
      }),
    ),
  },
  pi: { model: model(), provider: opt(text("Pi provider.")), extra_args: extraArgs([]) },
  gemini: { model: model(), skip_trust: bool(true, "Skip Gemini's folder trust prompt.") },
  opencode: { model: model() },
  amp: {
    model: model(),
    mode: opt(oneOf(["deep", "free", "rush", "smart"], { description: "Amp mode (--mode)." })),
    dangerously_allow_all: bool(false, "Allow every tool without asking. Dangerous."),
    stream_json_input: bool(false, "Send prompts as stream-json on stdin."),
  },
} as const;

const engineTable = <P extends TProperties>(id: string, props: P) =>
  table(props, `Settings of the ${id} engine.`);
const CodexSchema = engineTable("codex", EngineSchemas.codex);
const ClaudeSchema = engineTable("claude", EngineSchemas.claude);
const PiSchema = engineTable("pi", EngineSchemas.pi);
const GeminiSchema = engineTable("gemini", EngineSchemas.gemini);
const OpencodeSchema = engineTable("opencode", EngineSchemas.opencode);
const AmpSchema = engineTable("amp", EngineSchemas.amp);

export const EnginesSchema = table(
  {
    codex: CodexSchema,
    claude: ClaudeSchema,
    pi: PiSchema,
    gemini: GeminiSchema,
    opencode: OpencodeSchema,
    amp: AmpSchema,
  },
  "Engine settings; [engines.<id>] and top-level [<id>] are both accepted.",
);

// ---- [triggers] -----------------------------------------------------------------------------

export const WEBHOOK_AUTH_MODES = ["bearer", "hmac-sha256", "hmac-sha1", "standard-webhooks", "none"] as const;
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
    forward_url: opt(text("http_forward: target URL (http or https; may be a template, even wholly \"{{ url }}\": the rendered URL is checked, SSRF guard included).")),
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
    allow_unauthenticated_webhooks: bool(false, "Allow auth = \"none\" webhooks on a non-loopback host."),
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
    plugins: table(
      { enabled: strings([], "Allowlist of plugin ids (none are shipped yet).") },
      "Plugins.",
    ),
    security: SecuritySchema,
    triggers: TriggersSchema,
    engines: EnginesSchema,
    codex: opt(strictObject(EngineSchemas.codex, "Same as [engines.codex].")),
    claude: opt(strictObject(EngineSchemas.claude, "Same as [engines.claude].")),
    pi: opt(strictObject(EngineSchemas.pi, "Same as [engines.pi].")),
    gemini: opt(strictObject(EngineSchemas.gemini, "Same as [engines.gemini].")),
    opencode: opt(strictObject(EngineSchemas.opencode, "Same as [engines.opencode].")),
    amp: opt(strictObject(EngineSchemas.amp, "Same as [engines.amp].")),
    progress: ProgressSchema,
    footer: FooterSchema,
    preamble: PreambleSchema,
    cost_budget: CostBudgetSchema,
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
