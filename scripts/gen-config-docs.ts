// Generates docs/config.md from the config schema, so the reference cannot drift from the code.
// Run: bun scripts/gen-config-docs.ts   (test/config/docs.test.ts fails when the page is stale)
import { tomlLiteral } from "../src/config/edit.ts";
import type { KeyPath } from "../src/config/keys.ts";
import { keyFacts } from "../src/config/markers.ts";
import { CONFIGURABLE_ENGINE_IDS, ConfigSchema, type SchemaMarkers, SECRET_HEADER_RE } from "../src/config/schema.ts";

export interface Node extends SchemaMarkers {
  type?: string;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  pattern?: string;
  anyOf?: { const?: unknown }[];
  const?: unknown;
  items?: Node;
  properties?: Record<string, Node>;
  patternProperties?: Record<string, Node>;
  required?: string[];
}

const isTableNode = (n: Node) => n.type === "object" && n.properties !== undefined;

export function typeOf(n: Node): string {
  if (n.anyOf) return n.anyOf.map((a) => JSON.stringify(a.const)).join(" | ");
  if (n.const !== undefined) return JSON.stringify(n.const);
  if (n.secret === "header-names") return "table of strings (credential-like values *secret*)";
  if (n.type === "array") {
    if (n.items && isTableNode(n.items)) return "array of tables";
    return `list of ${n.items?.type === "integer" ? "integers" : "strings"}`;
  }
  if (n.type === "object" && n.patternProperties) return "tables by name";
  if (n.type === "object") return "table";
  if (n.secret === true) return "string (*secret*)";
  return n.type ?? "any";
}

export function defaultOf(n: Node, required: boolean): string {
  if (n.default !== undefined) {
    return `\`${tomlLiteral(n.default)}\``;
  }
  return required ? "**required**" : "unset";
}

function rangeOf(n: Node): string {
  if (n.exclusiveMinimum !== undefined && n.maximum !== undefined) return `> ${n.exclusiveMinimum} … ${n.maximum}`;
  if (n.minimum !== undefined && n.maximum !== undefined) return `${n.minimum} … ${n.maximum}`;
  if (n.minimum !== undefined) return `≥ ${n.minimum}`;
  if (n.exclusiveMinimum !== undefined) return `> ${n.exclusiveMinimum}`;
  if (n.pattern && n.pattern !== "\\S") return `\`${n.pattern}\``;
  if (n.minLength) return "non-empty";
  return "";
}

const esc = (s: string) => s.replace(/\|/g, "\\|");

/** "live" when `watch_config` applies a change at once (marker `reload`, inherited from tables). */
const reloadOf = (path: KeyPath) => (keyFacts(path).reload === "hot" ? "**live**" : "restart");

