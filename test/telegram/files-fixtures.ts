// Shared fixtures for the files-*.test.ts suites: a real temp project on disk, an in-memory
// Transport and FileApi that record every call.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { FilesConfig } from "../../src/config/schema.ts";
import type { ChatRef, DocumentInput, MessageRef, SendOptions, Transport } from "../../src/core/transport.ts";
import { createLogger, setLogger } from "../../src/log/logger.ts";
import type { FileApi } from "../../src/telegram/files.ts";
import { createFileHandler, type FileHandlerDeps } from "../../src/telegram/files.ts";
import type { IncomingMessage } from "../../src/telegram/incoming.ts";
import { TooLargeError } from "../../src/telegram/zip.ts";

export const OWNER = 100;
export const STRANGER = 999;
export const GROUP = -500;

export function filesConfig(over: Partial<FilesConfig> = {}): FilesConfig {
  return {
    enabled: true,
    auto_put: true,
    auto_put_mode: "upload",
    uploads_dir: "incoming",
    allowed_user_ids: [],
    deny_globs: [],
    allow_hard_links: false,
    outbox_enabled: true,
    outbox_dir: ".untether-outbox",
    outbox_max_files: 10,
    outbox_cleanup: true,
    outbox_notify_skipped: true,
    outbox_deliver_directories: "off",
    ...over,
  };
}

export interface SentText {
  chat: ChatRef;
  html: string;
  opts?: SendOptions;
}

export interface SentDoc {
  chat: ChatRef;
  doc: DocumentInput;
  opts?: SendOptions;
}

export class FakeTransport implements Transport {
  texts: SentText[] = [];
  docs: SentDoc[] = [];
  failDocuments = false;
  #next = 1;

  async send(chat: ChatRef, html: string, opts?: SendOptions): Promise<MessageRef> {
    this.texts.push({ chat, html, opts });
    return { ...chat, messageId: this.#next++ };
  }

  async edit(): Promise<void> {}

  async delete(): Promise<void> {}

  async sendDocument(chat: ChatRef, doc: DocumentInput, opts?: SendOptions): Promise<MessageRef> {
    if (this.failDocuments) throw new Error("sendDocument failed: 400 Bad Request");
    // Copy: the caller may reuse its buffer.
    this.docs.push({ chat, doc: { ...doc, data: doc.data.slice() }, opts });
    return { ...chat, messageId: this.#next++ };
  }

  get lastText(): string {
    return this.texts.at(-1)?.html ?? "";
  }
}

interface StoredFile {
  data: Uint8Array;
  /** What getFile reports (may lie, like a hostile or buggy server). */
  declaredSize?: number;
  filePath?: string;
}

export class FakeFileApi implements FileApi {
  files = new Map<string, StoredFile>();
  statuses = new Map<string, string>();
  calls: { method: string; args: unknown[] }[] = [];
  memberLookupFails = false;

  addFile(fileId: string, data: Uint8Array, opts: { declaredSize?: number; filePath?: string } = {}): void {
    this.files.set(fileId, {
      data,
      declaredSize: opts.declaredSize ?? data.byteLength,
      filePath: opts.filePath ?? `documents/${fileId}.bin`,
    });
  }

  async getFile(fileId: string): Promise<{ file_path?: string; file_size?: number }> {
    this.calls.push({ method: "getFile", args: [fileId] });
    const f = this.files.get(fileId);
    if (!f) throw new Error("Bad Request: invalid file_id");
    return { file_path: f.filePath, file_size: f.declaredSize };
  }

  async download(filePath: string, maxBytes: number): Promise<Uint8Array> {
    this.calls.push({ method: "download", args: [filePath, maxBytes] });
    const f = [...this.files.values()].find((x) => x.filePath === filePath);
    if (!f) throw new Error("404");
    // Like a streamed download, stop after maxBytes + 1.
    if (f.data.byteLength > maxBytes) throw new TooLargeError(maxBytes);
    return f.data.slice();
  }

  async getChatMemberStatus(chatId: number, userId: number): Promise<string> {
    this.calls.push({ method: "getChatMember", args: [chatId, userId] });
    if (this.memberLookupFails) throw new Error("network down");
    return this.statuses.get(`${chatId}:${userId}`) ?? "member";
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }
}

/** A temp project: `write("a/b.txt", "x")`, `link("l", "/etc")`, cleaned by `dispose`. */
export class TempProject {
  readonly root: string;
  readonly outside: string;

  constructor() {
    const base = mkdtempSync(join(tmpdir(), "untether-files-"));
    this.root = join(base, "project");
    this.outside = join(base, "outside");
    mkdirSync(this.root);
    mkdirSync(this.outside);
    writeFileSync(join(this.outside, "secret.txt"), "outside secret");
  }

  write(rel: string, data: string | Uint8Array): string {
    const p = join(this.root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
    return p;
  }

  mkdir(rel: string): void {
    mkdirSync(join(this.root, rel), { recursive: true });
  }

  link(rel: string, target: string): void {
    const p = join(this.root, rel);
    mkdirSync(dirname(p), { recursive: true });
    symlinkSync(target, p);
  }

  path(rel: string): string {
    return join(this.root, rel);
  }

  dispose(): void {
    rmSync(dirname(this.root), { recursive: true, force: true });
  }
}

let nextMessageId = 1;

export function message(over: Partial<IncomingMessage> = {}): IncomingMessage {
  return {
    kind: "message",
    updateId: 1,
    chatId: OWNER,
    chatType: "private",
    messageId: nextMessageId++,
    userId: OWNER,
    text: "",
    ...over,
  };
}

export function docMessage(
  fileId: string,
  fileName: string | undefined,
  size: number | undefined,
  over: Partial<IncomingMessage> = {},
): IncomingMessage {
  const document = {
    file_id: fileId,
    ...(fileName === undefined ? {} : { file_name: fileName }),
    ...(size === undefined ? {} : { file_size: size }),
  };
  return message({ document, ...over });
}

export interface Harness {
  project: TempProject;
  transport: FakeTransport;
  api: FakeFileApi;
  config: FilesConfig;
  handler: ReturnType<typeof createFileHandler>;
  telegram: { official: boolean };
}

export function harness(configOver: Partial<FilesConfig> = {}, depsOver: Partial<FileHandlerDeps> = {}): Harness {
  const project = new TempProject();
  const transport = new FakeTransport();
  const api = new FakeFileApi();
  const h: Harness = {
    project,
    transport,
    api,
    config: filesConfig(configOver),
    handler: undefined as never,
    telegram: { official: true },
  };
  h.handler = createFileHandler({
    config: () => h.config,
    transport,
    api,
    allowedUserIds: () => new Set([OWNER, 101, 102]),
    apiBaseIsTelegram: () => h.telegram.official,
    ...depsOver,
  });
  return h;
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (d: Uint8Array): string => new TextDecoder().decode(d);

/** Keeps test output readable: the handler logs every transfer at info. */
export function quietLogs(): void {
  setLogger(createLogger({ level: "silent" }));
}
