// Installs the real agent CLIs the conformance suite drives (test/conformance/clis: their own
// package.json and lockfile, pinned) into a cache outside the clone:
//   ~/.cache/untether/conformance/<sha256 of the lockfile, 16 hex>/node_modules/.bin
// Reused by every later run (and by CI on the same machine); a new lockfile gets a new folder.
// The install is atomic: npm into a temporary sibling, then a rename. Never touches the
// product's own dependency tree. Prints the .bin folder. `$XDG_CACHE_HOME` moves the cache.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export const CLIS_DIR = resolve(import.meta.dir, "../test/conformance/clis");
const MARKER = ".untether-complete";

/** The cache folder for the current lockfile. */
export function conformanceCacheDir(): string {
  const hash = createHash("sha256")
    .update(readFileSync(join(CLIS_DIR, "package-lock.json")))
    .digest("hex")
    .slice(0, 16);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "untether", "conformance", hash);
}

export function conformanceBinDir(): string {
  return join(conformanceCacheDir(), "node_modules", ".bin");
}

export function conformanceInstalled(): boolean {
  return existsSync(join(conformanceCacheDir(), MARKER));
}

/** Installs when the cache folder is not complete yet; returns the .bin folder. Throws on failure. */
export function ensureConformanceClis(log: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): string {
  const dir = conformanceCacheDir();
  if (conformanceInstalled()) return conformanceBinDir();
  mkdirSync(join(dir, ".."), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  cpSync(join(CLIS_DIR, "package.json"), join(tmp, "package.json"));
  cpSync(join(CLIS_DIR, "package-lock.json"), join(tmp, "package-lock.json"));
  log(`conformance: installing the pinned agent CLIs into ${dir} (npm, about 1 GB, once per lockfile)`);
  const started = Date.now();
  // `npm install` from the lockfile, not `npm ci`: npm 11 leaves the other platforms' optional
  // packages of opencode-ai out of the lockfile and then `npm ci` refuses it as out of sync. With the
  // lockfile present and every version pinned, install resolves exactly what the lockfile says.
  // Install scripts run: claude-code's and opencode-ai's link their platform binary into bin/.
  const npm = Bun.spawnSync(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: tmp,
    stdout: "inherit",
    stderr: "inherit",
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
  if (npm.exitCode !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`conformance: npm install failed (exit ${npm.exitCode}) in ${tmp}`);
  }
  writeFileSync(join(tmp, MARKER), `${new Date().toISOString()}\n`);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // Another run finished the same install first: keep its folder.
    rmSync(tmp, { recursive: true, force: true });
    if (!conformanceInstalled()) throw e;
  }
  log(`conformance: installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return conformanceBinDir();
}

if (import.meta.main) {
  try {
    process.stdout.write(`${ensureConformanceClis()}\n`);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
}
