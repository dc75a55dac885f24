// `/file put`, `/file get` and auto-put of documents sent to the bot. Every path goes through
// security/path-guard (syntax, deny globs, an open that cannot escape the root); this module decides
// who may transfer, enforces Telegram's size limits on declared and actual bytes, and words replies.

import type { FilesConfig } from "../config/schema.ts";
import type { ChatRef, Transport } from "../core/transport.ts";
import type { PromptImage } from "../engines/types.ts";
import { UntetherError } from "../errors.ts";
import { logger } from "../log/logger.ts";
import { effectiveDenyGlobs } from "../security/deny-globs.ts";
import {
  denyReason,
  normalizeRelativePath,
  PathGuardError,
  statInsideRoot,
  writeFileAtomicInsideRoot,
} from "../security/path-guard.ts";
import { readCapped, StreamTooLargeError } from "../security/read-capped.ts";
import type { FileHandler } from "./controller.ts";
import { escapeHtml } from "./html.ts";
import type { IncomingMessage } from "./incoming.ts";
import { readFileCapped, TooLargeError, ZipLimitError, zipDirectoryInsideRoot } from "./zip.ts";

/** Who asks for a transfer, and where the reply goes: a message, or a button press on a bot message. */
export interface FileRequester {
  chatId: number;
  chatType?: string;
  threadId?: number;
  userId?: number;
  /** The message replies and documents answer. */
  messageId?: number;
}

/** What we need from the Bot API; the integrator implements it over the real client. */
export interface FileApi {
  getFile(fileId: string): Promise<{ file_path?: string; file_size?: number }>;
  /**
   * Downloads `/file/bot<token>/<filePath>`, streaming and stopping after `maxBytes + 1` bytes
   * (throw TooLargeError or return what was read; the length is checked again here either way).
   */
  download(filePath: string, maxBytes: number): Promise<Uint8Array>;
  /** "creator" | "administrator" | "member" | "restricted" | "left" | "kicked". */
  getChatMemberStatus(chatId: number, userId: number): Promise<string>;
}

export interface FileHandlerDeps {
  config: () => FilesConfig;
  transport: Transport;
  api: FileApi;
  /** The bot's allowlist (`transports.telegram.allowed_user_ids`). */
  allowedUserIds: () => ReadonlySet<number>;
  /** `allow_any_user = true`: every sender counts as allowed. */
  allowAnyUser?: () => boolean;
  /** False for a self-hosted Bot API server, which lifts Telegram's 20/50 MiB limits to 2000 MiB. */
  apiBaseIsTelegram: () => boolean;
}

export const MIB = 1024 * 1024;

export interface TransferLimits {
  /** Documents downloaded from Telegram (user → server). */
  fromTelegram: number;
  /** Documents uploaded to Telegram (server → user). */
  toTelegram: number;
}

export function transferLimits(apiBaseIsTelegram: boolean): TransferLimits {
  return apiBaseIsTelegram
    ? { fromTelegram: 20 * MIB, toTelegram: 50 * MIB }
    : { fromTelegram: 2000 * MIB, toTelegram: 2000 * MIB };
}

