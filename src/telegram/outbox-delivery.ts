// After a run: files the agent left in `<run root>/<outbox_dir>` are sent to the chat as documents,
// through the same guards as /file get (no symlinks, deny globs, size limit), then cleaned up.
// Called from the run manager's afterRun hook; never throws for a single bad entry.
import { lstat, opendir, rm, rmdir, unlink } from "node:fs/promises";
import type { FilesConfig } from "../config/schema.ts";
import type { ChatRef, Transport } from "../core/transport.ts";
import { logger } from "../log/logger.ts";
import { effectiveDenyGlobs } from "../security/deny-globs.ts";
import {
  denyReason,
  normalizeRelativePath,
  openInsideRoot,
  PathGuardError,
  statInsideRoot,
} from "../security/path-guard.ts";
import { formatSize, transferLimits } from "./files.ts";
import { escapeHtml } from "./html.ts";
import { readHandleCapped, TooLargeError, ZipLimitError, zipDirectoryInsideRoot } from "./zip.ts";

export interface OutboxResult {
  /** Names sent (a zipped directory as `<name>.zip`). */
  sent: string[];
  skipped: { name: string; reason: string }[];
}

export interface DeliveryOptions {
  /** False for a self-hosted Bot API server (2000 MiB limit); default true. */
  apiBaseIsTelegram?: boolean;
}

type Kind = "file" | "dir" | "symlink" | "other";

const SKIPPED_DIR = ".skipped";
const MAX_LISTED = 20;

function errnoOf(e: unknown): string | undefined {
  return e instanceof Error && "code" in e && typeof e.code === "string" ? e.code : undefined;
}

