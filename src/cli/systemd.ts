// `untether service install|uninstall|status [--user|--system] [--dry-run]`: the systemd unit that
// keeps the bot running across crashes, logouts and reboots (src/cli/systemd-unit.ts renders it).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { VERSION } from "../version.ts";
import { type CliContext, EXIT } from "./context.ts";
import {
  journalctl,
  renderUnit,
  type ServiceScope,
  systemctl,
  systemdWord,
  UNIT_NAME,
  unitDir,
} from "./systemd-unit.ts";
import { SERVICE_USAGE } from "./usage.ts";

interface ServiceArgs {
  action: "install" | "uninstall" | "status";
  scope: ServiceScope;
  dryRun: boolean;
}

function parse(args: string[]): ServiceArgs | string {
  const [action, ...flags] = args;
  if (action !== "install" && action !== "uninstall" && action !== "status")
    return action === undefined ? "missing action" : `unknown action: ${action}`;
  let scope: ServiceScope | undefined;
  let dryRun = false;
  for (const f of flags) {
    if (f === "--user" || f === "--system") {
      const s = f === "--user" ? "user" : "system";
      if (scope !== undefined && scope !== s) return "--user and --system exclude each other";
      scope = s;
    } else if (f === "--dry-run" && action === "install") dryRun = true;
    else return `unexpected argument: ${f}`;
  }
  // root has no login session to linger in: its service is a system one unless asked otherwise.
  return { action, scope: scope ?? (process.getuid?.() === 0 ? "system" : "user"), dryRun };
}

/** The command line that starts this very program: the compiled binary, or bun + main.ts from a checkout. */
function selfCommand(): string[] {
  return Bun.main.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, Bun.main];
}

function homeOf(env: Record<string, string | undefined>): string {
  return env.HOME !== undefined && env.HOME !== "" ? env.HOME : homedir();
}

/** The account the service is for: the one that ran sudo, else this one. */
function accountName(env: Record<string, string | undefined>): string {
  return env.SUDO_USER || env.USER || env.LOGNAME || userInfo().username;
}

function writeUnitFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
}

/** `loginctl enable-linger USER`: a user unit then starts at boot and outlives the login session. */
function enableLinger(ctx: CliContext, user: string): boolean {
  const loginctl = Bun.which("loginctl", { PATH: ctx.env.PATH ?? "" });
  if (!loginctl) return false;
  const r = Bun.spawnSync([loginctl, "enable-linger", user], {
    env: { PATH: ctx.env.PATH ?? "/usr/bin:/bin" },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  return r.exitCode === 0;
}

function install(a: ServiceArgs, ctx: CliContext): number {
  const user = accountName(ctx.env);
  const unit = renderUnit({
    scope: a.scope,
    exec: selfCommand(),
    configPath: ctx.configPath,
    path: ctx.env.PATH,
    user,
    version: VERSION,
  });
  if (a.dryRun) {
    ctx.out.write(unit);
    return EXIT.ok;
  }
  if (!existsSync(ctx.configPath)) {
    ctx.err.write(
      `error: no config at ${ctx.configPath}: the service would fail at every start. Create it first (untether config set transports.telegram.bot_token -), or pass --config PATH.\n`,
    );
    return EXIT.usage;
  }
  const path = join(unitDir(a.scope, ctx.env, homeOf(ctx.env)), UNIT_NAME);
  try {
    writeUnitFile(path, unit);
  } catch (e) {
    const hint = a.scope === "system" ? " (a system unit needs root: sudo untether service install --system)" : "";
    ctx.err.write(`error: cannot write ${path}: ${(e as Error).message}${hint}\n`);
    return EXIT.failure;
  }
  ctx.out.write(`wrote ${path}\n`);
  if (a.scope === "user") {
    if (enableLinger(ctx, user))
      ctx.out.write(`linger enabled for ${user}: the bot starts at boot and keeps running after you log out\n`);
    else
      ctx.out.write(
        `could not enable linger; without it the bot stops when you log out. Run:\n  sudo loginctl enable-linger ${user}\n`,
      );
  } else if (user === "root") {
    ctx.err.write("warning: the bot and its agents will run as root; a user unit (--user) is safer\n");
  }
  const sc = systemctl(a.scope);
  ctx.out.write(
    [
      "start it now and at every boot:",
      `  ${sc} daemon-reload && ${sc} enable --now untether`,
      "logs (JSON lines, secrets redacted):",
      `  ${journalctl(a.scope)}`,
      "state:",
      `  ${sc} status untether`,
      "",
    ].join("\n"),
  );
  return EXIT.ok;
}

function uninstall(a: ServiceArgs, ctx: CliContext): number {
  const path = join(unitDir(a.scope, ctx.env, homeOf(ctx.env)), UNIT_NAME);
  if (!existsSync(path)) {
    ctx.out.write(`no unit at ${path}\n`);
    return EXIT.ok;
  }
  const sc = systemctl(a.scope);
  ctx.out.write(`stop and disable it first if it runs:\n  ${sc} disable --now untether\n`);
  try {
    rmSync(path);
  } catch (e) {
    ctx.err.write(`error: cannot remove ${path}: ${(e as Error).message}\n`);
    return EXIT.failure;
  }
  ctx.out.write(`removed ${path}\nthen:\n  ${sc} daemon-reload\n`);
  return EXIT.ok;
}

function status(a: ServiceArgs, ctx: CliContext): number {
  const path = join(unitDir(a.scope, ctx.env, homeOf(ctx.env)), UNIT_NAME);
  if (!existsSync(path)) {
    ctx.out.write(`no unit at ${path} (untether service install --${a.scope} writes it)\n`);
    return EXIT.failure;
  }
  const text = readFileSync(path, "utf8");
  const execStart = /^ExecStart=(.*)$/m.exec(text)?.[1] ?? "";
  const self = selfCommand().map(systemdWord).join(" ");
  ctx.out.write(`unit: ${path}\nExecStart=${execStart}\n`);
  if (!execStart.startsWith(`${self} `))
    ctx.out.write(`note: the unit starts another binary than this one (${self}); run service install again\n`);
  const sc = systemctl(a.scope);
  ctx.out.write(`running or not: ${sc} status untether\nlogs: ${journalctl(a.scope)}\n`);
  return EXIT.ok;
}

export function serviceCommand(args: string[], ctx: CliContext): number {
  if (args.includes("--help") || args.includes("-h")) {
    ctx.out.write(SERVICE_USAGE);
    return EXIT.ok;
  }
  const a = parse(args);
  if (typeof a === "string") {
    ctx.err.write(`error: ${a}\n${SERVICE_USAGE}`);
    return EXIT.usage;
  }
  if (a.action === "install") return install(a, ctx);
  if (a.action === "uninstall") return uninstall(a, ctx);
  return status(a, ctx);
}
