// The systemd unit `untether service install` writes, and where it goes. Pure: no I/O here.
import { isAbsolute, join } from "node:path";

export type ServiceScope = "user" | "system";

export const UNIT_NAME = "untether.service";
/** systemd restarts the bot when it sends no WATCHDOG=1 for this long (it pings every half). */
export const WATCHDOG_SEC = 60;
export const RESTART_SEC = 5;

export interface UnitSpec {
  scope: ServiceScope;
  /** The command that starts this program: the binary, or bun + src/main.ts from a checkout. */
  exec: readonly string[];
  /** Absolute path of the config file the service runs with. */
  configPath: string;
  /** $PATH the agents are looked up in (a systemd service otherwise gets a minimal one). */
  path?: string;
  /** system scope: the account the bot runs as. */
  user?: string;
  version: string;
}

/**
 * Where the unit file goes: the first entry of $SYSTEMD_UNIT_PATH when set (systemd's own override of
 * its unit search path), else $XDG_CONFIG_HOME/systemd/user (~/.config/systemd/user) for a user unit
 * and /etc/systemd/system for a system one.
 */
export function unitDir(scope: ServiceScope, env: Record<string, string | undefined>, home: string): string {
  const override = (env.SYSTEMD_UNIT_PATH ?? "").split(":").find((p) => p !== "" && isAbsolute(p));
  if (override) return override;
  if (scope === "system") return "/etc/systemd/system";
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, ".config"), "systemd", "user");
}

/** One word of a systemd command line or setting: specifiers (%) and variables ($) kept literal, quoted when needed. */
export function systemdWord(s: string): string {
  const literal = s.replace(/%/g, "%%").replace(/\$/g, "$$$$");
  if (literal !== "" && !/[\s"'\\;]/.test(literal)) return literal;
  return `"${literal.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** `systemctl --user` or `systemctl`, as the user should type it. */
export function systemctl(scope: ServiceScope): string {
  return scope === "user" ? "systemctl --user" : "sudo systemctl";
}

export function journalctl(scope: ServiceScope): string {
  return scope === "user" ? "journalctl --user -u untether -f" : "journalctl -u untether -f";
}

export function renderUnit(spec: UnitSpec): string {
  const execStart = [...spec.exec, "--config", spec.configPath, "run"].map(systemdWord).join(" ");
  const lines = [
    `# Written by \`untether service install --${spec.scope}\` (untether ${spec.version}).`,
    "# Run it again after moving the binary or the config; docs/service.md explains every line.",
    "[Unit]",
    "Description=Untether: Telegram remote control for coding agents",
    "Wants=network-online.target",
    "After=network-online.target",
    "# Never give up restarting (the default gives up after 5 starts in 10 s).",
    "StartLimitIntervalSec=0",
    "",
    "[Service]",
    "# READY=1 once polling, STOPPING=1 on stop, WATCHDOG=1 every WatchdogSec/2 (sd_notify).",
    "Type=notify",
    "NotifyAccess=main",
    `ExecStart=${execStart}`,
    ...(spec.scope === "system" && spec.user ? [`User=${systemdWord(spec.user)}`, "WorkingDirectory=~"] : []),
    ...(spec.path ? [`Environment=${systemdWord(`PATH=${spec.path}`)}`] : []),
    "Restart=always",
    `RestartSec=${RESTART_SEC}`,
    `WatchdogSec=${WATCHDOG_SEC}`,
    "# At boot the bot waits for the Bot API (DNS, network) before it is ready: no start timeout.",
    "TimeoutStartSec=infinity",
    "# SIGTERM to the bot only: running agents get their grace period, then the bot cancels them.",
    "KillMode=mixed",
    "NoNewPrivileges=yes",
    "PrivateTmp=yes",
    "ProtectSystem=full",
    "",
    "[Install]",
    `WantedBy=${spec.scope === "user" ? "default.target" : "multi-user.target"}`,
    "",
  ];
  return lines.join("\n");
}
