// Where the config file lives: --config PATH > UNTETHER_CONFIG_PATH > ~/.untether/untether.toml.
// The same rule for every command, the `config` subcommands included (the original forgot those).
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export const DEFAULT_CONFIG_DIR = ".untether";
export const DEFAULT_CONFIG_FILE = "untether.toml";

/** Where the config path came from: `--config`, `$UNTETHER_CONFIG_PATH`, or the default. */
export type ConfigPathSource = "flag" | "env" | "default";

export interface ResolvedConfigPath {
  path: string;
  source: ConfigPathSource;
}

function home(env: Record<string, string | undefined>): string {
  const h = env.HOME;
  return h !== undefined && h !== "" ? h : homedir();
}

/** Expands a leading `~` or `~/` with $HOME; other paths are made absolute. */
export function expandTilde(p: string, env: Record<string, string | undefined> = process.env): string {
  if (p === "~") return home(env);
  if (p.startsWith("~/")) return join(home(env), p.slice(2));
  return resolve(p);
}

export function resolveConfigPath(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): ResolvedConfigPath {
  if (flag !== undefined && flag.trim() !== "") return { path: expandTilde(flag.trim(), env), source: "flag" };
  const fromEnv = env.UNTETHER_CONFIG_PATH;
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    return { path: expandTilde(fromEnv.trim(), env), source: "env" };
  }
  return { path: join(home(env), DEFAULT_CONFIG_DIR, DEFAULT_CONFIG_FILE), source: "default" };
}

/** A path for humans: under $HOME shown as `~/…`. */
export function displayPath(p: string, env: Record<string, string | undefined> = process.env): string {
  const h = home(env);
  if (p === h) return "~";
  return p.startsWith(`${h}/`) ? `~/${p.slice(h.length + 1)}` : p;
}
