// `untether demo`: everything in one process and nothing on the internet — the Bot API emulator, a
// Telegram-like chat page served from the binary, and the bot pointed at the emulator with
// allow_any_user (so `security.allow_any_user` is logged), a throwaway state dir and demo project.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logAccessPolicy } from "../config/access.ts";
import { ConfigError } from "../config/errors.ts";
import { buildConfig } from "../config/load.ts";
import { type Config, ENGINE_IDS } from "../config/schema.ts";
import { type Emulator, startEmulator } from "../emulator/index.ts";
import { demoPages } from "../emulator/web/pages.ts";
import { type CliContext, EXIT } from "./context.ts";
import { serve, signalPromise } from "./run.ts";

export const DEMO_USAGE = `usage: untether demo [--port N] [--engine ENGINE] [--open]

Runs Untether offline: a local Telegram Bot API emulator, a chat page at
http://127.0.0.1:PORT/ and the bot, with a throwaway state directory and a demo
project. No bot token and no internet needed. Stop with Ctrl-C.

options:
  --port N         port of the chat page on 127.0.0.1 (default 8642; 0 picks a free one)
  --engine ENGINE  mock (default, built in) or an installed engine: ${ENGINE_IDS.filter((e) => e !== "mock").join(", ")}
  --open           open the page in the default browser (xdg-open / open) with a single-use
                   URL; the access key never appears on a command line
`;

interface DemoArgs {
  port: number;
  engine: string;
  open: boolean;
}

function parseArgs(args: string[]): DemoArgs | string {
  const out: DemoArgs = { port: 8642, engine: "mock", open: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--port") {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < 0 || v > 65535) return "--port needs a number from 0 to 65535";
      out.port = v;
    } else if (a === "--engine") {
      const v = (args[++i] ?? "").toLowerCase();
      if (!(ENGINE_IDS as readonly string[]).includes(v)) return `--engine must be one of: ${ENGINE_IDS.join(", ")}`;
      out.engine = v;
    } else if (a === "--open") {
      out.open = true;
    } else {
      return `unknown argument: ${a}`;
    }
  }
  return out;
}

function seedProject(dir: string): void {
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(
    join(dir, "README.md"),
    "# Demo project\n\nA small project for the Untether demo. Ask the agent about it.\n",
  );
  writeFileSync(
    join(dir, "src", "app.ts"),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the file written is TypeScript with a template literal.
    "export function greet(name: string): string {\n  return `Hello, ${name}!`;\n}\n",
  );
  // Present so a user can see the deny rules at work: `/file get .env` is refused.
  writeFileSync(join(dir, ".env"), "DEMO_SECRET=this-file-is-never-sent\n");
}

export async function demoCommand(args: string[], ctx: CliContext): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    ctx.out.write(DEMO_USAGE);
    return EXIT.ok;
  }
  const parsed = parseArgs(args);
  if (typeof parsed === "string") {
    ctx.err.write(`error: ${parsed}\n${DEMO_USAGE}`);
    return EXIT.usage;
  }
  const work = mkdtempSync(join(tmpdir(), "untether-demo-"));
  const stateDir = join(work, "state");
  const project = join(work, "project");
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  seedProject(project);
  let emu: Emulator | undefined;
  try {
    const pages = demoPages();
    // The page can run a real agent (--engine claude…): only the person who started the demo gets in.
    const accessKey = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url");
    try {
      emu = await startEmulator({
        botUsername: "untether_demo_bot",
        botName: "Untether",
        port: parsed.port,
        pages,
        accessKey,
      });
    } catch (e) {
      ctx.err.write(
        `error: cannot listen on 127.0.0.1:${parsed.port} (${(e as Error).message}); pick another with --port\n`,
      );
      return EXIT.failure;
    }
    const you = emu.addUser({ firstName: "You", username: "you" });
    const chat = emu.privateChat(you.id);
    pages["/demo.json"] = {
      contentType: "application/json",
      body: JSON.stringify({ chatId: chat.id, userId: you.id, bot: emu.bot.first_name, engine: parsed.engine }),
    };
    let config: Config;
    try {
      config = buildConfig(
        {
          default_engine: parsed.engine,
          default_project: "demo",
          transports: {
            telegram: {
              bot_token: emu.token,
              chat_id: chat.id,
              allow_any_user: true,
              api_base_url: emu.apiBaseUrl,
              files: { enabled: true },
            },
          },
          projects: { demo: { path: project } },
          progress: { min_render_interval: 1 },
        },
        { baseDir: work, env: ctx.env },
      ).config;
    } catch (e) {
      if (e instanceof ConfigError) {
        ctx.err.write(`error: ${e.message}\n`);
        return EXIT.usage;
      }
      throw e;
    }
    logAccessPolicy(config);
    const url = `http://127.0.0.1:${emu.port}/?key=${accessKey}`;
    const ready = () => {
      ctx.err.write(
        [
          "",
          `  Untether demo is running: ${url}`,
          "",
          `  engine: ${parsed.engine}   project: ${project}`,
          '  try: "hello" · "mock:ask rm -rf build" (Approve/Deny) · "mock:slow" then Cancel',
          '       "/file get README.md" · "/file get .env" (refused) · "mock:outbox report.txt"',
          "",
          "  Ctrl-C stops everything.",
          "",
          "",
        ].join("\n"),
      );
      if (parsed.open && emu?.pageAccess) {
        // The opener's and the browser's command lines are readable by every local user: they get a
        // single-use URL, dead once the browser has exchanged it for the cookie — never the key.
        const openUrl = `http://127.0.0.1:${emu.port}/?once=${emu.pageAccess.issueNonce()}`;
        const opener = process.platform === "darwin" ? "open" : "xdg-open";
        const bin = Bun.which(opener, { PATH: ctx.env.PATH ?? "/usr/bin:/bin" });
        if (bin)
          Bun.spawn([bin, openUrl], {
            env: { PATH: ctx.env.PATH ?? "/usr/bin:/bin", DISPLAY: ctx.env.DISPLAY ?? "", HOME: ctx.env.HOME ?? "" },
            stdout: "ignore",
            stderr: "ignore",
          });
      }
    };
    return await serve({
      config,
      stateDir,
      env: ctx.env,
      stopSignal: signalPromise(),
      graceMs: 3000,
      pollTimeoutSec: 10,
      onReady: ready,
      mockDelayMs: 400,
    });
  } finally {
    await emu?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
