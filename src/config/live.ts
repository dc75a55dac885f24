// The config of a running bot, which `watch_config = true` may replace while it runs. Only "hot"
// keys take effect on reload; the rest keep their startup values until a restart, so what
// `current()` returns is always what is actually in effect (never half of a restart-only change).
import { type FSWatcher, readFileSync, statSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { parse } from "smol-toml";
import { logger } from "../log/logger.ts";
import { Secret } from "../log/secret.ts";
import { ConfigError } from "./errors.ts";
import { loadConfig } from "./load.ts";
import { isHotPath } from "./markers.ts";
import { migrateConfig, type TomlDoc } from "./migrate.ts";
import type { Config } from "./schema.ts";

export interface LiveConfig {
  current(): Config;
  /** Called after a reload changed hot keys; returns an unsubscribe function. */
  onChange(fn: (next: Config, prev: Config) => void): () => void;
}

/**
 * True when a changed leaf key takes effect without a restart: its schema node (or a table around
 * it) is marked `reload: "hot"` (see markers.ts). Those keys are read through `current()` on every
 * use; everything else is wired once at startup.
 */
export function isHotKey(path: string): boolean {
  return isHotPath(path);
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Secret);
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** Leaf keys (arrays count as one value) → comparable text; secrets revealed, so never log this. */
function leaves(v: unknown, path: string, out: Map<string, string>): void {
  if (isPlain(v)) {
    for (const [k, x] of Object.entries(v)) leaves(x, join(path, k), out);
    return;
  }
  if (v === undefined) return;
  // The replacer sees values after toJSON (secrets already masked), so read the holder's raw value.
  out.set(
    path,
    JSON.stringify(v, function (this: Record<string, unknown>, k: string, x: unknown) {
      const raw = this[k];
      return raw instanceof Secret ? { secret: raw.reveal() } : x;
    }),
  );
}

export interface ConfigDiff {
  /** Changed keys applied at once. */
  hot: string[];
  /** Changed keys that need a restart. */
  restart: string[];
}

/** Changed leaf key names between two configs, split by whether a reload can apply them. */
export function diffConfig(prev: Config, next: Config): ConfigDiff {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  leaves(prev, "", a);
  leaves(next, "", b);
  const changed = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
  return { hot: changed.filter(isHotKey), restart: changed.filter((k) => !isHotKey(k)) };
}

function mergeHot(prev: unknown, next: unknown, path: string): unknown {
  if (isPlain(prev) || isPlain(next)) {
    const p = isPlain(prev) ? prev : {};
    const n = isPlain(next) ? next : {};
    const out: Record<string, unknown> = {};
    for (const k of new Set([...Object.keys(p), ...Object.keys(n)])) {
      const v = mergeHot(p[k], n[k], join(path, k));
      if (v !== undefined) out[k] = v;
    }
    // A table that appeared with nothing hot in it stays absent until a restart.
    if (Object.keys(out).length === 0 && !isPlain(prev)) return prev;
    return out;
  }
  return isHotKey(path) ? next : prev;
}

/** `prev` with the hot keys of `next`: the config in effect after a reload. */
export function applyHot(prev: Config, next: Config): Config {
  return mergeHot(prev, next, "") as Config;
}

/**
 * The access a refused file still takes away: when the new file is valid TOML but fails validation
 * (an emptied allowlist is such a file), users it no longer lists lose access at once — the old list
 * is never kept wholesale. Nobody gains access from a refused file. Undefined when nothing is revoked.
 */
export function revokedAccess(effective: Config, rawToml: string): Config | undefined {
  let doc: unknown;
  try {
    doc = migrateConfig(parse(rawToml) as TomlDoc).doc;
  } catch {
    return undefined; // not TOML at all: who was removed cannot be told
  }
  const tg = (doc as { transports?: { telegram?: Record<string, unknown> } }).transports?.telegram ?? {};
  const listed = Array.isArray(tg.allowed_user_ids)
    ? tg.allowed_user_ids.filter((v): v is number => typeof v === "number")
    : [];
  const cur = effective.transports.telegram;
  const allowed = cur.allowed_user_ids.filter((id) => listed.includes(id));
  const anyUser = cur.allow_any_user === true && tg.allow_any_user === true;
  if (allowed.length === cur.allowed_user_ids.length && anyUser === (cur.allow_any_user === true)) return undefined;
  return {
    ...effective,
    transports: { ...effective.transports, telegram: { ...cur, allowed_user_ids: allowed, allow_any_user: anyUser } },
  };
}

/** A config that never changes (watch_config off, the demo). */
export function staticConfig(config: Config): LiveConfig {
  return { current: () => config, onChange: () => () => {} };
}

export type ReloadEvent =
  | { kind: "reloaded"; applied: string[]; restart: string[]; restartIsNew: boolean }
  | { kind: "failed"; reason: string; isNew: boolean };

export interface WatchedConfig extends LiveConfig {
  /** Reloads now if the file changed (the bot's own edits, e.g. pairing), watched or not. */
  reloadNow(): void;
  close(): void;
}

export interface WatchOptions {
  env?: Record<string, string | undefined>;
  /** Reload on file changes (watch_config); default true. Off, only reloadNow() reloads. */
  watchFiles?: boolean;
  debounceMs?: number;
  onEvent?(e: ReloadEvent): void;
}

function stamp(path: string): string {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.mtimeNs}:${s.size}`;
  } catch {
    return "missing";
  }
}

/**
 * Watches the config's directory (editors replace the file by rename, which a watch on the file
 * itself would lose) and reloads when the file's mtime or size changed, with the same validation
 * as at startup. A config that fails to load leaves the running one in place.
 */
export function watchConfig(path: string, initial: Config, opts: WatchOptions = {}): WatchedConfig {
  let loaded = initial; // the last good file, restart keys included
  let effective = initial;
  let lastStamp = stamp(path);
  let lastFailure: string | undefined;
  let announced = "";
  const listeners = new Set<(next: Config, prev: Config) => void>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const reload = () => {
    timer = undefined;
    const now = stamp(path);
    if (now === lastStamp) return;
    lastStamp = now;
    let next: Config;
    try {
      next = loadConfig(path, { env: opts.env }).config;
    } catch (e) {
      // ConfigError messages name keys and fixes, never values of secrets; anything else is a bug.
      const reason = e instanceof ConfigError ? e.message : "unexpected error while loading the config";
      logger().error({ path, reason }, "config.reload.failed");
      const isNew = reason !== lastFailure;
      lastFailure = reason;
      let raw = "";
      try {
        raw = readFileSync(path, "utf8");
      } catch {
        // Gone or unreadable: nothing to tell about access.
      }
      const revoked = revokedAccess(effective, raw);
      if (revoked !== undefined) {
        const prev = effective;
        effective = revoked;
        logger().warn(
          { path, allowed_users: revoked.transports.telegram.allowed_user_ids.length },
          "config.reload.access_revoked",
        );
        for (const fn of listeners) fn(effective, prev);
      }
      opts.onEvent?.({ kind: "failed", reason, isNew });
      return;
    }
    lastFailure = undefined;
    const fromLoaded = diffConfig(loaded, next);
    const pending = diffConfig(effective, next).restart;
    loaded = next;
    const prev = effective;
    effective = applyHot(effective, next);
    const signature = pending.join(",");
    const restartIsNew = pending.length > 0 && signature !== announced;
    announced = signature;
    // Compared with what was in effect, not with the last good file: a refused file may have revoked
    // access in between, and a good file restores what it lists.
    const applied = diffConfig(prev, effective).hot;
    if (applied.length === 0 && fromLoaded.restart.length === 0) return;
    logger().info({ path, applied, restart_required: pending }, "config.reloaded");
    if (applied.length > 0) for (const fn of listeners) fn(effective, prev);
    opts.onEvent?.({ kind: "reloaded", applied, restart: pending, restartIsNew });
  };

  const file = basename(path);
  let watcher: FSWatcher | undefined;
  if (opts.watchFiles !== false) {
    try {
      watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
        if (name !== null && name !== file) return;
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(reload, opts.debounceMs ?? 300);
      });
      watcher.on("error", (e) => logger().warn({ path, error: e.message }, "config.watch_failed"));
    } catch (e) {
      logger().warn({ path, error: (e as Error).message }, "config.watch_failed");
    }
  }

  return {
    current: () => effective,
    reloadNow() {
      if (timer !== undefined) clearTimeout(timer);
      reload();
    },
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    close() {
      if (timer !== undefined) clearTimeout(timer);
      watcher?.close();
    },
  };
}
