// Method parameters the way Telegram accepts them: query string, JSON, form-urlencoded or multipart
// (where nested objects arrive as JSON strings and files as parts, possibly via "attach://name").
import { badRequest } from "./api-error.ts";

export class Params {
  readonly #values: Map<string, unknown>;

  private constructor(values: Map<string, unknown>) {
    this.#values = values;
  }

  static of(record: Record<string, unknown>): Params {
    return new Params(new Map(Object.entries(record)));
  }

  static async fromRequest(req: Request): Promise<Params> {
    const values = new Map<string, unknown>(new URL(req.url).searchParams);
    if (req.method === "GET" || req.method === "HEAD") return new Params(values);
    const type = (req.headers.get("content-type") ?? "").toLowerCase();
    if (type.startsWith("multipart/form-data") || type.startsWith("application/x-www-form-urlencoded")) {
      const form = await req.formData().catch(() => {
        throw badRequest("can't parse request body");
      });
      for (const [k, v] of form) values.set(k, v);
      return new Params(values);
    }
    const text = await req.text();
    if (text.trim() === "") return new Params(values);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw badRequest("can't parse JSON encoded request body");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw badRequest("request body must be a JSON object");
    for (const [k, v] of Object.entries(body)) values.set(k, v);
    return new Params(values);
  }

  has(name: string): boolean {
    const v = this.#values.get(name);
    return v !== undefined && v !== null;
  }

  string(name: string): string | undefined {
    const v = this.#values.get(name);
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    return undefined;
  }

  /** An integer, also from its decimal string form; undefined when absent or not an integer. */
  int(name: string): number | undefined {
    const v = this.#values.get(name);
    const n =
      typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : Number.NaN;
    return Number.isSafeInteger(n) ? n : undefined;
  }

  bool(name: string): boolean {
    const v = this.#values.get(name);
    return v === true || v === "true" || v === "1" || v === 1;
  }

  /** A nested object: as sent in JSON bodies, or JSON text in forms and query strings. */
  json(name: string): unknown {
    const v = this.#values.get(name);
    if (typeof v !== "string") return v ?? undefined;
    try {
      return JSON.parse(v);
    } catch {
      throw badRequest(`can't parse ${name} JSON object`);
    }
  }

  /** An uploaded file: the part itself, or the part an "attach://name" value points at. */
  file(name: string): File | undefined {
    const v = this.#values.get(name);
    if (v instanceof File) return v;
    if (typeof v === "string" && v.startsWith("attach://")) {
      const part = this.#values.get(v.slice("attach://".length));
      return part instanceof File ? part : undefined;
    }
    return undefined;
  }

  /** JSON-safe copy for the call log: files become {file_name, size, mime_type}. */
  toRecord(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this.#values) {
      out[k] = v instanceof File ? { file_name: v.name, size: v.size, mime_type: v.type } : v;
    }
    return out;
  }
}
