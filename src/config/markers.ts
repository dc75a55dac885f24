// Reads the markers the schema puts on its nodes (see "markers" in schema.ts): whether a key holds a
// secret and whether a change to it is applied on reload. This is the only place that walks the
// schema by key path; secret masking, error messages, live reload and docs/config.md all ask it.
import type { TSchema } from "@sinclair/typebox";
import type { KeyPath } from "./keys.ts";
import { LEGACY_TOP_LEVEL } from "./migrate.ts";
import { ConfigSchema, type ReloadMode, type SchemaMarkers, SECRET_HEADER_RE } from "./schema.ts";

interface Node extends SchemaMarkers {
  properties?: Record<string, Node>;
  patternProperties?: Record<string, Node>;
  items?: Node;
}

export interface KeyFacts {
  /** The key is in the schema (a record key or list index counts as its value's node). */
  known: boolean;
  /** The value at this path is a secret. */
  secret: boolean;
  /** The innermost `reload` marker on the way down; "restart" when none. */
  reload: ReloadMode;
  /** An inert compatibility key (src/config/legacy.ts), or inside an inert table. */
  inert: boolean;
}

function child(node: Node, seg: string | number): Node | undefined {
  if (typeof seg === "number") return node.items;
  const prop = node.properties?.[seg];
  if (prop !== undefined) return prop;
  const pattern = node.patternProperties;
  return pattern === undefined ? undefined : Object.values(pattern)[0];
}

/**
 * What the schema says about the key at `path`. A top-level legacy key (`bot_token`, …) is read as
 * the key it migrates to. `root` is for tests; everything else uses the config schema.
 */
export function keyFacts(path: KeyPath, root: TSchema = ConfigSchema): KeyFacts {
  let node: Node | undefined = root as Node;
  let segs: readonly (string | number)[] = path;
  const first = segs[0];
  const legacy: readonly string[] = LEGACY_TOP_LEVEL;
  if (typeof first === "string" && node.properties?.[first] === undefined && legacy.includes(first)) {
    segs = ["transports", "telegram", ...segs];
  }
  let reload: ReloadMode = node.reload ?? "restart";
  let secret = node.secret === true;
  let inert = node.inert === true;
  for (const seg of segs) {
    const parent: Node = node;
    node = child(parent, seg);
    if (node === undefined) return { known: false, secret: false, reload, inert };
    reload = node.reload ?? reload;
    inert = inert || node.inert === true;
    if (parent.secret === "header-names") secret = typeof seg === "string" && SECRET_HEADER_RE.test(seg);
    else secret = secret || node.secret === true;
  }
  return { known: true, secret, reload, inert };
}

/** True when the value at `path` is a secret (marker `secret` on its node or its header map). */
export function isSecretKey(path: KeyPath, root?: TSchema): boolean {
  return keyFacts(path, root).secret;
}

/** True when a change to the dotted leaf key `path` takes effect on reload (marker `reload: "hot"`). */
export function isHotPath(path: string, root?: TSchema): boolean {
  return keyFacts(path.split("."), root).reload === "hot";
}
