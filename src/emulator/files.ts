// Uploaded bytes keyed by file_id and by file_path, as getFile and /file/bot<token>/<path> need them.
import type { TgDocument, TgFile } from "./types.ts";

interface StoredFile {
  doc: TgDocument;
  path: string;
  bytes: Uint8Array;
}

/** Telegram reports the bare type ("text/plain"), without parameters. */
export function guessMimeType(fileName: string, declared?: string): string {
  const bare = (t: string): string => t.split(";")[0]?.trim() ?? "";
  const fromDeclared = declared ? bare(declared) : "";
  if (fromDeclared && fromDeclared !== "application/octet-stream") return fromDeclared;
  return bare(Bun.file(fileName).type) || "application/octet-stream";
}

export class FileStore {
  readonly #byId = new Map<string, StoredFile>();
  readonly #byPath = new Map<string, StoredFile>();
  #counter = 0;

  readonly #botId: number;

  constructor(botId: number) {
    this.#botId = botId;
  }

  put(bytes: Uint8Array, fileName: string, mimeType?: string): TgDocument {
    const n = ++this.#counter;
    // Opaque-looking ids, deterministic so test output is stable.
    const fileId = `BQACAgIAAx${this.#botId.toString(36)}${n.toString(36).padStart(6, "0")}`;
    const doc: TgDocument = {
      file_id: fileId,
      file_unique_id: `AgAD${n.toString(36).padStart(6, "0")}`,
      file_name: fileName,
      mime_type: guessMimeType(fileName, mimeType),
      file_size: bytes.byteLength,
    };
    const dot = fileName.lastIndexOf(".");
    const ext = dot > 0 ? fileName.slice(dot).replace(/[^A-Za-z0-9.]/g, "") : "";
    const stored = { doc, path: `documents/file_${n}${ext}`, bytes: bytes.slice() };
    this.#byId.set(fileId, stored);
    this.#byPath.set(stored.path, stored);
    return doc;
  }

  document(fileId: string): TgDocument | undefined {
    return this.#byId.get(fileId)?.doc;
  }

  file(fileId: string): TgFile | undefined {
    const f = this.#byId.get(fileId);
    if (!f) return undefined;
    return {
      file_id: f.doc.file_id,
      file_unique_id: f.doc.file_unique_id,
      file_size: f.doc.file_size,
      file_path: f.path,
    };
  }

  bytesById(fileId: string): Uint8Array | undefined {
    return this.#byId.get(fileId)?.bytes;
  }

  bytesByPath(path: string): Uint8Array | undefined {
    return this.#byPath.get(path)?.bytes;
  }
}
