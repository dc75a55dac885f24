// Property: whatever path is typed after `/file get`, nothing outside the root and nothing matching a
// deny glob is ever sent — not as a file, not as a zip member. Every such file holds a SECRET marker.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { unzipSync } from "fflate";
import { BUILTIN_DENY_GLOBS } from "../../src/security/deny-globs.ts";
import { denyReason } from "../../src/security/path-guard.ts";
import { type Harness, harness, message, quietLogs, text } from "./files-fixtures.ts";

let h: Harness;

beforeAll(() => {
  quietLogs();
  h = harness();
  const p = h.project;
  const secret = (rel: string): void => void p.write(rel, `SECRET ${rel}`);
  const pub = (rel: string): void => void p.write(rel, `PUBLIC ${rel}`);
  p.write(join("..", "outside", "secret.txt"), "SECRET outside");
  for (const rel of [
    ".env",
    "sub/.env",
    ".envrc",
    ".git/config",
    "sub/.git/HEAD",
    "key.pem",
    "sub/deep/key.pem",
    "x/.ssh/id_ed25519",
    ".ssh/id_rsa",
    "sub/.env.local",
    "sub/x.key",
  ])
    secret(rel);
  for (const rel of ["ok.txt", "sub/ok.txt", "sub/deep/ok.txt", "x/readme.md", "%2e%2e/ok.txt"]) pub(rel);
  p.link("sub/link-out", p.outside);
  p.link("sub/link-file-out", join(p.outside, "secret.txt"));
  p.link("link-env", ".env");
  p.link("sub/deep/link-pem", "../../key.pem");
  p.link("link-etc", "/etc");
  p.link("sub/link-up", "..");
});

afterAll(() => h.project.dispose());

const COMPONENTS = [
  "..",
  ".",
  "",
  "~",
  ".env",
  ".envrc",
  ".git",
  ".GIT",
  ".ssh",
  "id_ed25519",
  "id_rsa",
  "key.pem",
  "KEY.PEM",
  "x.key",
  ".env.local",
  "sub",
  "deep",
  "x",
  "ok.txt",
  "readme.md",
  "link-out",
  "link-file-out",
  "link-env",
  "link-pem",
  "link-etc",
  "link-up",
  "passwd",
  "outside",
  "secret.txt",
  "%2e%2e",
  "..%2f",
  "．．",
  "‥",
  "．env",
  "ｋｅｙ.ｐｅｍ",
  "etc",
  "/",
  " ",
  "\u202e",
];

const pathArb = fc
  .tuple(
    fc.boolean(),
    // Biased towards real names so many runs reach a file or directory that can be sent.
    fc.array(
      fc.oneof(
        { weight: 2, arbitrary: fc.constantFrom("sub", "deep", "x", "ok.txt", ".", "..") },
        { weight: 3, arbitrary: fc.constantFrom(...COMPONENTS) },
      ),
      {
        minLength: 1,
        maxLength: 6,
      },
    ),
  )
  .map(([abs, parts]) => `${abs ? "/" : ""}${parts.join("/")}`);

const realRoot = (): string => realpathSync(h.project.root);

test("no generated path makes /file get send a file outside the root or matching a deny glob", async () => {
  const globs = [...BUILTIN_DENY_GLOBS];
  let sentSomething = 0;
  await fc.assert(
    fc.asyncProperty(pathArb, async (path) => {
      const before = h.transport.docs.length;
      const quotedPath = `"${path}"`;
      await h.handler.command(message({ text: `/file get ${quotedPath}` }), `get ${quotedPath}`, h.project.root);
      for (const { doc } of h.transport.docs.slice(before)) {
        sentSomething++;
        const members = doc.fileName.endsWith(".zip")
          ? Object.entries(unzipSync(doc.data))
          : [[doc.fileName, doc.data] as const];
        for (const [name, data] of members) {
          expect(text(data)).not.toContain("SECRET");
          expect(denyReason(name, globs)).toBeUndefined();
        }
        // The caption names the relative path sent; it resolves inside the real root.
        const rel = /<code>([^<]*)<\/code>/.exec(doc.caption ?? "")?.[1] ?? "";
        expect(realpathSync(join(h.project.root, rel)).startsWith(realRoot())).toBe(true);
        expect(denyReason(rel, globs)).toBeUndefined();
      }
    }),
    { numRuns: 400, seed: 20261124 },
  );
  // The generator does reach sendable files, so the property is not vacuous.
  expect(sentSomething).toBeGreaterThan(10);
});

test("the allowed files that were hit are exactly the public ones", async () => {
  for (const rel of ["ok.txt", "sub/deep/ok.txt", "%2e%2e/ok.txt"]) {
    await h.handler.command(message(), `get "${rel}"`, h.project.root);
    expect(text(h.transport.docs.at(-1)?.doc.data ?? new Uint8Array())).toBe(`PUBLIC ${rel}`);
  }
});
