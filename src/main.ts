// Entry: argv → one CLI command. Everything heavy (the Bot API client, the webhook server, config parsing) is imported lazily
// behind the command that needs it, so `--version` and `--help` start in a few milliseconds.
import { type CliContext, EXIT } from "./cli/context.ts";
import { MAIN_USAGE } from "./cli/usage.ts";
import { VERSION } from "./version.ts";

const COMMANDS = ["run", "config", "doctor", "chat-id", "demo", "service", "pair", "init"] as const;
type Command = (typeof COMMANDS)[number];

interface ParsedArgs {
  configFlag?: string;
  command?: string;
  rest: string[];
}

class UsageError extends Error {}

function parseGlobal(argv: string[]): ParsedArgs | "version" | "help" {
  let configFlag: string | undefined;
  let i = 0;
  while (i < argv.length) {
    const a = argv[i] as string;
    if (a === "--version" || a === "-V") return "version";
    if (a === "--help" || a === "-h") return "help";
    if (a === "--config") {
      const v = argv[i + 1];
      if (v === undefined || v === "") throw new UsageError("--config needs a path");
      configFlag = v;
      i += 2;
      continue;
    }
    if (a.startsWith("--config=")) {
      configFlag = a.slice("--config=".length);
      if (!configFlag) throw new UsageError("--config needs a path");
      i += 1;
      continue;
    }
    if (a.startsWith("-")) throw new UsageError(`unknown option: ${a}`);
    return { configFlag, command: a, rest: argv.slice(i + 1) };
  }
  return { configFlag, rest: [] };
}

const write = (fd: NodeJS.WriteStream) => ({ write: (t: string) => void fd.write(t) });

async function buildContext(configFlag: string | undefined): Promise<CliContext> {
  const { resolveConfigPath } = await import("./config/paths.ts");
  const env = process.env as Record<string, string | undefined>;
  const resolved = resolveConfigPath(configFlag, env);
  return {
    configPath: resolved.path,
    configPathSource: resolved.source,
    env,
    out: write(process.stdout),
    err: write(process.stderr),
    isTty: process.stdout.isTTY === true,
  };
}

async function dispatch(command: Command, rest: string[], ctx: CliContext): Promise<number> {
  switch (command) {
    case "run":
      return (await import("./cli/run.ts")).runCommand(rest, ctx);
    case "config":
      return (await import("./cli/config.ts")).runConfigCommand(rest, ctx);
    case "doctor":
      return (await import("./cli/doctor.ts")).doctorCommand(rest, ctx);
    case "chat-id":
      return (await import("./cli/chat-id.ts")).chatIdCommand(rest, ctx);
    case "demo":
      return (await import("./cli/demo.ts")).demoCommand(rest, ctx);
    case "service":
      return (await import("./cli/systemd.ts")).serviceCommand(rest, ctx);
    case "init":
      return (await import("./cli/init.ts")).initCommand(rest, ctx);
    case "pair":
      return (await import("./cli/pair.ts")).pairCommand(rest, ctx);
  }
}

export async function main(argv: string[]): Promise<number> {
  // Hidden: the built-in mock engine re-executes this program (see engines/mock.ts).
  if (argv[0] === "__mock-engine") {
    const { runMockEngine } = await import("./engines/mock-engine-main.ts");
    return runMockEngine(argv.slice(1), (line) => void process.stdout.write(line));
  }
  let parsed: ReturnType<typeof parseGlobal>;
  try {
    parsed = parseGlobal(argv);
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n${MAIN_USAGE}`);
    return EXIT.usage;
  }
  if (parsed === "version") {
    process.stdout.write(`untether ${VERSION}\n`);
    return EXIT.ok;
  }
  if (parsed === "help") {
    process.stdout.write(MAIN_USAGE);
    return EXIT.ok;
  }
  const command = parsed.command ?? "run";
  if (!(COMMANDS as readonly string[]).includes(command)) {
    process.stderr.write(`error: unknown command: ${command}\n${MAIN_USAGE}`);
    return EXIT.usage;
  }
  const ctx = await buildContext(parsed.configFlag);
  return dispatch(command as Command, parsed.rest, ctx);
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  // Exit explicitly: an abandoned long poll or a timer must not keep a finished command alive.
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write("", () => resolve()));
  process.exit(code);
}
