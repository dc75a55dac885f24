// Legacy layouts of untether.toml, moved to the current one. Applied in memory on every load;
// `config set`/`unset` write the migrated form back.
import { ConfigError } from "./errors.ts";

export type TomlDoc = Record<string, unknown>;

/** Top-level keys of old files that now live under [transports.telegram]. */
export const LEGACY_TOP_LEVEL = ["bot_token", "chat_id", "allow_any_user"] as const;

function asTable(v: unknown): TomlDoc | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as TomlDoc) : undefined;
}

export interface Migration {
  doc: TomlDoc;
  /** Human notes of what moved (empty when the file was already current). */
  changes: string[];
}

/** Returns a migrated copy; the input is not modified. */
export function migrateConfig(input: TomlDoc): Migration {
  const doc = structuredClone(input);
  const changes: string[] = [];

  const legacy = LEGACY_TOP_LEVEL.filter((k) => k in doc);
  if (legacy.length > 0) {
    const transports = asTable(doc.transports) ?? {};
    const telegram = asTable(transports.telegram) ?? {};
    for (const key of legacy) {
      // A value already under [transports.telegram] wins over the legacy one.
      if (!(key in telegram)) telegram[key] = doc[key];
      delete doc[key];
      changes.push(`${key} → transports.telegram.${key}`);
    }
    transports.telegram = telegram;
    doc.transports = transports;
  }

  const topics = asTable(asTable(asTable(doc.transports)?.telegram)?.topics);
  if (topics && "mode" in topics) {
    const mode = topics.mode;
    const scope = mode === "multi_project_chat" ? "main" : mode === "per_project_chat" ? "projects" : undefined;
    if (scope === undefined) {
      throw new ConfigError(
        "config.invalid",
        `transports.telegram.topics.mode: expected "multi_project_chat" or "per_project_chat"; better, remove it and set transports.telegram.topics.scope ("auto", "main", "projects" or "all")`,
        { key: "transports.telegram.topics.mode" },
      );
    }
    if (!("scope" in topics)) topics.scope = scope;
    delete topics.mode;
    changes.push(`transports.telegram.topics.mode → transports.telegram.topics.scope = "${scope}"`);
  }
  return { doc, changes };
}
