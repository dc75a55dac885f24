// Adversarial paths through `/file get` and `/file put`: each one refused with the reason a user
// can act on, nothing sent, nothing written outside the project.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bytes, docMessage, type Harness, harness, message, quietLogs } from "./files-fixtures.ts";

let h: Harness;

beforeAll(() => {
  quietLogs();
  h = harness();
  const p = h.project;
  p.write(".env", "TOKEN=root");
  p.write("sub/.env", "TOKEN=sub");
  p.write(".envrc", "export X=1");
  p.write("sub/.envrc", "export X=2");
  p.write(".env.local", "L=1");
  p.write("config/.env.production", "P=1");
  p.write(".git/config", "[core]");
  p.write("a/.git/HEAD", "ref: refs/heads/main");
  p.write("key.pem", "-----BEGIN PRIVATE KEY-----");
  p.write("deep/er/key.pem", "-----BEGIN PRIVATE KEY-----");
  p.write("server.key", "k");
  p.write("x/.ssh/id_ed25519", "ssh key");
  p.write(".ssh/id_rsa", "ssh key");
  p.write("home/id_rsa", "ssh key");
  p.write("id_ed25519", "ssh key");
  p.write(".netrc", "machine x");
  p.write(".npmrc", "//registry:_authToken=x");
  p.write("sub/.pypirc", "[pypi]");
  p.write("ok.txt", "fine");
  p.link("etc-link", "/etc");
  p.link("env-link", ".env");
  p.link("sub/env-link", "../.env");
  p.link("out-file-link", join(p.outside, "secret.txt"));
  p.link("out-dir-link", p.outside);
  p.link("pem-alias.txt", "key.pem");
});

afterAll(() => h.project.dispose());

const ESCAPE = "escapes the project root";
const SYMLINK = "symlinks are not followed";
const TRAVERSAL = "'..' is not allowed";
const LOOKALIKE = "look-alike";
const rule = (g: string): string => `path denied by rule: <code>${g.replace(/</g, "&lt;")}</code>`;

// [path, expected text in the /file get reply]
const GET_CASES: [string, string][] = [
  ["../../etc/passwd", TRAVERSAL],
  ["../outside/secret.txt", TRAVERSAL],
  ["sub/../../outside/secret.txt", TRAVERSAL],
  ["sub/../.env", TRAVERSAL],
  ["/etc/passwd", "absolute paths are not allowed"],
  ["//etc/passwd", "absolute paths are not allowed"],
  ["／etc/passwd", "absolute paths are not allowed"],
  ["~/.ssh/id_rsa", "starting with '~'"],
  ["~root/.bashrc", "starting with '~'"],
  ["./~/x", "starting with '~'"],
  [".env", rule(".env")],
  ["./.env", rule(".env")],
  ["sub//.env", rule(".env")],
  ["sub/.env", rule(".env")],
  [".ENV", rule(".env")],
  [".envrc", rule(".envrc")],
  ["sub/.envrc", rule(".envrc")],
  [".env.local", rule("**/.env.*")],
  ["config/.env.production", rule("**/.env.*")],
  [".git/config", rule(".git/**")],
  ["a/.git/HEAD", rule(".git/**")],
  [".git", rule(".git/**")],
  [".GIT/config", rule(".git/**")],
  ["key.pem", rule("**/*.pem")],
  ["deep/er/key.pem", rule("**/*.pem")],
  ["ｋｅｙ.ｐｅｍ", rule("**/*.pem")],
  ["KEY.PEM", rule("**/*.pem")],
  ["server.key", rule("**/*.key")],
  ["x/.ssh/id_ed25519", rule("**/.ssh/**")],
  [".ssh/id_rsa", rule("**/.ssh/**")],
  ["x/.ssh", rule("**/.ssh/**")],
  ["home/id_rsa", rule("**/id_rsa")],
  ["id_ed25519", rule("**/id_ed25519")],
  [".netrc", rule("**/.netrc")],
  [".npmrc", rule("**/.npmrc")],
  ["sub/.pypirc", rule("**/.pypirc")],
  ["etc-link/passwd", ESCAPE],
  ["etc-link", SYMLINK],
  ["out-dir-link/secret.txt", ESCAPE],
  ["out-file-link", SYMLINK],
  ["env-link", SYMLINK],
  ["sub/env-link", SYMLINK],
  ["pem-alias.txt", SYMLINK],
  ["%2e%2e/%2e%2e/etc/passwd", "file does not exist"],
  ["..%2f..%2fetc%2fpasswd", "file does not exist"],
  ["%2eenv", "file does not exist"],
  ["．．/etc/passwd", LOOKALIKE],
  ["‥/etc/passwd", LOOKALIKE],
  ["．env", LOOKALIKE],
  ["sub/．．/．env", LOOKALIKE],
  ["ok\u202etxt.exe", "control characters"],
  ["ok\ntxt", "control characters"],
  ["a\\..\\..\\etc\\passwd", "backslashes are not allowed"],
  ["C:\\Windows\\win.ini", "backslashes are not allowed"],
  ["ok\0.txt", "NUL"],
  ["x".repeat(300), "longer than 255 bytes"],
  [`${"a/".repeat(70)}f`, "more than 64 components"],
  ["a".repeat(5000), "longer than 4096 bytes"],
  ["file:///etc/passwd", "file does not exist"],
  ["nonexistent.txt", "file does not exist"],
];

