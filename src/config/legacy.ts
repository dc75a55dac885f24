// Inert compatibility keys: accepted from the original Untether's untether.toml (so an existing
// file loads unchanged) and validated like any other key, but without effect in this version.
// Each node is marked `inert` (docs/config.md lists them from that marker); schema.ts composes these
// tables and keys into the tables they belong to. A key that starts doing something moves back to
// schema.ts and loses its marker.
import { bool, inert, int, num, strings, table } from "./schema-kit.ts";

// ---- keys inside tables that otherwise work ------------------------------------------------

/** In [transports.telegram]. */
export const LegacyTelegramProps = {};

/** In [footer]. */
export const LegacyFooterProps = {
  show_subscription_usage: inert(bool(false, "Show subscription usage under the answer.")),
};

/** In [watchdog], beside the keys that act (schema.ts). */
export const LegacyWatchdogProps = {
  reap_orphans: inert(bool(true, "Kill processes an engine left behind.")),
  subagent_timeout: inert(num(900, "Seconds a subagent may run before a warning.", 60, 7200)),
  detect_stuck_after_tool_result: inert(bool(false, "Detect engines silent after a tool result.")),
  stuck_after_tool_result_timeout: inert(num(300, "Seconds of that silence before acting.", 60, 1800)),
  stuck_after_tool_result_recovery_enabled: inert(bool(true, "Try to recover (stop MCP adapters, then cancel).")),
  stuck_after_tool_result_recovery_delay: inert(num(60, "Seconds between recovery steps.", 10, 600)),
  detect_catalog_staleness: inert(bool(true, "Warn when MCP servers are not connected.")),
  notify_catalog_refresh: inert(bool(false, "Ask Claude for MCP status after tool results (experimental).")),
  catalog_refresh_min_interval_s: inert(num(5, "Least seconds between such requests.", 0, 60)),
  stream_idle_auto_retry: inert(bool(false, "Resume once after a mid-answer stream stall.")),
  stream_idle_max_retries: inert(int(1, "Retries after stream stalls.", 1, 3)),
  post_result_idle_enabled: inert(bool(true, "Close an idle Claude process after its result.")),
  post_result_idle_timeout: inert(num(600, "Seconds idle after a result before closing.", 30, 3600)),
  pre_result_silence_timeout: inert(
    num(3600, "Seconds of silence before any result that end a run (0 = off).", 0, 86400),
  ),
  post_result_limbo_grace: inert(num(60, "Seconds before stopping a process held open only by leftovers.", 0, 600)),
  post_result_bg_max_hold: inert(num(1800, "Longest hold for live background work after a result.", 0, 7200)),
  bash_grace_seconds: inert(num(60, "No stall warning within this many seconds of a Bash call.", 5, 300)),
};

// ---- whole tables ---------------------------------------------------------------------------

export const PluginsSchema = inert(
  table({ enabled: strings([], "Allowlist of plugin ids (none are shipped yet).") }, "Plugins."),
);

export const LoopSchema = inert(
  table(
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
  ),
);

export const AutoContinueSchema = inert(
  table(
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
  ),
);
