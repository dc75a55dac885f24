// Reading files and whole directories out of a project root for sending to Telegram. Every file is
// read through path-guard's openInsideRoot (no final symlink, real path inside the root, deny globs
// on the real path), so the check and the read use the same descriptor.

import type { FileHandle } from "node:fs/promises";
import { opendir } from "node:fs/promises";
import { UntetherError } from "../errors.ts";
import { denyReason, openInsideRoot, PathGuardError, statInsideRoot } from "../security/path-guard.ts";

/** The content (or the zip) is over the transfer limit. */
export class TooLargeError extends UntetherError {
  constructor(readonly limit: number) {
    super("file.too_large", `over the limit of ${limit} bytes.`);
  }
}

const CHUNK = 1024 * 1024;

/**
 * Reads an open file up to `maxBytes`, throwing TooLargeError past it. Memory grows with the file,
 * not with the limit (the self-hosted limit is 2000 MiB), and a file growing after stat is caught.
 */
export async function readHandleCapped(handle: FileHandle, maxBytes: number): Promise<Uint8Array> {
  const { size } = await handle.stat();
  if (size > maxBytes) throw new TooLargeError(maxBytes);
  let buffer = new Uint8Array(Math.min(size, maxBytes) + 1);
  let filled = 0;
  for (;;) {
    if (filled === buffer.byteLength) {
      if (filled > maxBytes) throw new TooLargeError(maxBytes);
      const bigger = new Uint8Array(Math.min(filled * 2, maxBytes + 1));
      bigger.set(buffer);
      buffer = bigger;
    }
    const { bytesRead } = await handle.read(buffer, filled, buffer.byteLength - filled, null);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  if (filled > maxBytes) throw new TooLargeError(maxBytes);
  return buffer.slice(0, filled);
}

/** Reads `relPath` below `root` through the guard, capped at `maxBytes`. */
export async function readFileCapped(
  root: string,
  relPath: string,
  maxBytes: number,
  denyGlobs: readonly string[],
  allowHardLinks = false,
): Promise<{ data: Uint8Array; relPath: string }> {
  const opened = await openInsideRoot(root, relPath, "read", { denyGlobs, allowHardLinks });
  try {
    return { data: await readHandleCapped(opened.handle, maxBytes), relPath: opened.relPath };
  } finally {
    await opened.handle.close().catch(() => undefined);
  }
}

export interface ZipOptions {
  /** Cap on the zip itself. */
  maxBytes: number;
  denyGlobs: readonly string[];
  /** Include regular files with more than one hard link (default false: skipped as `path.hard_link`). */
  allowHardLinks?: boolean;
  /** Cap on the bytes read (a very compressible tree must not keep us busy for minutes); default 4 × maxBytes. */
  maxInputBytes?: number;
  /** Most members; default 10 000. */
  maxMembers?: number;
}

export interface ZipResult {
  data: Uint8Array;
  /** Member paths inside the archive (`<dir name>/…`). */
  members: string[];
  /** Entries left out: path relative to the project root and why. */
  skipped: { path: string; reason: string }[];
}

export class ZipLimitError extends UntetherError {
  constructor(message: string) {
    super("file.zip_limit", message);
  }
}

const join = (a: string, b: string): string => (a === "" ? b : `${a}/${b}`);

/**
 * Zips the directory `relDir` below `root` (deflate). Symlinks, non-regular files and deny-matched
 * entries are left out and reported; anything that fails the guard on opening is left out too.
 */
export async function zipDirectoryInsideRoot(root: string, relDir: string, opts: ZipOptions): Promise<ZipResult> {
  const top = await statInsideRoot(root, relDir, { denyGlobs: opts.denyGlobs });
  if (top.kind !== "directory") throw new PathGuardError("path.not_directory", `${top.relPath} is not a directory.`);
  const maxInput = opts.maxInputBytes ?? opts.maxBytes * 4;
  const maxMembers = opts.maxMembers ?? 10_000;
  const baseName = top.relPath.split("/").pop() ?? "archive";
  // fflate is loaded on the first zip only: at import it costs an idle bot ~11 MiB (docs/benchmarks.md).
  const { Zip, ZipDeflate } = await import("fflate");

  const chunks: Uint8Array[] = [];
  let outBytes = 0;
  let failure: Error | undefined;
  const zip = new Zip((err, chunk) => {
    if (err) failure ??= err;
    if (failure) return;
    outBytes += chunk.byteLength;
    if (outBytes > opts.maxBytes) failure = new TooLargeError(opts.maxBytes);
    else chunks.push(chunk);
  });
  const members: string[] = [];
  const skipped: { path: string; reason: string }[] = [];
  let inBytes = 0;
  const check = (): void => {
    if (failure) throw failure;
  };

  const addFile = async (rel: string, member: string): Promise<void> => {
    let opened: Awaited<ReturnType<typeof openInsideRoot>>;
    try {
      opened = await openInsideRoot(root, rel, "read", {
        denyGlobs: opts.denyGlobs,
        allowHardLinks: opts.allowHardLinks === true,
      });
    } catch (e) {
      if (e instanceof PathGuardError) return void skipped.push({ path: rel, reason: e.code });
      throw e;
    }
    try {
      if (members.length >= maxMembers) throw new ZipLimitError(`the directory has more than ${maxMembers} files.`);
      const file = new ZipDeflate(member, { level: 6 });
      zip.add(file);
      const buffer = new Uint8Array(CHUNK);
      for (;;) {
        const { bytesRead } = await opened.handle.read(buffer, 0, CHUNK, null);
        inBytes += bytesRead;
        if (inBytes > maxInput) throw new TooLargeError(opts.maxBytes);
        file.push(buffer.slice(0, bytesRead), bytesRead === 0);
        check();
        if (bytesRead === 0) break;
      }
      members.push(member);
    } finally {
      await opened.handle.close().catch(() => undefined);
    }
  };

  const walk = async (rel: string, member: string): Promise<void> => {
    // statInsideRoot re-verifies the directory itself (no symlink, inside the real root).
    const dir = await statInsideRoot(root, rel, { denyGlobs: opts.denyGlobs });
    const entries: { name: string; kind: "file" | "dir" | "symlink" | "other" }[] = [];
    for await (const d of await opendir(dir.realPath)) {
      const kind = d.isSymbolicLink() ? "symlink" : d.isDirectory() ? "dir" : d.isFile() ? "file" : "other";
      entries.push({ name: d.name, kind });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { name, kind } of entries) {
      const childRel = join(rel, name);
      const childMember = `${member}/${name}`;
      const rule = denyReason(childRel, opts.denyGlobs);
      if (rule !== undefined) skipped.push({ path: childRel, reason: `denied by rule: ${rule}` });
      else if (kind === "symlink") skipped.push({ path: childRel, reason: "symlink" });
      else if (kind === "other") skipped.push({ path: childRel, reason: "not a regular file" });
      else if (kind === "dir") await walk(childRel, childMember);
      else await addFile(childRel, childMember);
    }
  };

  try {
    await walk(top.relPath, baseName);
    zip.end();
    check();
  } catch (e) {
    zip.terminate();
    throw e;
  }
  const data = new Uint8Array(outBytes);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.byteLength;
  }
  return { data, members, skipped };
}
