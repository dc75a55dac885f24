// Adding a user to transports.telegram.allowed_user_ids from the running bot (pairing): the same
// comment-keeping, validated, atomic 0600 write as `untether config set`.

import { dirname } from "node:path";
import { writeConfigAtomic } from "./edit.ts";
import { ConfigError } from "./errors.ts";
import { buildConfig, readConfigSource } from "./load.ts";
import { migrateConfig, type TomlDoc } from "./migrate.ts";

function table(doc: TomlDoc, key: string): TomlDoc {
  const v = doc[key];
  if (v === undefined) {
    const t: TomlDoc = {};
    doc[key] = t;
    return t;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ConfigError("config.invalid", `${key} is not a table`, { key });
  }
  return v as TomlDoc;
}

/** Adds `userId` (no-op when listed); returns false when it was already there. */
export function addAllowedUser(path: string, userId: number, env: Record<string, string | undefined>): boolean {
  const { text, doc: raw } = readConfigSource(path, env);
  const doc = migrateConfig(raw).doc;
  const tg = table(table(doc, "transports"), "telegram");
  const ids = Array.isArray(tg.allowed_user_ids) ? (tg.allowed_user_ids as unknown[]) : [];
  if (ids.includes(userId)) return false;
  tg.allowed_user_ids = [...ids, userId];
  // The file must still start the bot (same loader); a broken file is left alone.
  buildConfig(structuredClone(doc), { baseDir: dirname(path), env });
  writeConfigAtomic(path, doc, text);
  return true;
}
