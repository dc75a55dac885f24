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

options:
  --config PATH   config file (default: $UNTETHER_CONFIG_PATH, else ~/.untether/untether.toml)
  --version       print the version and exit
  --help, -h      print this help; "untether <command> --help" for a command

environment:
  UNTETHER_CONFIG_PATH   config file path when --config is not given
  UNTETHER_LOG_LEVEL     trace | debug | info (default) | warn | error | silent
  UNTETHER_SHUTDOWN_GRACE_MS  how long running jobs may finish after SIGTERM (default 20000)

exit codes: 0 ok, 1 failure, 2 usage or validation error
`;

export const RUN_USAGE = `usage: untether [--config PATH] run

Starts the bot: long-polls Telegram, runs the tasks that allowed users send, and
(with [triggers] enabled) serves webhooks and crons. Stop with Ctrl-C or SIGTERM:
running jobs get a grace period, then are cancelled and marked interrupted.
`;
