import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { BUILTIN_DENY_GLOBS } from "../../src/security/deny-globs.ts";
import {
  dedupName,
  denyReason,
  listDirInsideRoot,
  normalizeRelativePath,
  openInsideRoot,
  PathGuardError,
  readFileInsideRoot,
  statInsideRoot,
  writeFileAtomicInsideRoot,
} from "../../src/security/path-guard.ts";

let base: string;
let root: string;
let outside: string;

// Every file whose content starts with SECRET must never be served.
beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "untether-pg-")));
  root = join(base, "root");
  outside = join(base, "outside");
  mkdirSync(outside);
  writeFileSync(join(outside, "secret.txt"), "SECRET-OUTSIDE");
  writeFileSync(join(outside, "passwd"), "SECRET-PASSWD");
  mkdirSync(join(root, "a", ".ssh"), { recursive: true });
  mkdirSync(join(root, ".git"));
  mkdirSync(join(root, "%2e%2e"));
  mkdirSync(join(root, "docs"));
  writeFileSync(join(root, "a", "file.txt"), "public-a");
  writeFileSync(join(root, "a", "x"), "public-x");
  writeFileSync(join(root, "a", ".ssh", "id"), "SECRET-SSH");
  writeFileSync(join(root, ".env"), "SECRET-ENV");
  writeFileSync(join(root, ".envrc"), "SECRET-ENVRC");
  writeFileSync(join(root, ".git", "config"), "SECRET-GIT");
  writeFileSync(join(root, "key.pem"), "SECRET-PEM");
  writeFileSync(join(root, "docs", "readme.md"), "public-readme");
  writeFileSync(join(root, "%2e%2e", "x"), "public-pct");
  writeFileSync(join(root, "\uFF0Eenv"), "SECRET-FULLWIDTH-ENV");
  symlinkSync(outside, join(root, "link-out"));
  symlinkSync("/etc", join(root, "link-etc"));
  symlinkSync(".env", join(root, "link-env"));
  symlinkSync(join(root, "a", ".ssh"), join(root, "link-ssh"));
  symlinkSync("docs", join(root, "link-docs"));
  symlinkSync(join(outside, "secret.txt"), join(root, "docs", "out.txt"));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof PathGuardError) return e.code;
    throw e;
  }
  return "ok";
}

async function asyncCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PathGuardError) return e.code;
    throw e;
  }
  return "ok";
}