/** `title` is dotted ("triggers.crons.fetch"); `heading` is how the table is written in TOML; `path` the key path. */
function section(title: string, node: Node, out: string[], heading = `[${title}]`, path: KeyPath = []): void {
  const props = node.properties ?? {};
  const required = new Set(node.required ?? []);
  const rows: string[] = [];
  const nested: [string, Node, KeyPath][] = [];
  for (const [key, child] of Object.entries(props)) {
    if (title === "top level" && (CONFIGURABLE_ENGINE_IDS as readonly string[]).includes(key)) continue;
    if (isTableNode(child)) {
      nested.push([key, child, [...path, key]]);
      continue;
    }
    if (child.type === "array" && child.items && isTableNode(child.items))
      nested.push([`[${key}]`, child.items, [...path, key, 0]]);
    const recordValue = child.patternProperties ? (Object.values(child.patternProperties)[0] as Node) : undefined;
    if (recordValue && isTableNode(recordValue))
      nested.push([`${key}.<alias>`, recordValue, [...path, key, "<alias>"]]);
    rows.push(
      `| \`${key}\` | ${esc(typeOf(child))} | ${esc(defaultOf(child, required.has(key)))} | ${esc(rangeOf(child))} | ${reloadOf([...path, key])} | ${keyFacts([...path, key]).inert ? "*Inert.* " : ""}${esc(child.description ?? "")} |`,
    );
  }
  out.push(`## ${title === "top level" ? "Top level" : `\`${heading}\``}`, "");
  if (node.description && title !== "top level") out.push(node.description, "");
  if (rows.length > 0) {
    out.push("| key | type | default | range | reload | meaning |", "|---|---|---|---|---|---|", ...rows, "");
  }
  for (const [key, child, childPath] of nested) {
    const arrayOfTables = key.startsWith("[");
    const name = arrayOfTables ? key.slice(1, -1) : key;
    const full = title === "top level" ? name : `${title}.${name}`;
    section(full, child, out, arrayOfTables ? `[[${full}]]` : `[${full}]`, childPath);
  }
}

/** Outermost nodes carrying `marker`, as TOML names: `[table]` or `table.key` (engine aliases skipped). */
function marked(node: Node, has: (n: Node) => boolean, path: string[] = []): string[] {
  if (path.length > 0 && has(node)) return [isTableNode(node) ? `\`[${path.join(".")}]\`` : `\`${path.join(".")}\``];
  const out: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (path.length === 0 && (CONFIGURABLE_ENGINE_IDS as readonly string[]).includes(key)) continue;
    const inner = child.type === "array" && child.items && isTableNode(child.items) ? child.items : child;
    const name = inner === child ? key : `${key}[]`;
    const recordValue = child.patternProperties ? (Object.values(child.patternProperties)[0] as Node) : undefined;
    out.push(
      ...marked(recordValue && isTableNode(recordValue) ? recordValue : inner, has, [
        ...path,
        recordValue && isTableNode(recordValue) ? `${key}.<alias>` : name,
      ]),
    );
  }
  return out;
}

/** Inert keys (src/config/legacy.ts), a table mostly inert written as "`[table]` except `key`". */
function inertKeys(node: Node, path: string[] = []): string[] {
  const name = path.join(".");
  if (path.length > 0 && node.inert === true) return [isTableNode(node) ? `\`[${name}]\`` : `\`${name}\``];
  const children = Object.entries(node.properties ?? {});
  const leaves = children.filter(([, c]) => !isTableNode(c));
  const active = leaves.filter(([, c]) => c.inert !== true).map(([k]) => `\`${k}\``);
  if (path.length > 0 && leaves.length > 2 && active.length * 2 < leaves.length) {
    return [
      `\`[${name}]\` except ${list(active)}`,
      ...children.filter(([, c]) => isTableNode(c)).flatMap(([k, c]) => inertKeys(c, [...path, k])),
    ];
  }
  return children.flatMap(([k, c]) => inertKeys(c, [...path, k]));
}

const list = (items: string[]) =>
  items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;