/** `0 b`, `512 b`, `1.5 kb`, `20 kb`, `3.2 mb`: one decimal below 10. */
export function formatSize(bytes: number): string {
  const units = ["b", "kb", "mb", "gb"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} b`;
  const shown = value < 10 ? (Math.floor(value * 10) / 10).toFixed(1).replace(/\.0$/, "") : String(Math.floor(value));
  return `${shown} ${units[unit]}`;
}

/** Reads a response body up to `maxBytes`, cancelling the stream past it (helper for FileApi.download). */
export async function readStreamCapped(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  try {
    return await readCapped(stream, maxBytes);
  } catch (e) {
    if (e instanceof StreamTooLargeError) throw new TooLargeError(maxBytes);
    throw e;
  }
}

/** Shell-like split: quotes group words; unbalanced quotes fall back to a whitespace split. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) return text.split(/\s+/).filter(Boolean);
  if (inWord) out.push(cur);
  return out;
}

const USAGE =
  "usage: <code>/file put &lt;path&gt;</code> (as the caption of a document) or <code>/file get &lt;path&gt;</code>";
const USAGE_PUT =
  "usage: send a document with the caption <code>/file put &lt;path&gt;</code> (add <code>--force</code> to replace an existing file)";
const USAGE_GET = "usage: <code>/file get &lt;path&gt;</code>";
const DISABLED =
  "file transfer is disabled; enable it with <code>[transports.telegram.files] enabled = true</code> in the config.";
const MAX_SHOWN_PATH = 200;

/** A path for a reply or caption: escaped, and shortened in the middle when very long. */
function shown(path: string): string {
  const chars = [...path];
  const cut = chars.length > MAX_SHOWN_PATH ? `${chars.slice(0, 90).join("")}…${chars.slice(-90).join("")}` : path;
  return `<code>${escapeHtml(cut)}</code>`;
}

function chatOf(m: FileRequester): ChatRef {
  return m.threadId === undefined ? { chatId: m.chatId } : { chatId: m.chatId, threadId: m.threadId };
}

/** A refusal worded for the user; `code` for logs and tests. */
class Refusal extends UntetherError {}

const refuse = (code: string, html: string): Refusal => new Refusal(code, html);

/** Turns a path-guard error into a reply; messages from path-guard are user-fit but may carry the path. */
function guardRefusal(e: PathGuardError, direction: "upload" | "download"): Refusal {
  switch (e.code) {
    case "path.denied":
      return refuse(e.code, `path denied by rule: <code>${escapeHtml(e.rule ?? "?")}</code>`);
    case "path.git":
      // path-guard refuses any .git component before the globs; name it like the glob would.
      return refuse(e.code, "path denied by rule: <code>.git/**</code>");
    case "path.escape":
      return refuse(e.code, `${direction} path escapes the project root.`);
    case "path.not_found":
      return refuse(e.code, "file does not exist.");
    case "path.symlink":
      return refuse(
        e.code,
        `${direction === "upload" ? "upload target" : "path"} is a symlink; symlinks are not followed.`,
      );
    case "path.is_directory":
      return refuse(e.code, "upload target is a directory.");
    case "path.not_file":
      return refuse(e.code, "not a regular file.");
    case "path.hard_link":
      return refuse(
        e.code,
        "the file has more than one hard link (it may be another file under a harmless name); set <code>transports.telegram.files.allow_hard_links = true</code> to allow.",
      );
    case "path.not_directory":
      return refuse(e.code, "not a directory.");
    case "path.root":
      return refuse(e.code, "the project folder does not exist.");
    default:
      return refuse(e.code, `invalid ${direction} path: ${escapeHtml(e.message)}`);
  }
}

/** A path-guard refusal of a read (listing or sending) as the reply /file get would give. */
export function readRefusalHtml(e: PathGuardError): string {
  return guardRefusal(e, "download").message;
}

/** The user-provided name of an upload as one safe path component, or undefined. */
function documentName(given: string | undefined, telegramPath: string | undefined): string | undefined {
  for (const candidate of [given, telegramPath]) {
    const base = candidate?.split(/[/\\]/).pop()?.trim();
    if (!base) continue;
    try {
      if (normalizeRelativePath(base) === base) return base;
    } catch {
      // not usable as a name; try the next candidate
    }
  }
  return undefined;
}

/** One file of a message to save: a document, a photo (one of its sizes) or a video. */
export interface Upload {
  fileId: string;
  fileSize?: number;
  /** The name the sender's client gave it (documents, some videos). */
  fileName?: string;
  /** No name given: `<prefix>-YYYY-MM-DD-N.<ext>` with the first free N. */
  generated?: { prefix: string; ext: string };
}

/**
 * The file a message carries, if any: a document; the largest photo size within `limit` (Telegram
 * sends several sizes of every photo); a video.
 */
export function uploadOf(m: IncomingMessage, limit: number): Upload | undefined {
  if (m.document) {
    const d = m.document;
    return {
      fileId: d.file_id,
      ...(d.file_size === undefined ? {} : { fileSize: d.file_size }),
      ...(d.file_name === undefined ? {} : { fileName: d.file_name }),
    };
  }
  if (m.photo && m.photo.length > 0) {
    const area = (p: { width: number; height: number }) => p.width * p.height;
    const fits = m.photo.filter((p) => p.file_size === undefined || p.file_size <= limit);
    const pick = [...(fits.length > 0 ? fits : m.photo)].sort((a, b) => area(b) - area(a))[0];
    if (pick)
      return {
        fileId: pick.file_id,
        ...(pick.file_size === undefined ? {} : { fileSize: pick.file_size }),
        generated: { prefix: "photo", ext: "jpg" },
      };
  }
  if (m.video) {
    const v = m.video;
    return {
      fileId: v.file_id,
      ...(v.file_size === undefined ? {} : { fileSize: v.file_size }),
      ...(v.file_name === undefined ? {} : { fileName: v.file_name }),
      generated: { prefix: "video", ext: "mp4" },
    };
  }
  return undefined;
}

/** `YYYY-MM-DD` (UTC) of a message's date, or of now. */
function dayOf(unixSeconds: number | undefined): string {
  const ms = unixSeconds !== undefined && unixSeconds > 0 ? unixSeconds * 1000 : Date.now();
  return new Date(ms).toISOString().slice(0, 10);
}

/** The line a prompt gets for each saved file (docs/files.md): the path relative to the project root. */
export function attachedLine(relPath: string): string {
  return `[attached: ${relPath}]`;
}

/** A caption (or a later message) as the prompt, with every saved file named after it. */
export function promptWithAttachments(text: string, relPaths: readonly string[]): string {
  return `${text}\n\n${relPaths.map(attachedLine).join("\n")}`;
}

const MAX_GENERATED = 10_000;

/** Images larger than this are only named by path, not sent to the engine (the model API's per-image cap). */
export const MAX_PROMPT_IMAGE_BYTES = 5 * MIB;

/** The type of an image by its first bytes (JPEG, PNG, GIF, WebP); undefined for anything else. */
export function imageTypeOf(b: Uint8Array): PromptImage["mediaType"] | undefined {
  const at = (i: number, ...xs: number[]) => xs.every((x, k) => b[i + k] === x);
  if (at(0, 0xff, 0xd8, 0xff)) return "image/jpeg";
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return "image/webp";
  return undefined;
}

export function createFileHandler(deps: FileHandlerDeps): FileHandler {
  const limits = (): TransferLimits => transferLimits(deps.apiBaseIsTelegram());
  const reply = async (m: FileRequester, html: string): Promise<void> => {
    await deps.transport.send(chatOf(m), html, m.messageId === undefined ? {} : { replyTo: m.messageId });
  };

  /** Undefined when the sender may transfer files here, else the refusal. */
  async function permission(m: FileRequester, cfg: FilesConfig): Promise<Refusal | undefined> {
    const user = m.userId;
    if (user === undefined) return refuse("files.no_sender", "cannot verify who sent this; file transfer refused.");
    if (cfg.allowed_user_ids.length > 0) {
      return cfg.allowed_user_ids.includes(user)
        ? undefined
        : refuse(
            "files.user_not_allowed",
            "file transfer is not allowed for this user (not in <code>files.allowed_user_ids</code>).",
          );
    }
    if (deps.allowAnyUser?.() !== true && !deps.allowedUserIds().has(user)) {
      return refuse("files.user_not_allowed", "file transfer is not allowed for this user.");
    }
    if (m.chatType === "private") return undefined;
    if (m.chatType !== "group" && m.chatType !== "supergroup")
      return refuse("files.chat_type", "file transfer is not available in this chat.");
    let status: string;
    try {
      status = await deps.api.getChatMemberStatus(m.chatId, user);
    } catch (e) {
      logger().warn({ chat_id: m.chatId, error: (e as Error).message }, "files.permission_lookup_failed");
      return refuse("files.permission_lookup", "could not verify file transfer permissions; try again later.");
    }
    return status === "creator" || status === "administrator"
      ? undefined
      : refuse("files.not_admin", "file transfer in groups is restricted to group admins.");
  }

  /** The first `<prefix>-<day>-N.<ext>` not present in `dir` (a race is caught by the no-replace write). */
  async function freeGeneratedName(
    cwd: string,
    dir: string,
    gen: { prefix: string; ext: string },
    day: string,
    globs: readonly string[],
  ): Promise<string> {
    for (let n = 1; n <= MAX_GENERATED; n++) {
      const name = `${gen.prefix}-${day}-${n}.${gen.ext}`;
      const taken = await statInsideRoot(cwd, `${dir}/${name}`, { denyGlobs: globs }).then(
        () => true,
        (e: unknown) => {
          if (e instanceof PathGuardError && e.code === "path.not_found") return false;
          throw e;
        },
      );
      if (!taken) return name;
    }
    throw refuse("files.name_exhausted", `too many ${gen.prefix} uploads today; clean up the uploads folder.`);
  }

  async function put(
    m: IncomingMessage,
    cwd: string,
    cfg: FilesConfig,
    pathArg: string | undefined,
    force: boolean,
    upload: Upload | undefined = uploadOf(m, limits().fromTelegram),
  ): Promise<{ relPath: string; bytes: number; data: Uint8Array }> {
    const doc = upload;
    if (!doc) throw refuse("files.usage", USAGE_PUT);
    const globs = effectiveDenyGlobs(cfg.deny_globs);
    const limit = limits().fromTelegram;
    const tooLarge = (): Refusal =>
      refuse("files.too_large", `file is too large to upload (limit ${formatSize(limit)}).`);
    if (doc.fileSize !== undefined && doc.fileSize > limit) throw tooLarge();
    // Check the target before spending a download on it.
    const wantsDir = pathArg === undefined || pathArg.endsWith("/");
    const dirArg = pathArg === undefined ? cfg.uploads_dir : pathArg;
    const checkTarget = (rel: string): string => {
      const norm = normalizeRelativePath(rel);
      const rule = denyReason(norm, globs);
      if (rule !== undefined) throw new PathGuardError("path.denied", `path denied by rule: ${rule}`, { rule });
      return norm;
    };
    let earlyName = wantsDir ? documentName(doc.fileName, undefined) : undefined;
    try {
      if (wantsDir) {
        const dir = checkTarget(dirArg);
        const st = await statInsideRoot(cwd, dir, { denyGlobs: globs }).catch((e: unknown) => {
          if (e instanceof PathGuardError && e.code === "path.not_found") return undefined;
          throw e;
        });
        if (st !== undefined && st.kind !== "directory")
          throw refuse("files.target_is_file", "upload path is a file, not a directory.");
        if (earlyName === undefined && doc.generated !== undefined)
          earlyName =
            st === undefined
              ? `${doc.generated.prefix}-${dayOf(m.date)}-1.${doc.generated.ext}`
              : await freeGeneratedName(cwd, dir, doc.generated, dayOf(m.date), globs);
        if (earlyName !== undefined) checkTarget(`${dir}/${earlyName}`);
      } else {
        checkTarget(dirArg);
      }
    } catch (e) {
      if (e instanceof PathGuardError) throw guardRefusal(e, "upload");
      throw e;
    }

    let info: { file_path?: string; file_size?: number };
    try {
      info = await deps.api.getFile(doc.fileId);
    } catch (e) {
      logger().warn({ chat_id: m.chatId, error: (e as Error).message }, "files.get_file_failed");
      throw refuse(
        "files.get_file",
        "could not fetch the file from Telegram (it may be over Telegram's download limit).",
      );
    }
    if (info.file_size !== undefined && info.file_size > limit) throw tooLarge();
    if (info.file_path === undefined || info.file_path === "")
      throw refuse("files.no_file_path", "Telegram did not return a download path for this file.");
    let data: Uint8Array;
    try {
      data = await deps.api.download(info.file_path, limit);
    } catch (e) {
      if (e instanceof TooLargeError) throw tooLarge();
      logger().warn({ chat_id: m.chatId, error: (e as Error).message }, "files.download_failed");
      throw refuse("files.download", "could not download the file from Telegram.");
    }
    if (data.byteLength > limit) throw tooLarge();

    const name = earlyName ?? documentName(undefined, info.file_path) ?? "upload.bin";
    const target = wantsDir ? `${dirArg.replace(/\/+$/, "")}/${name}` : dirArg;
    try {
      const written = await writeFileAtomicInsideRoot(cwd, target, data, { denyGlobs: globs, force, mkdirs: true });
      logger().info({ chat_id: m.chatId, user_id: m.userId, bytes: written.bytes }, "files.saved");
      return { relPath: written.relPath, bytes: written.bytes, data };
    } catch (e) {
      if (e instanceof PathGuardError) throw guardRefusal(e, "upload");
      throw e;
    }
  }

  async function get(m: FileRequester, cwd: string, cfg: FilesConfig, pathArg: string): Promise<void> {
    const globs = effectiveDenyGlobs(cfg.deny_globs);
    const limit = limits().toTelegram;
    const tooLarge = refuse("files.too_large", `file is too large to send (limit ${formatSize(limit)}).`);
    let fileName: string;
    let data: Uint8Array;
    let caption: string;
    try {
      const st = await statInsideRoot(cwd, pathArg, { denyGlobs: globs });
      const base = st.relPath.split("/").pop() ?? st.relPath;
      if (st.kind === "other") throw refuse("files.not_file", "not a regular file.");
      if (st.kind === "directory") {
        const zipped = await zipDirectoryInsideRoot(cwd, st.relPath, {
          maxBytes: limit,
          denyGlobs: globs,
          allowHardLinks: cfg.allow_hard_links,
        });
        if (zipped.members.length === 0)
          throw refuse("files.empty_dir", "the directory has no files that may be sent.");
        fileName = `${base}.zip`;
        data = zipped.data;
        const skipped = zipped.skipped.length > 0 ? `, ${zipped.skipped.length} skipped` : "";
        caption = `${shown(`${st.relPath}/`)} (${zipped.members.length} files, ${formatSize(data.byteLength)}${skipped})`;
      } else {
        if (st.size > limit) throw tooLarge;
        ({ data } = await readFileCapped(cwd, st.relPath, limit, globs, cfg.allow_hard_links));
        if (data.byteLength === 0) throw refuse("files.empty", "the file is empty; Telegram cannot send empty files.");
        fileName = base;
        caption = `${shown(st.relPath)} (${formatSize(data.byteLength)})`;
      }
    } catch (e) {
      if (e instanceof PathGuardError) throw guardRefusal(e, "download");
      if (e instanceof TooLargeError) throw tooLarge;
      if (e instanceof ZipLimitError) throw refuse(e.code, escapeHtml(e.message));
      throw e;
    }
    try {
      await deps.transport.sendDocument(
        chatOf(m),
        { fileName, data, caption },
        m.messageId === undefined ? {} : { replyTo: m.messageId },
      );
    } catch (e) {
      logger().warn({ chat_id: m.chatId, error: (e as Error).message }, "files.send_failed");
      throw refuse("files.send", "failed to send the file.");
    }
    logger().info({ chat_id: m.chatId, user_id: m.userId, bytes: data.byteLength }, "files.sent");
  }

  /** Runs `fn`, turning a Refusal into a reply. */
  async function guarded<T>(m: FileRequester, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof Refusal)) {
        // Unexpected (an unreadable folder, a full disk): log it, never show its raw text.
        const code = e instanceof UntetherError ? e.code : "error";
        logger().error({ chat_id: m.chatId, code, error: (e as Error).message }, "files.failed");
        await reply(m, "file transfer failed; see the server log.");
        return undefined;
      }
      logger().debug({ chat_id: m.chatId, user_id: m.userId, code: e.code }, "files.refused");
      await reply(m, e.message);
      return undefined;
    }
  }

  return {
    async mayTransfer(who) {
      const cfg = deps.config();
      if (!cfg.enabled) return DISABLED;
      try {
        return (await permission(who, cfg))?.message;
      } catch (e) {
        logger().error({ chat_id: who.chatId, error: (e as Error).message }, "files.failed");
        return "file transfer failed; see the server log.";
      }
    },

    async send(who, path, cwd) {
      const cfg = deps.config();
      if (!cfg.enabled) return reply(who, DISABLED);
      await guarded(who, async () => {
        const denied = await permission(who, cfg);
        if (denied) throw denied;
        await get(who, cwd, cfg, path);
      });
    },

    async command(m, args, cwd) {
      const cfg = deps.config();
      if (!cfg.enabled) return reply(m, DISABLED);
      const [sub, ...rest] = splitArgs(args);
      if (sub !== "put" && sub !== "get") return reply(m, USAGE);
      await guarded(m, async () => {
        const denied = await permission(m, cfg);
        if (denied) throw denied;
        const flags = rest.filter((a) => a.startsWith("--"));
        const paths = rest.filter((a) => !a.startsWith("--"));
        if (sub === "get") {
          if (flags.length > 0)
            throw refuse("files.unknown_flag", `unknown flag: <code>${escapeHtml(flags[0] ?? "")}</code>`);
          if (paths.length !== 1) throw refuse("files.usage", USAGE_GET);
          return get(m, cwd, cfg, paths[0] ?? "");
        }
        const unknown = flags.find((f) => f !== "--force");
        if (unknown !== undefined)
          throw refuse("files.unknown_flag", `unknown flag: <code>${escapeHtml(unknown)}</code>`);
        if (paths.length > 1 || uploadOf(m, limits().fromTelegram) === undefined)
          throw refuse("files.usage", USAGE_PUT);
        const saved = await put(m, cwd, cfg, paths[0], flags.includes("--force"));
        await reply(m, `saved ${shown(saved.relPath)} (${formatSize(saved.bytes)})`);
      });
    },

    async document(m, cwd) {
      const cfg = deps.config();
      if (!cfg.enabled) {
        await reply(m, `not saved: ${DISABLED}`);
        return undefined;
      }
      if (!cfg.auto_put) {
        await reply(
          m,
          "uploads are not saved automatically here; send a document with the caption <code>/file put &lt;path&gt;</code>.",
        );
        return undefined;
      }
      const items = m.album ?? [m];
      return guarded(m, async () => {
        const denied = await permission(m, cfg);
        if (denied) throw denied;
        const saved: { relPath: string; bytes: number; data: Uint8Array }[] = [];
        const failed: string[] = [];
        for (const item of items) {
          const upload = uploadOf(item, limits().fromTelegram);
          if (!upload) continue;
          try {
            saved.push(await put(item, cwd, cfg, undefined, false, upload));
          } catch (e) {
            // One refused item of an album is reported beside the others; a lone item is the reply.
            if (items.length === 1 || !(e instanceof Refusal)) throw e;
            logger().debug({ chat_id: m.chatId, user_id: m.userId, code: e.code }, "files.refused");
            failed.push(e.message);
          }
        }
        if (saved.length === 0) {
          if (failed.length > 0) throw refuse("files.album_failed", `nothing saved: ${failed.join("; ")}`);
          return undefined;
        }
        const total = saved.reduce((n, f) => n + f.bytes, 0);
        const names = saved.map((f) => shown(f.relPath)).join(", ");
        const failures = failed.length > 0 ? `\nnot saved: ${failed.join("; ")}` : "";
        await reply(m, `saved ${names} (${formatSize(total)})${failures}`);
        const paths = saved.map((f) => f.relPath);
        const caption = m.text.trim();
        // Photos and image documents also go to the engine as images (engines that take them).
        const images: PromptImage[] = [];
        for (const f of saved) {
          const mediaType = f.data.byteLength <= MAX_PROMPT_IMAGE_BYTES ? imageTypeOf(f.data) : undefined;
          if (mediaType) images.push({ mediaType, data: f.data });
        }
        if (caption !== "")
          return {
            startRunWith: promptWithAttachments(caption, paths),
            ...(images.length > 0 ? { images } : {}),
          };
        if (cfg.auto_put_mode === "prompt") return { pendingPaths: paths };
        return undefined;
      });
    },
  };
}