// `/file get` with quotes so every path arrives as one argument (a quote inside breaks that; skip those).
const quoted = (p: string): string => (p.includes('"') ? p : `"${p}"`);

describe("/file get refuses adversarial paths", () => {
  test("there are at least 40 cases", () => {
    expect(GET_CASES.length).toBeGreaterThanOrEqual(40);
  });

  for (const [path, expected] of GET_CASES) {
    test(`get ${JSON.stringify(path).slice(0, 60)}`, async () => {
      const docsBefore = h.transport.docs.length;
      await h.handler.command(message({ text: `/file get ${quoted(path)}` }), `get ${quoted(path)}`, h.project.root);
      expect(h.transport.docs.length).toBe(docsBefore);
      expect(h.transport.lastText).toContain(expected);
      // Whatever the user typed is escaped in the reply.
      expect(h.transport.lastText).not.toMatch(/<(?!\/?code>)/);
    });
  }

  test("an unrefused sibling is still sent (the guard is not refusing everything)", async () => {
    await h.handler.command(message(), 'get "ok.txt"', h.project.root);
    expect(h.transport.docs.at(-1)?.doc.fileName).toBe("ok.txt");
  });
});

// [target path, expected text in the reply]; a document is attached each time.
const PUT_CASES: [string, string][] = [
  ["../escape.txt", TRAVERSAL],
  ["../../tmp/escape.txt", TRAVERSAL],
  ["/tmp/escape.txt", "absolute paths are not allowed"],
  ["~/escape.txt", "starting with '~'"],
  [".env", rule(".env")],
  ["sub/.env", rule(".env")],
  [".envrc", rule(".envrc")],
  [".git/config", rule(".git/**")],
  ["a/.git/hooks/pre-commit", rule(".git/**")],
  ["key.pem", rule("**/*.pem")],
  ["deep/er/new.pem", rule("**/*.pem")],
  ["x/.ssh/authorized_keys", rule("**/.ssh/**")],
  [".ssh/", rule("**/.ssh/**")],
  ["out-dir-link/secret.txt", ESCAPE],
  ["out-dir-link/new.txt", ESCAPE],
  ["out-file-link", "symlink"],
  ["env-link", "symlink"],
  ["．．/escape.txt", LOOKALIKE],
  ["sub\\..\\..\\escape.txt", "backslashes are not allowed"],
  ["x".repeat(300), "longer than 255 bytes"],
  ["sub", "upload target is a directory"],
];

describe("/file put refuses adversarial targets", () => {
  for (const [path, expected] of PUT_CASES) {
    test(`put ${JSON.stringify(path).slice(0, 60)}`, async () => {
      h.api.addFile("f-put", bytes("payload"));
      const m = docMessage("f-put", "note.txt", 7, { text: `/file put ${quoted(path)}` });
      await h.handler.command(m, `put ${quoted(path)}`, h.project.root);
      expect(h.transport.lastText).toContain(expected);
      expect(h.transport.lastText).not.toContain("saved");
    });
  }

  test("nothing was written outside the project, and denied files are untouched", () => {
    expect(readdirSync(h.project.outside)).toEqual(["secret.txt"]);
    expect(readFileSync(join(h.project.outside, "secret.txt"), "utf8")).toBe("outside secret");
    expect(readFileSync(h.project.path(".env"), "utf8")).toBe("TOKEN=root");
    expect(readFileSync(h.project.path("key.pem"), "utf8")).toContain("PRIVATE KEY");
    expect(existsSync(h.project.path("deep/er/new.pem"))).toBe(false);
    expect(existsSync(h.project.path("../escape.txt"))).toBe(false);
  });

  test("syntactically refused targets never download the document", async () => {
    const before = h.api.count("download");
    h.api.addFile("f-syn", bytes("payload"));
    await h.handler.command(docMessage("f-syn", "a.txt", 7), 'put "../x.txt"', h.project.root);
    await h.handler.command(docMessage("f-syn", "a.txt", 7), 'put ".env"', h.project.root);
    expect(h.api.count("download")).toBe(before);
  });

  test("a document whose own name is denied lands nowhere when put into a directory", async () => {
    h.api.addFile("f-envname", bytes("SECRET=1"));
    await h.handler.command(docMessage("f-envname", ".env", 8), 'put "sub/"', h.project.root);
    expect(h.transport.lastText).toContain(rule(".env"));
    expect(readFileSync(h.project.path("sub/.env"), "utf8")).toBe("TOKEN=sub");
  });

  test("a document named like a traversal is reduced to its base name", async () => {
    h.api.addFile("f-trav", bytes("x"));
    await h.handler.command(docMessage("f-trav", "../../evil.txt", 1), 'put "drop/"', h.project.root);
    expect(h.transport.lastText).toContain("saved <code>drop/evil.txt</code>");
    expect(existsSync(join(h.project.root, "..", "evil.txt"))).toBe(false);
  });
});