export function renderConfigDocs(): string {
  const root = ConfigSchema as unknown as Node;
  const secrets = marked(root, (n) => n.secret === true);
  const headerMaps = marked(root, (n) => n.secret === "header-names");
  const live = marked(root, (n) => n.reload === "hot");
  const inertList = inertKeys(root);
  const out: string[] = [
    "# Configuration reference (`untether.toml`)",
    "",
    "<!-- Generated by `bun scripts/gen-config-docs.ts` from src/config/schema.ts. Do not edit by hand. -->",
    "",
    "The file is found at `--config PATH`, else `$UNTETHER_CONFIG_PATH`, else `~/.untether/untether.toml`.",
    "Change it with `untether config set KEY VALUE` (validated, written atomically with mode 0600, comments and layout kept; a secret is read from standard input with `untether config set KEY -`).",
    "Unknown keys are refused in every table, naming the key. Ranges are inclusive.",
    "Secrets (marked *secret*) are masked in logs and in `untether config list/get`, kept out of error",
    "messages and held as `Secret` once loaded. They are the keys marked so in the schema:",
    `${list(secrets)}, and in ${list(headerMaps)} every header whose name matches`,
    `\`/${SECRET_HEADER_RE.source}/i\`.`,
    "",
    "The bot refuses to start when `transports.telegram.allowed_user_ids` is empty, unless",
    "`transports.telegram.allow_any_user = true` (demos only; logged as `security.allow_any_user` on every start).",
    "",
    "Legacy files with top-level `bot_token`, `chat_id` and `allow_any_user` still load: these keys are",
    "moved under `[transports.telegram]` (in memory; `untether config set` saves the new layout).",
    "Engine tables may be written `[engines.<id>]` or `[<id>]` (not both).",
    "",
    "Checked at load besides types and ranges: cron `schedule` (5 fields, via croner) and IANA time zones;",
    "unique webhook ids and paths, webhook `path` matching `^/[a-zA-Z0-9/_.-]+$` and not `/health`;",
    '`secret` required unless `auth = "none"`, and `auth = "none"` refused on a non-loopback',
    "`triggers.server.host` unless `allow_unauthenticated_webhooks = true`; per action, `prompt_template`",
    "(agent_run), `file_path` (file_write), `forward_url` (http_forward) or `message_template` (notify_only);",
    "a cron needs `prompt` or `prompt_template`; `[security]` env names match `^[A-Z_][A-Z0-9_]*$`;",
    "`files.uploads_dir`/`outbox_dir` are relative without `..`; `watchdog.prespawn_ram_warn_mb` >",
    "`prespawn_ram_block_mb` when both are non-zero; project aliases are not engine ids or chat commands.",
    "",
    "A JSON Schema for editors is returned by `configJsonSchema()` in src/config/schema.ts.",
    "",
    "**`[preamble]`** is put before every prompt sent to an engine as `<preamble>\\n\\n---\\n\\n<prompt>`",
    "(built-in text in src/core/preamble.ts: driven from Telegram, only the final answer is seen, be concise,",
    "no tables, ask one clear question, `.untether-outbox/`). The built-in `mock` engine never gets it (it echoes",
    "its prompt back).",
    "",
    "**`[cost_budget]`** uses the costs engines report when a run ends (Claude's `total_cost_usd`; engines",
    "that report none count as 0), summed per UTC day from the state database. Once today's total reached",
    "`max_cost_per_day`, new runs are refused with a reply naming the key until 00:00 UTC. A run over",
    "`max_cost_per_run` gets a warning; crossing `warn_at_pct` of `max_cost_per_day` warns once a day.",
    "A run's cost is known only when it ends, so `auto_cancel` cannot stop the run that went over: it refuses",
    "new runs for the rest of the UTC day instead (until `max_cost_per_run` is raised). Runs already queued",
    "when a limit is reached still run. Limits are read at start: restart after `untether config set`, or",
    "set `watch_config = true`.",
    "",
    "**`watch_config = true`** reloads the file when it changes (the config's folder is watched, so editors",
    "that save by rename work), with the same checks as at start. Applied at once are the keys marked",
    "**live** in the *reload* column below (a table's marker covers every key in it):",
    `${list(live)}`,
    "(`allowed_user_ids` and `allow_any_user` from the next update on).",
    'Any other changed key is named once in the main chat ("restart to apply") and keeps its',
    "running value until a restart. A file that fails to load is not applied: the running config stays, the",
    "log gets `config.reload.failed` and the main chat is told the reason once.",
    "",
    "**Inert compatibility keys** (marked *Inert.* below; defined in src/config/legacy.ts). So that an",
    "existing file from the original Untether loads unchanged, these keys are accepted and validated but",
    "have no effect in this version:",
    `${list(inertList)}.`,
    "",
  ];
  section("top level", ConfigSchema as unknown as Node, out);
  return `${out.join("\n").trimEnd()}\n`;
}

export const DOCS_PATH = new URL("../docs/config.md", import.meta.url).pathname;

if (import.meta.main) {
  await Bun.write(DOCS_PATH, renderConfigDocs());
  process.stdout.write(`wrote ${DOCS_PATH}\n`);
}
