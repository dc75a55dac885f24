// The small builders the config schema is written with, and the markers they put on nodes. Kept
// apart from schema.ts so that legacy.ts (inert compatibility keys) can use them too.
import { type TLiteral, type TObject, type TProperties, type TSchema, type TUnion, Type } from "@sinclair/typebox";
import { Secret } from "../log/secret.ts";

// ---- markers --------------------------------------------------------------------------------

/**
 * How a changed key takes effect while the bot runs with `watch_config = true`: "hot" at once,
 * "restart" (every key not marked, and what a table's marker is inherited as) at the next start.
 */
export type ReloadMode = "hot" | "restart";

/**
 * `true`: the value is a secret. `"header-names"`: a map of headers whose entries are secret when
 * their name looks like a credential (SECRET_HEADER_RE) — the rule depends on the name, not the key.
 */
export type SecretMarker = true | "header-names";

/** The marker keywords a schema node may carry (kept in JSON Schema output; validators ignore them). */
export interface SchemaMarkers {
  secret?: SecretMarker;
  reload?: ReloadMode;
  /** Accepted from the original Untether's file and validated, but without effect here (legacy.ts). */
  inert?: true;
}

/** Marks a node (and, for a table, everything in it) as applied at once on reload. */
export function hot<T extends TSchema>(schema: T): T & { reload: "hot" } {
  return Object.assign(schema, { reload: "hot" as const });
}

/** Marks a node (and, for a table, everything in it) as an inert compatibility key. */
export function inert<T extends TSchema>(schema: T): T & { inert: true } {
  return Object.assign(schema, { inert: true as const });
}

// ---- small builders -------------------------------------------------------------------------

type Lits<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };

export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  opts: { default?: T[number]; description: string },
): TUnion<Lits<T>> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    opts,
  ) as unknown as TUnion<Lits<T>>;
}

export const bool = (value: boolean, description: string) => Type.Boolean({ default: value, description });
export const int = (value: number, description: string, min?: number, max?: number) =>
  Type.Integer({ default: value, description, minimum: min, maximum: max });
export const num = (value: number, description: string, min?: number, max?: number) =>
  Type.Number({ default: value, description, minimum: min, maximum: max });
export const text = (description: string) => Type.String({ minLength: 1, pattern: "\\S", description });
export const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);
export const strings = (value: readonly string[], description: string) =>
  Type.Array(Type.String(), { default: [...value], description });
export const ints = (description: string) => Type.Array(Type.Integer(), { default: [], description });

/** A table that exists (with its defaults) even when absent from the file. */
export function table<P extends TProperties>(props: P, description: string): TObject<P> {
  return Type.Object(props, { additionalProperties: false, default: {}, description });
}

/** A table that stays absent unless written. */
export function strictObject<P extends TProperties>(props: P, description: string): TObject<P> {
  return Type.Object(props, { additionalProperties: false, description });
}

/** A secret string in the file (marker `secret: true`); a `Secret` once loaded. */
export const secret = (description: string) =>
  Type.Transform(Type.String({ minLength: 1, pattern: "\\S", description, secret: true satisfies SecretMarker }))
    .Decode((v) => new Secret(v.trim()))
    .Encode((s) => s.reveal());

// Header names that carry credentials: their values are wrapped in Secret on load.
export const SECRET_HEADER_RE = /authorization|token|secret|api[-_]?key|cookie|signature|password/i;

/** Header map (marker `secret: "header-names"`): every value a string; credential-like ones decode to Secret. */
export const headers = (description: string) =>
  Type.Transform(
    Type.Record(Type.String(), Type.String(), { description, secret: "header-names" satisfies SecretMarker }),
  )
    .Decode((h) => {
      const out: Record<string, string | Secret> = {};
      for (const [k, v] of Object.entries(h)) out[k] = SECRET_HEADER_RE.test(k) ? new Secret(v) : v;
      return out;
    })
    .Encode((h) => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(h)) out[k] = typeof v === "string" ? v : v.reveal();
      return out;
    });
