// One-time pairing codes: `untether pair` stores one (hashed, with its expiry) in the state database,
// the running bot redeems it when a new user sends `/pair <code>`. One code at a time (a new one
// replaces the old), six digits, valid ten minutes, single use: redeeming deletes it atomically, so
// two messages with the right code cannot both succeed. The code itself is never stored.
import { randomBelow } from "../security/random.ts";
import type { StateDb } from "./db.ts";

export const PAIR_CODE_TTL_MS = 10 * 60_000;
export const PAIR_CODE_RE = /^\d{6}$/;
const KEY = "pair.code";

interface Stored {
  salt: string;
  hash: string;
  expiresAt: number;
}

function hashOf(salt: string, code: string): string {
  return new Bun.CryptoHasher("sha256").update(`${salt}:${code}`).digest("hex");
}

function read(db: StateDb): { raw: string; stored: Stored } | undefined {
  const raw = db.getKv(KEY);
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<Stored>;
    if (typeof v.salt === "string" && typeof v.hash === "string" && typeof v.expiresAt === "number") {
      return { raw, stored: { salt: v.salt, hash: v.hash, expiresAt: v.expiresAt } };
    }
  } catch {
    // unreadable: treated as no code
  }
  return undefined;
}

/** A new code (replacing any earlier one), valid `ttlMs` from `now`. */
export function issuePairCode(db: StateDb, now: number, ttlMs = PAIR_CODE_TTL_MS): { code: string; expiresAt: number } {
  const code = String(randomBelow(1_000_000)).padStart(6, "0");
  const salt = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
  const expiresAt = now + ttlMs;
  db.setKv(KEY, JSON.stringify({ salt, hash: hashOf(salt, code), expiresAt } satisfies Stored));
  return { code, expiresAt };
}

export type PairRedeem = "ok" | "wrong" | "expired" | "none";

/** Checks `code` against the stored one; "ok" consumes it (single use). */
export function redeemPairCode(db: StateDb, code: string, now: number): PairRedeem {
  const found = read(db);
  if (!found) return "none";
  if (now >= found.stored.expiresAt) {
    db.deleteKvIf(KEY, found.raw);
    return "expired";
  }
  if (!PAIR_CODE_RE.test(code)) return "wrong";
  const given = Buffer.from(hashOf(found.stored.salt, code), "hex");
  const want = Buffer.from(found.stored.hash, "hex");
  if (given.length !== want.length || !crypto.timingSafeEqual(given, want)) return "wrong";
  // Whoever deletes it first has redeemed it.
  return db.deleteKvIf(KEY, found.raw) ? "ok" : "none";
}
