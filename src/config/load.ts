// Reading untether.toml: file → TOML → legacy migration → schema and rules → defaults and Secret
// wrapping. Everything that can go wrong is a ConfigError that names the path or the key.
import { readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { parse, TomlError } from "smol-toml";
import { logger } from "../log/logger.ts";
import { assertAccessPolicy } from "./access.ts";
import { ConfigError } from "./errors.ts";
import { migrateConfig, type TomlDoc } from "./migrate.ts";
import { displayPath, expandTilde } from "./paths.ts";
import { checkConfigPermissions, configDirWarning } from "./permissions.ts";
import { CONFIGURABLE_ENGINE_IDS, type Config, ConfigSchema } from "./schema.ts";
import { validateDocument } from "./validate.ts";

export interface LoadOptions {
  /** Refuse an empty allowlist (default true: this is what the bot runs). `doctor` may pass false. */
  accessPolicy?: boolean;
  /** Warn `config.insecure_permissions` when group/others can access the file (default true). */
  checkPermissions?: boolean;
  env?: Record<string, string | undefined>;
}

export interface LoadedConfig {
  path: string;
  config: Config;
  /** Legacy keys moved in memory (`bot_token → transports.telegram.bot_token`); the file is untouched. */
  migrated: string[];
}

export function missingConfigMessage(path: string, env: Record<string, string | undefined> = process.env): string {
  return `config file not found: ${displayPath(path, env)}; create it with: untether init (or step by step: untether config set transports.telegram.bot_token -, then paste the token from @BotFather)`;
}

/** Reads and parses the file as a plain TOML document (no validation). */
export function readConfigDocument(path: string, env: Record<string, string | undefined> = process.env): TomlDoc {
  return readConfigSource(path, env).doc;
}

/** The file's text and its parsed document (editors keep the text to preserve comments). */
export function readConfigSource(
  path: string,
  env: Record<string, string | undefined> = process.env,
): { text: string; doc: TomlDoc } {
  let text: string;
  try {
    if (!statSync(path).isFile()) {
      throw new ConfigError("config.not_a_file", `config path ${displayPath(path, env)} exists but is not a file`);
    }
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ConfigError("config.missing", missingConfigMessage(path, env), { cause: e });
    }
    throw new ConfigError(
      "config.unreadable",
      `cannot read ${displayPath(path, env)} (${(e as NodeJS.ErrnoException).code ?? "error"}); check its owner and permissions`,
      { cause: e },
    );
  }
  return { text, doc: parseConfigText(text, displayPath(path, env)) };
}

/** Parses TOML text; a syntax error names the line and column. */
export function parseConfigText(text: string, where = "config"): TomlDoc {
  try {
    return parse(text) as TomlDoc;
  } catch (e) {
    if (e instanceof TomlError) {
      const why = (e.message.split("\n")[0] ?? "").replace(/^Invalid TOML document:\s*/, "");
      throw new ConfigError(
        "config.toml_syntax",
        `${where}: TOML syntax error at line ${e.line}, column ${e.column}: ${why}; fix that line (strings need quotes, e.g. key = "value")`,
        { cause: e },
      );
    }
    throw e;
  }
}

function isTable(v: unknown): v is TomlDoc {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Moves top-level `[codex]`-style tables under `engines` (both layouts are accepted). */
function moveEngineTables(doc: TomlDoc): TomlDoc {
  const out = structuredClone(doc);
  for (const id of CONFIGURABLE_ENGINE_IDS) {
    if (!(id in out)) continue;
    const engines = isTable(out.engines) ? out.engines : {};
    if (id in engines) {
      throw new ConfigError(
        "config.invalid",
        `${id}: both [${id}] and [engines.${id}] are set; keep only [engines.${id}]`,
        {
          key: id,
        },
      );
    }
    engines[id] = out[id];
    delete out[id];
    out.engines = engines;
  }
  return out;
}

/**
 * Validates a TOML document and returns the runtime config (defaults applied, secrets wrapped,
 * project paths absolute). `baseDir` is where relative project paths start (the config's folder).
 */
export function buildConfig(
  doc: TomlDoc,
  opts: { baseDir?: string; accessPolicy?: boolean; env?: Record<string, string | undefined> } = {},
): { config: Config; migrated: string[] } {
  const { doc: migratedDoc, changes } = migrateConfig(doc);
  const tg =
    isTable(migratedDoc.transports) && isTable(migratedDoc.transports.telegram)
      ? migratedDoc.transports.telegram
      : undefined;
  // A blank optional key is treated as unset rather than as an invalid key.
  if (tg && typeof tg.voice_transcription_api_key === "string" && tg.voice_transcription_api_key.trim() === "") {
    delete tg.voice_transcription_api_key;
  }
  validateDocument(migratedDoc);
  const normalized = Value.Default(ConfigSchema, moveEngineTables(migratedDoc));
  const config = Value.Decode(ConfigSchema, normalized) as Config;
  const baseDir = opts.baseDir ?? process.cwd();
  for (const project of Object.values(config.projects)) {
    const p = expandTilde(project.path, opts.env);
    project.path = isAbsolute(project.path) || project.path.startsWith("~") ? p : resolve(baseDir, project.path);
  }
  if (opts.accessPolicy !== false) assertAccessPolicy(config);
  return { config, migrated: changes };
}

/** Loads the config the bot runs with. */
export function loadConfig(path: string, opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const doc = readConfigDocument(path, env);
  if (opts.checkPermissions !== false) {
    const warning = checkConfigPermissions(path);
    if (warning)
      logger().warn({ path: warning.path, mode: warning.mode, fix: warning.fix }, "config.insecure_permissions");
    // The folder also holds the state database and the lock; its mode is reported, never changed.
    const dirWarning = configDirWarning(dirname(path));
    if (dirWarning)
      logger().warn(
        { path: dirWarning.path, mode: dirWarning.mode, fix: dirWarning.fix },
        "config.dir_insecure_permissions",
      );
  }
  const { config, migrated } = buildConfig(doc, { baseDir: dirname(path), accessPolicy: opts.accessPolicy, env });
  if (migrated.length > 0) {
    logger().info(
      { path, moved: migrated, fix: "run any `untether config set` to save the new layout" },
      "config.migrated",
    );
  }
  return { path, config, migrated };
}