describe("normalizeRelativePath", () => {
  const refused: [string, string][] = [
    ["", "path.empty"],
    ["   ", "path.empty"],
    [".", "path.empty"],
    ["./", "path.empty"],
    ["././/", "path.empty"],
    ["/etc/passwd", "path.absolute"],
    ["//etc/passwd", "path.absolute"],
    ["\uFF0Fetc/passwd", "path.absolute"],
    ["~/.ssh/id_rsa", "path.home"],
    ["~root/x", "path.home"],
    ["..", "path.traversal"],
    ["../../etc/passwd", "path.traversal"],
    ["a/../../etc/passwd", "path.traversal"],
    ["a/b/..", "path.traversal"],
    ["\u2024\u2024/etc/passwd", "path.traversal"],
    ["\uFF0E\uFF0E/etc/passwd", "path.traversal"],
    ["a/\uFE52\uFE52/b", "path.traversal"],
    ["a/\u2025/b", "path.traversal"],
    ["a/\u2024", "path.traversal"],
    ["a\0b", "path.nul"],
    ["a/b\0", "path.nul"],
    [".git/config", "path.git"],
    ["a/.git/HEAD", "path.git"],
    [".GIT/config", "path.git"],
    ["a/.Git", "path.git"],
    ["\uFF0Egit/config", "path.git"],
    ["a\\b", "path.invalid"],
    ["..\\..\\etc\\passwd", "path.invalid"],
    ["a/b\nc", "path.invalid"],
    ["a\u0007", "path.invalid"],
    ["a\u007f", "path.invalid"],
    ["a\u0085b", "path.invalid"],
    ["evil\u202Etxt.exe", "path.invalid"],
    ["\uD800x", "path.invalid"],
    ["\uFF0Eenv", "path.invalid"],
    ["key\uFF0Epem", "path.invalid"],
    ["a\uFF0Fb", "path.invalid"],
    ["a\u2215b", "ok"],
    ["a/ /b", "path.invalid"],
    ["x".repeat(4097), "path.too_long"],
    ["a/".repeat(65), "path.too_long"],
    ["n".repeat(256), "path.too_long"],
    ["é".repeat(2049), "path.too_long"],
  ];
  for (const [input, code] of refused) {
    test(`${JSON.stringify(input.length > 40 ? `${input.slice(0, 20)}…(${input.length})` : input)} → ${code}`, () => {
      expect(codeOf(() => normalizeRelativePath(input))).toBe(code);
    });
  }

  const accepted: [string, string][] = [
    ["a/b.txt", "a/b.txt"],
    ["./a//b/./c.txt", "a/b/c.txt"],
    ["dir/", "dir"],
    ["%2e%2e/x", "%2e%2e/x"],
    ["%2e%2e%2f%2e%2e%2fetc", "%2e%2e%2f%2e%2e%2fetc"],
    ["...", "..."],
    ["a..b/..c", "a..b/..c"],
    ["a/~/b", "a/~/b"],
    ["ﬁle.txt", "ﬁle.txt"],
    ["e\u0301t\u00e9.md", "e\u0301t\u00e9.md"],
    ["日本語/ファイル.txt", "日本語/ファイル.txt"],
    [".github/workflows/ci.yml", ".github/workflows/ci.yml"],
    [`${"a/".repeat(63)}z`, `${"a/".repeat(63)}z`],
  ];
  for (const [input, out] of accepted) {
    test(`${JSON.stringify(input.slice(0, 40))} accepted`, () => expect(normalizeRelativePath(input)).toBe(out));
  }

  test("messages are fit for the user and name the problem", () => {
    try {
      normalizeRelativePath("../x");
    } catch (e) {
      expect((e as Error).message).toBe("'..' is not allowed in paths.");
    }
  });

  test("property: accepted paths are relative, free of '..'/.git/controls, canonical and idempotent", () => {
    const seg = fc.oneof(
      fc.constantFrom(
        "..",
        ".",
        ".git",
        ".GIT",
        ".env",
        "a",
        "%2e%2e",
        "\uFF0F",
        "\u2024\u2024",
        "\uFF0E",
        "~",
        "\\",
        "\0",
        "\n",
        "",
      ),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: "grapheme", maxLength: 4 }),
    );
    fc.assert(
      fc.property(
        fc.array(seg, { maxLength: 8 }).map((s) => s.join("/")),
        (input) => {
          let out: string;
          try {
            out = normalizeRelativePath(input);
          } catch (e) {
            return e instanceof PathGuardError && e.code.startsWith("path.") && e.message.length > 0;
          }
          const comps = out.split("/");
          return (
            !out.startsWith("/") &&
            !out.startsWith("~") &&
            !/[\0-\x1f\x7f\\]/.test(out) &&
            comps.every((c) => {
              const k = c.normalize("NFKC");
              return c !== "" && k !== "." && k !== ".." && k.toLowerCase() !== ".git" && !k.includes("/");
            }) &&
            normalizeRelativePath(out) === out
          );
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe("denyReason", () => {
  const denied: [string, string][] = [
    [".env", ".env"],
    ["sub/.env", ".env"],
    ["a/b/c/.env", ".env"],
    [".ENV", ".env"],
    ["Sub/.Env", ".env"],
    [".env/inner", ".env"],
    [".envrc", ".envrc"],
    ["deep/.envrc", ".envrc"],
    [".git", ".git/**"],
    [".git/config", ".git/**"],
    ["a/.git/HEAD", ".git/**"],
    ["key.pem", "**/*.pem"],
    ["deep/er/key.pem", "**/*.pem"],
    ["KEY.PEM", "**/*.pem"],
    ["\uFF4B\uFF45\uFF59.\uFF50\uFF45\uFF4D", "**/*.pem"],
    ["certs.pem/readme", "**/*.pem"],
    [".ssh", "**/.ssh/**"],
    [".ssh/id_rsa", "**/.ssh/**"],
    ["x/.ssh/id_ed25519", "**/.ssh/**"],
    ["x/y/.SSH/config", "**/.ssh/**"],
    [".env.example.md", "**/.env.*"],
    ["deploy/id_rsa", "**/id_rsa"],
    ["home/.netrc", "**/.netrc"],
  ];
  for (const [path, rule] of denied) {
    test(`${path} denied by ${rule}`, () => expect(denyReason(path, BUILTIN_DENY_GLOBS)).toBe(rule));
  }

  const allowed = [
    "README.md",
    "src/env.ts",
    "env.example.md",
    "a/.envx",
    "pem",
    "key.pem.txt",
    "ssh/config",
    ".github/x",
    "a/.gitignore",
  ];
  for (const path of allowed) {
    test(`${path} allowed`, () => expect(denyReason(path, BUILTIN_DENY_GLOBS)).toBeUndefined());
  }

  test("a .git component is denied even when the globs are empty", () => {
    expect(denyReason("a/.git/x", [])).toBe(".git/**");
    expect(denyReason(".env", [])).toBeUndefined();
  });

  test("the first matching glob in config order is named", () => {
    expect(denyReason("s/.aws/key.pem", ["**/.aws/**", "**/*.pem"])).toBe("**/.aws/**");
    expect(denyReason("s/secrets/a", ["**/*.key", "secrets/**"])).toBe("secrets/**");
  });

  test("property: a denied name at any depth is always denied", () => {
    const dir = fc.array(fc.stringMatching(/^[a-z0-9_]{1,6}$/), { maxLength: 6 });
    const name = fc.constantFrom(".env", ".envrc", "k.pem", ".ENV", ".ssh/id", ".git/HEAD");
    fc.assert(
      fc.property(dir, name, dir, (before, n, after) => {
        const path = [...before, n, ...after].join("/");
        return denyReason(path, BUILTIN_DENY_GLOBS) !== undefined;
      }),
      { numRuns: 10_000 },
    );
  });
});

describe("readFileInsideRoot", () => {
  test("normal files are read byte-identical", async () => {
    const r = await readFileInsideRoot(root, "a/file.txt", 1024);
    expect(new TextDecoder().decode(r.data)).toBe("public-a");
    expect(r.relPath).toBe("a/file.txt");
    expect(r.realPath).toBe(join(root, "a", "file.txt"));
    expect(new TextDecoder().decode((await readFileInsideRoot(root, "%2e%2e/x", 100)).data)).toBe("public-pct");
  });

  test("binary content survives", async () => {
    const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i * 37) % 256);
    writeFileSync(join(root, "docs", "bin.dat"), bytes);
    expect((await readFileInsideRoot(root, "docs/bin.dat", 4096)).data).toEqual(bytes);
  });

  const refused: [string, string][] = [
    ["../outside/secret.txt", "path.traversal"],
    ["/etc/passwd", "path.absolute"],
    ["~/.ssh/id_rsa", "path.home"],
    [".env", "path.denied"],
    ["sub/.env", "path.denied"],
    [".envrc", "path.denied"],
    [".git/config", "path.git"],
    ["key.pem", "path.denied"],
    ["a/.ssh/id", "path.denied"],
    ["link-out/secret.txt", "path.escape"],
    ["link-etc/passwd", "path.escape"],
    ["link-etc", "path.symlink"],
    ["link-env", "path.symlink"],
    ["link-ssh/id", "path.denied"],
    ["docs/out.txt", "path.symlink"],
    ["\uFF0Eenv", "path.invalid"],
    ["missing.txt", "path.not_found"],
    ["a/file.txt/x", "path.not_found"],
    ["docs", "path.is_directory"],
  ];
  for (const [rel, code] of refused) {
    test(`${JSON.stringify(rel)} → ${code}`, async () => {
      expect(await asyncCode(readFileInsideRoot(root, rel, 1 << 20))).toBe(code);
    });
  }

  test("an in-root directory symlink is followed and verified", async () => {
    const r = await readFileInsideRoot(root, "link-docs/readme.md", 100);
    expect(new TextDecoder().decode(r.data)).toBe("public-readme");
    expect(r.realPath).toBe(join(root, "docs", "readme.md"));
  });

  test("denied messages name the rule", async () => {
    try {
      await readFileInsideRoot(root, "sub/.env", 10);
    } catch (e) {
      expect(e).toBeInstanceOf(PathGuardError);
      expect((e as PathGuardError).message).toBe("path denied by rule: .env");
      expect((e as PathGuardError).rule).toBe(".env");
    }
  });

  test("too large: refused at maxBytes+1, accepted at exactly maxBytes", async () => {
    expect((await readFileInsideRoot(root, "a/file.txt", 8)).data.byteLength).toBe(8);
    expect(await asyncCode(readFileInsideRoot(root, "a/file.txt", 7))).toBe("path.too_large");
  });

  test("a file growing after the size check is still capped at maxBytes+1 bytes read", async () => {
    const p = join(root, "docs", "grow.txt");
    writeFileSync(p, "1234");
    const code = await asyncCode(
      readFileInsideRoot(root, "docs/grow.txt", 6, { hooks: { afterOpen: () => writeFileSync(p, "123456789") } }),
    );
    expect(code).toBe("path.too_large");
  });

  test("a file swapped for a symlink between the checks and the open is refused", async () => {
    const p = join(root, "docs", "swap.txt");
    writeFileSync(p, "public-swap");
    const hooks = {
      beforeOpen: () => {
        unlinkSync(p);
        symlinkSync(join(outside, "secret.txt"), p);
      },
    };
    expect(await asyncCode(readFileInsideRoot(root, "docs/swap.txt", 100, { hooks }))).toBe("path.symlink");
    unlinkSync(p);
  });

  test("a parent directory swapped for a symlink to outside after the open cannot redirect the read", async () => {
    mkdirSync(join(root, "race"));
    writeFileSync(join(root, "race", "passwd"), "public-race");
    const hooks = {
      afterOpen: () => {
        renameSync(join(root, "race"), join(root, "race-old"));
        symlinkSync(outside, join(root, "race"));
      },
    };
    const r = await readFileInsideRoot(root, "race/passwd", 100, { hooks });
    // The descriptor opened before the swap is the one read from.
    expect(new TextDecoder().decode(r.data)).toBe("public-race");
  });

  test("a parent swapped for an escaping symlink before the walk is refused", async () => {
    mkdirSync(join(root, "race2"));
    writeFileSync(join(root, "race2", "secret.txt"), "public");
    rmSync(join(root, "race2"), { recursive: true });
    symlinkSync(outside, join(root, "race2"));
    expect(await asyncCode(readFileInsideRoot(root, "race2/secret.txt", 100))).toBe("path.escape");
  });

  test("a FIFO does not hang the read", async () => {
    const fifo = join(root, "docs", "pipe");
    Bun.spawnSync(["mkfifo", fifo]);
    expect(await asyncCode(readFileInsideRoot(root, "docs/pipe", 100))).toBe("path.not_file");
    expect((await statInsideRoot(root, "docs/pipe")).kind).toBe("other");
  });

  test("a missing root is reported as such", async () => {
    expect(await asyncCode(readFileInsideRoot(join(base, "nope"), "a", 1))).toBe("path.root");
  });

  test("the root itself may be reached through a symlink", async () => {
    const alias = join(base, "root-alias");
    symlinkSync(root, alias);
    expect(new TextDecoder().decode((await readFileInsideRoot(alias, "a/x", 100)).data)).toBe("public-x");
  });

  test("property: nothing outside the root or behind a deny glob is ever served", async () => {
    const seg = fc.constantFrom(
      "..",
      ".",
      "",
      ".git",
      ".env",
      ".envrc",
      "a",
      "x",
      "file.txt",
      "%2e%2e",
      "\uFF0F",
      "\u2024\u2024",
      "\uFF0Eenv",
      "link-out",
      "link-etc",
      "link-env",
      "link-ssh",
      "link-docs",
      "secret.txt",
      "passwd",
      "key.pem",
      ".ssh",
      "id",
      "config",
      "docs",
      "readme.md",
      "out.txt",
      "~",
      "\\",
      "outside",
      "root",
      "\uFF0E\uFF0E",
    );
    await fc.assert(
      fc.asyncProperty(fc.array(seg, { minLength: 1, maxLength: 5 }), async (segs) => {
        const rel = segs.join("/");
        try {
          const r = await readFileInsideRoot(root, rel, 1024);
          const text = new TextDecoder().decode(r.data);
          const realRel = r.realPath.slice(root.length + 1);
          return (
            !text.startsWith("SECRET") &&
            r.realPath.startsWith(`${root}/`) &&
            denyReason(realRel, BUILTIN_DENY_GLOBS) === undefined &&
            text === readFileSync(r.realPath, "utf8")
          );
        } catch (e) {
          return e instanceof PathGuardError;
        }
      }),
      { numRuns: 10_000 },
    );
  });
});

describe("openInsideRoot", () => {
  test("write-new creates, refuses an existing file; write-replace truncates", async () => {
    const a = await openInsideRoot(root, "docs/new.txt", "write-new");
    await a.handle.writeFile("first");
    await a.handle.close();
    expect(await asyncCode(openInsideRoot(root, "docs/new.txt", "write-new"))).toBe("path.exists");
    const b = await openInsideRoot(root, "docs/new.txt", "write-replace");
    await b.handle.writeFile("2");
    await b.handle.close();
    expect(readFileSync(join(root, "docs", "new.txt"), "utf8")).toBe("2");
  });

  test("write modes never follow a final symlink or write through an escaping parent", async () => {
    expect(await asyncCode(openInsideRoot(root, "docs/out.txt", "write-replace"))).toBe("path.symlink");
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("SECRET-OUTSIDE");
    expect(await asyncCode(openInsideRoot(root, "link-out/new.txt", "write-new"))).toBe("path.escape");
    expect(readdirSync(outside).sort()).toEqual(["passwd", "secret.txt"]);
  });

  test("parents are created only on request", async () => {
    expect(await asyncCode(openInsideRoot(root, "made/x.txt", "write-new"))).toBe("path.not_found");
    const h = await openInsideRoot(root, "made/x.txt", "write-new", { mkdirs: true });
    await h.handle.close();
    expect(readdirSync(join(root, "made"))).toEqual(["x.txt"]);
  });
});

describe("writeFileAtomicInsideRoot", () => {
  const data = new TextEncoder().encode("hello\u0000world");

  test("writes byte-identical content, creating parents, leaving no temp files", async () => {
    const r = await writeFileAtomicInsideRoot(root, "up/one/f.bin", data);
    expect(r).toEqual({ relPath: "up/one/f.bin", realPath: join(root, "up", "one", "f.bin"), bytes: data.byteLength });
    expect(new Uint8Array(readFileSync(join(root, "up", "one", "f.bin")))).toEqual(data);
    expect(readdirSync(join(root, "up", "one"))).toEqual(["f.bin"]);
  });

  test("an existing target without force gets stem_1.ext, stem_2.ext …", async () => {
    await writeFileAtomicInsideRoot(root, "up/dup.tar.gz", data);
    expect((await writeFileAtomicInsideRoot(root, "up/dup.tar.gz", data)).relPath).toBe("up/dup.tar_1.gz");
    expect((await writeFileAtomicInsideRoot(root, "up/dup.tar.gz", data)).relPath).toBe("up/dup.tar_2.gz");
    expect(dedupName(".bashrc", 3)).toBe(".bashrc_3");
  });

  test("force replaces", async () => {
    await writeFileAtomicInsideRoot(root, "up/f.txt", new TextEncoder().encode("old"));
    const r = await writeFileAtomicInsideRoot(root, "up/f.txt", new TextEncoder().encode("new"), { force: true });
    expect(r.relPath).toBe("up/f.txt");
    expect(readFileSync(join(root, "up", "f.txt"), "utf8")).toBe("new");
  });

  test("refusals: directory target, symlink target, denied, escaping, traversal", async () => {
    expect(await asyncCode(writeFileAtomicInsideRoot(root, "docs", data))).toBe("path.is_directory");
    expect(await asyncCode(writeFileAtomicInsideRoot(root, "link-env", data, { force: true }))).toBe("path.symlink");
    expect(await asyncCode(writeFileAtomicInsideRoot(root, "x/.env", data))).toBe("path.denied");
    expect(await asyncCode(writeFileAtomicInsideRoot(root, "link-ssh/authorized_keys", data))).toBe("path.denied");
    expect(await asyncCode(writeFileAtomicInsideRoot(root, "link-out/x", data))).toBe("path.escape");
    expect(await asyncCode(writeFileAtomicInsideRoot(root, "../outside/x", data))).toBe("path.traversal");
    expect(readFileSync(join(root, ".env"), "utf8")).toBe("SECRET-ENV");
    expect(readdirSync(outside).sort()).toEqual(["passwd", "secret.txt"]);
  });

  test("the directory-target message matches the original", async () => {
    try {
      await writeFileAtomicInsideRoot(root, "docs", data);
    } catch (e) {
      expect((e as Error).message).toBe("upload target is a directory.");
    }
  });
});

describe("statInsideRoot", () => {
  test("files and directories; symlinks refused", async () => {
    expect(await statInsideRoot(root, "a/file.txt")).toMatchObject({ kind: "file", size: 8, relPath: "a/file.txt" });
    expect(await statInsideRoot(root, "docs")).toMatchObject({ kind: "directory", realPath: join(root, "docs") });
    expect(await asyncCode(statInsideRoot(root, "link-docs"))).toBe("path.symlink");
    expect(await asyncCode(statInsideRoot(root, "missing"))).toBe("path.not_found");
    expect(await asyncCode(statInsideRoot(root, "a/.ssh"))).toBe("path.denied");
    expect(await asyncCode(statInsideRoot(root, "link-out/secret.txt"))).toBe("path.escape");
  });
});

describe("listDirInsideRoot", () => {
  const names = async (rel: string) =>
    (await listDirInsideRoot(root, rel, { denyGlobs: BUILTIN_DENY_GLOBS })).entries.map((e) => e.name).sort();

  test("the root: denied names (.env, .envrc, .git, *.pem, NFKC .env) are never listed; symlinks are reported as such", async () => {
    const listing = await listDirInsideRoot(root, "", { denyGlobs: BUILTIN_DENY_GLOBS });
    expect(listing.relPath).toBe("");
    const listed = listing.entries.map((e) => e.name);
    expect(listed).toEqual(
      expect.arrayContaining(["%2e%2e", "a", "docs", "link-docs", "link-env", "link-etc", "link-out", "link-ssh"]),
    );
    for (const hidden of [".env", ".envrc", ".git", "key.pem", "\uFF0Eenv"]) expect(listed).not.toContain(hidden);
    expect(listing.entries.find((e) => e.name === "link-out")?.kind).toBe("symlink");
    expect(listing.entries.find((e) => e.name === "docs")?.kind).toBe("directory");
    expect(await names(".")).toEqual(listing.entries.map((e) => e.name).sort());
  });

  test("a subdirectory: files with their size, denied children left out", async () => {
    const listing = await listDirInsideRoot(root, "a", { denyGlobs: BUILTIN_DENY_GLOBS });
    expect(listing.relPath).toBe("a");
    expect(listing.entries.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { name: "file.txt", kind: "file", size: 8 },
      { name: "x", kind: "file", size: 8 },
    ]);
  });

  test("the guard on the directory itself: escape, symlink, denied, traversal, a file, missing", async () => {
    expect(await asyncCode(listDirInsideRoot(root, "link-out"))).toBe("path.symlink");
    expect(await asyncCode(listDirInsideRoot(root, "link-docs"))).toBe("path.symlink");
    expect(await asyncCode(listDirInsideRoot(root, "link-etc/ssl"))).toBe("path.escape");
    expect(await asyncCode(listDirInsideRoot(root, "a/.ssh"))).toBe("path.denied");
    expect(await asyncCode(listDirInsideRoot(root, ".git"))).toBe("path.git");
    expect(await asyncCode(listDirInsideRoot(root, "../outside"))).toBe("path.traversal");
    expect(await asyncCode(listDirInsideRoot(root, "a/file.txt"))).toBe("path.not_directory");
    expect(await asyncCode(listDirInsideRoot(root, "missing"))).toBe("path.not_found");
    expect(await asyncCode(listDirInsideRoot(join(base, "no-such-root"), ""))).toBe("path.root");
  });

  test("maxEntries bounds what is read", async () => {
    const listing = await listDirInsideRoot(root, "", { denyGlobs: BUILTIN_DENY_GLOBS, maxEntries: 3 });
    expect(listing.entries).toHaveLength(3);
    expect(listing.truncated).toBe(true);
  });
});

describe("hard links", () => {
  // A hard link is the same inode under another name: every path check passes, the content is the target's.
  let hb: string;
  let proj: string;
  beforeAll(() => {
    hb = realpathSync(mkdtempSync(join(tmpdir(), "untether-pg-links-")));
    proj = join(hb, "proj");
    mkdirSync(join(proj, "docs"), { recursive: true });
    writeFileSync(join(hb, "outside-secret.txt"), "SECRET-OUTSIDE-LINKED");
    writeFileSync(join(proj, ".env"), "SECRET-ENV-LINKED");
    writeFileSync(join(proj, "docs", "plain.txt"), "plain");
    linkSync(join(hb, "outside-secret.txt"), join(proj, "docs", "notes.txt"));
    linkSync(join(proj, ".env"), join(proj, "config.txt"));
  });
  afterAll(() => rmSync(hb, { recursive: true, force: true }));

  test("a regular file with more than one link is refused for reading, naming the config key", async () => {
    for (const rel of ["docs/notes.txt", "config.txt"]) {
      const e = await readFileInsideRoot(proj, rel, 1000).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(PathGuardError);
      expect((e as PathGuardError).code).toBe("path.hard_link");
      expect((e as PathGuardError).message).toContain("transports.telegram.files.allow_hard_links");
      const o = await openInsideRoot(proj, rel, "read").catch((x: unknown) => x);
      expect((o as PathGuardError).code).toBe("path.hard_link");
    }
    expect(new TextDecoder().decode((await readFileInsideRoot(proj, "docs/plain.txt", 1000)).data)).toBe("plain");
  });

  test("allowHardLinks lets them through; stat and writes are not affected", async () => {
    const r = await readFileInsideRoot(proj, "docs/notes.txt", 1000, { allowHardLinks: true });
    expect(new TextDecoder().decode(r.data)).toBe("SECRET-OUTSIDE-LINKED");
    expect((await statInsideRoot(proj, "config.txt")).kind).toBe("file");
    // An atomic replace swaps the directory entry: the other link keeps its content.
    await writeFileAtomicInsideRoot(proj, "config.txt", new TextEncoder().encode("new"), { force: true });
    expect(readFileSync(join(proj, ".env"), "utf8")).toBe("SECRET-ENV-LINKED");
  });
});
