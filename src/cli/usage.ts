// Help texts. Kept free of imports so `--help` and `--version` stay fast.

export const MAIN_USAGE = `usage: untether [--config PATH] <command> [options]

Untether turns a Telegram bot into a secure remote control for the AI coding
agents on this server (Claude Code, Codex, Pi, Gemini CLI, OpenCode, Amp).

commands:
  init          set up: bot token (hidden), chat and user from a message, engine, doctor
  run           start the bot (the default when no command is given)
  config        show or change the config file (path, list, get, set, unset)
  doctor        check the config, Telegram, engines and security settings
  chat-id       print the chat id and your user id from the next message to the bot
  pair          print a one-time code that lets a new user join (/pair <code> to the bot)
  demo          offline demo: a local Telegram emulator, a chat page and a mock agent
  service       install, remove or inspect the systemd unit that keeps the bot running

options:
  --config PATH   config file (default: $UNTETHER_CONFIG_PATH, else ~/.untether/untether.toml)
  --version       print the version and exit
  --help, -h      print this help; "untether <command> --help" for a command

environment:
  UNTETHER_CONFIG_PATH   config file path when --config is not given
  UNTETHER_LOG_LEVEL     trace | debug | info (default) | warn | error | silent
  UNTETHER_LOG_FORMAT    json | pretty (default: pretty on a terminal, else JSON lines)
  UNTETHER_SHUTDOWN_GRACE_MS  how long running jobs may finish after SIGTERM (default 20000)

exit codes: 0 ok, 1 failure, 2 usage or validation error
`;

export const RUN_USAGE = `usage: untether [--config PATH] run

Starts the bot: long-polls Telegram, runs the tasks that allowed users send, and
(with [triggers] enabled) serves webhooks and crons. Stop with Ctrl-C or SIGTERM:
running jobs get a grace period, then are cancelled and marked interrupted.
`;

export const SERVICE_USAGE = `usage: untether [--config PATH] service install [--user|--system] [--dry-run]
       untether [--config PATH] service uninstall|status [--user|--system]

install writes a systemd unit that runs this binary with this config (absolute
paths), restarts it always, and uses sd_notify (Type=notify, a watchdog). A user
unit (the default unless root) goes to $XDG_CONFIG_HOME/systemd/user (default
~/.config/systemd/user) and linger is enabled so it runs after logout and at
boot; a system unit goes to /etc/systemd/system and runs as you (or $SUDO_USER).
$SYSTEMD_UNIT_PATH (its first entry) overrides the directory. --dry-run prints
the unit and writes nothing. Then: systemctl --user daemon-reload && systemctl
--user enable --now untether; logs: journalctl --user -u untether -f.
`;
