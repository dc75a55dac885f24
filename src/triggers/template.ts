// `{{ a.b.0 }}` substitution for webhook/cron templates. Pure data lookup: no expressions, no code,
// own properties only (a payload cannot reach `__proto__` or `constructor`), output length capped
// so a small template cannot expand a large payload without bound.

export const MAX_RENDERED_CHARS = 100_000;

const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;
const FORBIDDEN_SEGMENTS = new Set(["__proto__", "constructor", "prototype"]);
const INDEX = /^(0|[1-9]\d*)$/;

/** The value at a dotted path, or undefined when any step is missing or not allowed. */
export function lookupPath(context: unknown, path: string): unknown {
  return lookupSegments(context, path.split("."));
}

function lookupSegments(context: unknown, segments: readonly string[]): unknown {
  let current: unknown = context;
  for (const segment of segments) {
    if (segment === "" || FORBIDDEN_SEGMENTS.has(segment)) return undefined;
    if (Array.isArray(current)) {
      if (!INDEX.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (current !== null && typeof current === "object") {
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

/** Strings as-is; numbers, booleans, objects and arrays as compact JSON; anything else empty. */
export function renderValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "";
    case "bigint":
      return value.toString();
    case "object":
      if (value === null) return "";
      try {
        // Cycles, BigInt members or a throwing toJSON make the value unrenderable, not the template.
        return JSON.stringify(value) ?? "";
      } catch {
        return "";
      }
    default:
      return "";
  }
}

export interface RenderOptions {
  maxChars?: number;
}

/** A template split once: literal text, then a placeholder path, alternating (literals.length = paths.length + 1). */
interface Compiled {
  literals: string[];
  paths: string[];
  /** Each path split at its dots. */
  segments: string[][];
}

// Templates come from the config, so there are few; each delivery renders one without re-scanning it.
const compiledTemplates = new Map<string, Compiled>();
const MAX_COMPILED = 256;

function compile(template: string): Compiled {
  let compiled = compiledTemplates.get(template);
  if (compiled !== undefined) return compiled;
  compiled = { literals: [], paths: [], segments: [] };
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    compiled.literals.push(template.slice(last, match.index));
    compiled.paths.push(match[1] ?? "");
    compiled.segments.push((match[1] ?? "").split("."));
    last = match.index + match[0].length;
  }
  compiled.literals.push(template.slice(last));
  if (compiledTemplates.size < MAX_COMPILED) compiledTemplates.set(template, compiled);
  return compiled;
}

/** Renders `template` against `context`; never throws, never exceeds `maxChars`. */
export function renderTemplate(template: string, context: unknown, opts: RenderOptions = {}): string {
  const max = opts.maxChars ?? MAX_RENDERED_CHARS;
  const { literals, paths, segments } = compile(template);
  const cache = new Map<string, string>();
  const parts: string[] = [];
  let length = 0;
  const push = (piece: string): boolean => {
    const room = max - length;
    let cut = piece.length > room ? piece.slice(0, room) : piece;
    // Never end on half a surrogate pair.
    if (cut.length < piece.length && /[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
    parts.push(cut);
    length += cut.length;
    return cut.length === piece.length && length < max;
  };
  for (let i = 0; i < paths.length; i++) {
    if (!push(literals[i] ?? "")) return parts.join("");
    const path = paths[i] ?? "";
    let rendered = cache.get(path);
    if (rendered === undefined) {
      rendered = renderValue(lookupSegments(context, segments[i] ?? []));
      cache.set(path, rendered);
    }
    if (!push(rendered)) return parts.join("");
  }
  push(literals[paths.length] ?? "");
  return parts.join("");
}