/** Lists the outbox (flat), sorted by name; undefined when there is none (or it is not a plain directory). */
async function listOutbox(
  root: string,
  outboxRel: string,
  globs: readonly string[],
): Promise<{ name: string; kind: Kind }[] | undefined> {
  let real: string;
  try {
    const st = await statInsideRoot(root, outboxRel, { denyGlobs: globs });
    if (st.kind !== "directory") return undefined;
    real = st.realPath;
  } catch (e) {
    if (!(e instanceof PathGuardError && e.code === "path.not_found")) {
      logger().warn({ code: e instanceof PathGuardError ? e.code : "error" }, "files.outbox_unusable");
    }
    return undefined;
  }
  const entries: { name: string; kind: Kind }[] = [];
  try {
    for await (const d of await opendir(real)) {
      if (d.name === SKIPPED_DIR) continue;
      const kind: Kind = d.isSymbolicLink() ? "symlink" : d.isDirectory() ? "dir" : d.isFile() ? "file" : "other";
      entries.push({ name: d.name, kind });
    }
  } catch (e) {
    logger().warn({ errno: errnoOf(e) }, "files.outbox_unreadable");
    return undefined;
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Sends the outbox of `runRoot` to `chat`. Does nothing unless `files.enabled` and `outbox_enabled`.
 * Entries are taken in name order; at most `outbox_max_files` are sent, the rest stay for later.
 */
export async function deliverOutbox(
  runRoot: string,
  config: FilesConfig,
  chat: ChatRef,
  transport: Transport,
  replyTo?: number,
  opts: DeliveryOptions = {},
): Promise<OutboxResult> {
  const result: OutboxResult = { sent: [], skipped: [] };
  if (!config.enabled || !config.outbox_enabled) return result;
  const globs = effectiveDenyGlobs(config.deny_globs);
  const limit = transferLimits(opts.apiBaseIsTelegram ?? true).toTelegram;
  let outboxRel: string;
  try {
    outboxRel = normalizeRelativePath(config.outbox_dir);
  } catch {
    logger().warn({}, "files.outbox_bad_dir");
    return result;
  }
  const entries = await listOutbox(runRoot, outboxRel, globs);
  if (entries === undefined || entries.length === 0) return result;

  const sendOpts = replyTo === undefined ? {} : { replyTo };
  const toDelete: { rel: string; dir: boolean; ino: number; dev: number }[] = [];
  const skip = (name: string, reason: string): void => void result.skipped.push({ name, reason });

  for (const { name, kind } of entries) {
    const rel = `${outboxRel}/${name}`;
    if (result.sent.length >= config.outbox_max_files) {
      skip(name, `over outbox_max_files (${config.outbox_max_files}); left for the next run`);
      continue;
    }
    if (kind === "symlink") {
      skip(name, "symlink");
      continue;
    }
    if (kind === "other") {
      skip(name, "not a regular file");
      continue;
    }
    const rule = denyReason(rel, globs);
    if (rule !== undefined) {
      skip(name, `denied by rule: ${rule}`);
      continue;
    }
    if (kind === "dir" && config.outbox_deliver_directories !== "zip") {
      skip(name, "directory");
      continue;
    }

    let doc: { fileName: string; data: Uint8Array; caption: string };
    let identity: { ino: number; dev: number };
    try {
      if (kind === "dir") {
        const zipped = await zipDirectoryInsideRoot(runRoot, rel, {
          maxBytes: limit,
          denyGlobs: globs,
          allowHardLinks: config.allow_hard_links,
        });
        if (zipped.members.length === 0) {
          skip(name, "empty directory");
          continue;
        }
        doc = {
          fileName: `${name}.zip`,
          data: zipped.data,
          caption: `📎 <code>${escapeHtml(name)}.zip</code> (${formatSize(zipped.data.byteLength)})`,
        };
        const dir = await statInsideRoot(runRoot, rel, { denyGlobs: globs });
        identity = await lstat(dir.realPath);
      } else {
        const opened = await openInsideRoot(runRoot, rel, "read", {
          denyGlobs: globs,
          allowHardLinks: config.allow_hard_links,
        });
        try {
          const st = await opened.handle.stat();
          identity = { ino: st.ino, dev: st.dev };
          if (st.size === 0) {
            skip(name, "empty file");
            continue;
          }
          const data = await readHandleCapped(opened.handle, limit);
          if (data.byteLength === 0) {
            skip(name, "empty file");
            continue;
          }
          doc = {
            fileName: name,
            data,
            caption: `📎 <code>${escapeHtml(name)}</code> (${formatSize(data.byteLength)})`,
          };
        } finally {
          await opened.handle.close().catch(() => undefined);
        }
      }
    } catch (e) {
      if (e instanceof TooLargeError) skip(name, `too large (limit ${formatSize(limit)})`);
      else if (e instanceof ZipLimitError) skip(name, e.message);
      else if (e instanceof PathGuardError)
        skip(name, e.code === "path.denied" ? `denied by rule: ${e.rule ?? "?"}` : e.code.replace("path.", ""));
      else skip(name, "could not be read");
      continue;
    }
    try {
      await transport.sendDocument(chat, doc, sendOpts);
    } catch (e) {
      logger().warn({ chat_id: chat.chatId, error: (e as Error).message }, "files.outbox_send_failed");
      skip(name, "sending failed");
      continue;
    }
    result.sent.push(doc.fileName);
    toDelete.push({ rel, dir: kind === "dir", ...identity });
  }

  if (config.outbox_notify_skipped && result.skipped.length > 0) {
    const lines = result.skipped
      .slice(0, MAX_LISTED)
      .map((s) => `• <code>${escapeHtml(s.name)}</code> — ${escapeHtml(s.reason)}`);
    if (result.skipped.length > MAX_LISTED) lines.push(`… and ${result.skipped.length - MAX_LISTED} more`);
    const n = result.skipped.length;
    await transport
      .send(chat, [`📎 outbox: ${n} ${n === 1 ? "entry" : "entries"} not sent:`, ...lines].join("\n"), sendOpts)
      .catch((e: unknown) => {
        logger().warn({ chat_id: chat.chatId, error: (e as Error).message }, "files.outbox_notify_failed");
      });
  }
  if (config.outbox_cleanup) await cleanup(runRoot, outboxRel, toDelete, globs);
  logger().info(
    { chat_id: chat.chatId, sent: result.sent.length, skipped: result.skipped.length },
    "files.outbox_delivered",
  );
  return result;
}

/** Deletes what was sent (only if the entry is still the one we read), then the outbox if empty. */
async function cleanup(
  root: string,
  outboxRel: string,
  sent: { rel: string; dir: boolean; ino: number; dev: number }[],
  globs: readonly string[],
): Promise<void> {
  let outboxReal: string;
  try {
    outboxReal = (await statInsideRoot(root, outboxRel, { denyGlobs: globs })).realPath;
  } catch {
    return;
  }
  for (const item of sent) {
    const path = `${outboxReal}/${item.rel.slice(outboxRel.length + 1)}`;
    try {
      const now = await lstat(path);
      if (now.ino !== item.ino || now.dev !== item.dev || now.isDirectory() !== item.dir) continue;
      if (item.dir) await rm(path, { recursive: true });
      else await unlink(path);
    } catch (e) {
      logger().warn({ errno: errnoOf(e) }, "files.outbox_cleanup_failed");
    }
  }
  await rmdir(outboxReal).catch(() => undefined);
}
