// Multipart uploads for webhooks with `accept_multipart` (behaviour §3.10, tightened): parsed only
// after size, auth and rate checks passed on the raw bytes; files land only inside the webhook's
// project root, under the same path guard and deny globs as file_write.
import type { WebhookConfig } from "../config/schema.ts";
import { logger } from "../log/logger.ts";
import {
  denyReason,
  normalizeRelativePath,
  PathGuardError,
  writeFileAtomicInsideRoot,
} from "../security/path-guard.ts";
import type { ActionContext } from "./actions.ts";
import { renderTemplate } from "./template.ts";

export const UPLOAD_FALLBACK_NAME = "upload.bin";
const SAFE_NAME = /^[a-zA-Z0-9._-]+$/;

/** `/` and `\` become `_`; anything else outside `[a-zA-Z0-9._-]`, or a dots-only name, is `upload.bin`. */
export function sanitizeUploadName(name: string): string {
  const flat = name.replace(/[/\\]/g, "_");
  // `.`/`..` pass the character class but name no file of their own.
  return SAFE_NAME.test(flat) && !/^\.+$/.test(flat) ? flat : UPLOAD_FALLBACK_NAME;
}

export function isMultipart(w: WebhookConfig, contentType: string | null): contentType is string {
  return w.accept_multipart && contentType !== null && /^\s*multipart\/form-data/i.test(contentType);
}

interface PendingFile {
  filename: string;
  relPath: string;
  data: Uint8Array;
}

export interface PreparedUpload {
  root: string;
  fields: Record<string, string>;
  files: PendingFile[];
}

export type Prepared = { ok: true; upload: PreparedUpload } | { ok: false; status: number; text: string };

const refuse = (status: number, text: string): Prepared => ({ ok: false, status, text });

/**
 * Parses the already-authenticated bytes and decides every destination before anything is written,
 * so a refused part leaves no partial upload behind.
 */
export async function prepareUpload(
  w: WebhookConfig,
  raw: Uint8Array,
  contentType: string,
  ctx: ActionContext,
): Promise<Prepared> {
  const root = ctx.sink.projectPath(w.project);
  if (root === undefined) {
    logger().error(
      { webhook: w.id, fix: "set triggers.webhooks[].project to a configured project" },
      "triggers.webhook.multipart_no_project",
    );
    return refuse(400, "multipart uploads need a project: set triggers.webhooks[].project");
  }
  const form = await new Response(raw, { headers: { "content-type": contentType } }).formData().catch(() => undefined);
  if (form === undefined) return refuse(400, "invalid multipart body");
  const fields: Record<string, string> = {};
  const parts: File[] = [];
  for (const [key, value] of form.entries()) {
    if (typeof value === "string") fields[key] = value;
    else parts.push(value);
  }
  const files: PendingFile[] = [];
  for (const part of parts) {
    if (part.size > w.max_file_size_bytes) {
      logger().warn({ webhook: w.id, size: part.size, max: w.max_file_size_bytes }, "triggers.webhook.file_too_large");
      return refuse(413, "file too large");
    }
    const filename = sanitizeUploadName(part.name);
    // `file` last: a form field cannot stand in for the sanitised name.
    const dest =
      w.file_destination === undefined
        ? `incoming/webhooks/${w.id}/${filename}`
        : renderTemplate(w.file_destination, { ...fields, file: { filename } });
    try {
      const relPath = normalizeRelativePath(dest);
      const denied = denyReason(relPath, ctx.sink.denyGlobs());
      if (denied !== undefined) throw new PathGuardError("path.denied", `denied by ${denied}`, { rule: denied });
      files.push({ filename, relPath, data: new Uint8Array(await part.arrayBuffer()) });
    } catch (e) {
      if (!(e instanceof PathGuardError)) throw e;
      logger().warn({ webhook: w.id, code: e.code, rule: e.rule }, "triggers.webhook.file_destination_refused");
      return refuse(400, "file destination refused");
    }
  }
  return { ok: true, upload: { root, fields, files } };
}

export interface SavedFile {
  filename: string;
  path: string;
  size: number;
}

/**
 * Writes the files (never over an existing one: a taken name becomes `name_N`) and returns the
 * action payload: the text fields plus `files`. A refusal at write time (e.g. a symlink in the way)
 * is `undefined`; files written before it stay, as their own complete uploads.
 */
export async function saveUpload(
  w: WebhookConfig,
  upload: PreparedUpload,
  ctx: ActionContext,
): Promise<Record<string, unknown> | undefined> {
  const saved: SavedFile[] = [];
  for (const f of upload.files) {
    try {
      const written = await writeFileAtomicInsideRoot(upload.root, f.relPath, f.data, {
        denyGlobs: ctx.sink.denyGlobs(),
      });
      saved.push({ filename: f.filename, path: written.relPath, size: written.bytes });
    } catch (e) {
      if (!(e instanceof PathGuardError)) throw e;
      logger().warn({ webhook: w.id, code: e.code, rule: e.rule }, "triggers.webhook.file_destination_refused");
      return undefined;
    }
  }
  logger().info({ webhook: w.id, files: saved.length }, "triggers.webhook.files_saved");
  return { ...upload.fields, files: saved };
}
