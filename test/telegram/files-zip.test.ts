// `/file get <directory>` sends `<name>.zip`; unzipped here with fflate to check what is inside.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { BUILTIN_DENY_GLOBS } from "../../src/security/deny-globs.ts";
import { MIB } from "../../src/telegram/files.ts";
import { TooLargeError, ZipLimitError, zipDirectoryInsideRoot } from "../../src/telegram/zip.ts";
import { type Harness, harness, message, quietLogs, text } from "./files-fixtures.ts";

let h: Harness;
beforeAll(quietLogs);
afterEach(() => h?.project.dispose());

function tree(): void {
  const p = h.project;
  p.write("app/main.ts", "export {};\n");
  p.write("app/lib/util.ts", "export const x = 1;\n");
  p.write("app/.env", "SECRET=1");
  p.write("app/lib/.env.local", "SECRET=2");
  p.write("app/.git/config", "[core]");
  p.write("app/certs/server.pem", "KEY");
  p.write("app/.ssh/id_rsa", "KEY");
  p.link("app/link-to-env", ".env");
  p.link("app/link-out", join(p.outside, "secret.txt"));
  p.link("app/dir-out", p.outside);
  p.link("app/lib/loop", "..");
}

describe("/file get <directory>", () => {
  test("zips regular files only; .env, .git/, deny-globbed files and symlinks are left out and counted", async () => {
    h = harness();
    tree();
    await h.handler.command(message(), "get app", h.project.root);
    const sent = h.transport.docs[0];
    expect(sent?.doc.fileName).toBe("app.zip");
    const files = unzipSync(sent?.doc.data ?? new Uint8Array());
    expect(Object.keys(files).sort()).toEqual(["app/lib/util.ts", "app/main.ts"]);
    expect(text(files["app/main.ts"] ?? new Uint8Array())).toBe("export {};\n");
    // .env, .env.local, .git, certs/server.pem, .ssh, and four symlinks.
    expect(sent?.doc.caption).toMatch(/^<code>app\/<\/code> \(2 files, \d+ b, 9 skipped\)$/);
    for (const member of Object.keys(files)) expect(member).not.toMatch(/\.env|\.git|\.pem|\.ssh|link|loop|dir-out/);
  });

  test("the skipped list says why each entry was left out", async () => {
    h = harness();
    tree();
    const z = await zipDirectoryInsideRoot(h.project.root, "app", {
      maxBytes: MIB,
      denyGlobs: [...BUILTIN_DENY_GLOBS],
    });
    const why = Object.fromEntries(z.skipped.map((s) => [s.path, s.reason]));
    expect(why).toEqual({
      "app/.env": "denied by rule: .env",
      "app/.git": "denied by rule: .git/**",
      "app/.ssh": "denied by rule: **/.ssh/**",
      "app/certs/server.pem": "denied by rule: **/*.pem",
      "app/dir-out": "symlink",
      "app/lib/.env.local": "denied by rule: **/.env.*",
      "app/lib/loop": "symlink",
      "app/link-out": "symlink",
      "app/link-to-env": "symlink",
    });
  });

  test("a symlinked directory, a denied directory and .git are refused as a whole", async () => {
    h = harness();
    tree();
    h.project.link("applink", "app");
    await h.handler.command(message(), "get applink", h.project.root);
    expect(h.transport.lastText).toContain("symlinks are not followed");
    await h.handler.command(message(), "get app/.ssh", h.project.root);
    expect(h.transport.lastText).toContain("path denied by rule: <code>**/.ssh/**</code>");
    await h.handler.command(message(), "get app/.git", h.project.root);
    expect(h.transport.lastText).toContain("path denied by rule: <code>.git/**</code>");
    expect(h.transport.docs.length).toBe(0);
  });

  test("a directory with nothing sendable is refused", async () => {
    h = harness();
    h.project.write("only-secrets/.env", "X=1");
    await h.handler.command(message(), "get only-secrets", h.project.root);
    expect(h.transport.lastText).toBe("the directory has no files that may be sent.");
  });

  test("a zip over the limit aborts with a clear reply", async () => {
    h = harness();
    // Incompressible: the zip is bigger than 50 MiB.
    for (let i = 0; i < 6; i++) h.project.write(`big/part${i}.bin`, new Uint8Array(randomBytes(9 * MIB)));
    await h.handler.command(message(), "get big", h.project.root);
    expect(h.transport.lastText).toBe("file is too large to send (limit 50 mb).");
    expect(h.transport.docs.length).toBe(0);
  });

  test("caps on input bytes and member count", async () => {
    h = harness();
    // 5 MiB of zeros zips to a few kb, but reading it passes the default input cap of 4 × maxBytes.
    h.project.write("zeros/a.bin", new Uint8Array(5 * MIB));
    const globs = [...BUILTIN_DENY_GLOBS];
    await expect(
      zipDirectoryInsideRoot(h.project.root, "zeros", { maxBytes: MIB, denyGlobs: globs }),
    ).rejects.toBeInstanceOf(TooLargeError);
    const ok = await zipDirectoryInsideRoot(h.project.root, "zeros", {
      maxBytes: MIB,
      maxInputBytes: 8 * MIB,
      denyGlobs: globs,
    });
    expect(unzipSync(ok.data)["zeros/a.bin"]?.byteLength).toBe(5 * MIB);
    for (let i = 0; i < 5; i++) h.project.write(`many/f${i}.txt`, "x");
    await expect(
      zipDirectoryInsideRoot(h.project.root, "many", { maxBytes: MIB, maxMembers: 4, denyGlobs: globs }),
    ).rejects.toBeInstanceOf(ZipLimitError);
  });
});
