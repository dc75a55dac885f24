import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { StateDb } from "../../src/state/db.ts";
import { issuePairCode, PAIR_CODE_TTL_MS, redeemPairCode } from "../../src/state/pair-codes.ts";

let db: StateDb;
beforeEach(() => {
  db = StateDb.open(":memory:");
});
afterEach(() => db.close());

const T0 = 1_800_000_000_000;

describe("pairing codes", () => {
  test("six digits, stored hashed (the code is not in the database), valid ten minutes", () => {
    const { code, expiresAt } = issuePairCode(db, T0);
    expect(code).toMatch(/^\d{6}$/);
    expect(expiresAt).toBe(T0 + PAIR_CODE_TTL_MS);
    expect(PAIR_CODE_TTL_MS).toBe(600_000);
    expect(db.getKv("pair.code")).not.toContain(code);
  });

  test("the right code works once; reused it is refused", () => {
    const { code } = issuePairCode(db, T0);
    expect(redeemPairCode(db, code, T0 + 1000)).toBe("ok");
    expect(redeemPairCode(db, code, T0 + 2000)).toBe("none");
  });

  test("a wrong code is refused and leaves the right one usable", () => {
    const { code } = issuePairCode(db, T0);
    const wrong = code === "000000" ? "000001" : "000000";
    expect(redeemPairCode(db, wrong, T0)).toBe("wrong");
    expect(redeemPairCode(db, "12345", T0)).toBe("wrong");
    expect(redeemPairCode(db, code, T0)).toBe("ok");
  });

  test("expired (injected clock): refused at exactly ten minutes, and gone afterwards", () => {
    const { code } = issuePairCode(db, T0);
    expect(redeemPairCode(db, code, T0 + PAIR_CODE_TTL_MS - 1)).not.toBe("expired");
    const again = issuePairCode(db, T0);
    expect(redeemPairCode(db, again.code, T0 + PAIR_CODE_TTL_MS)).toBe("expired");
    expect(redeemPairCode(db, again.code, T0 + 1)).toBe("none");
  });

  test("a new code replaces the previous one", () => {
    const first = issuePairCode(db, T0);
    const second = issuePairCode(db, T0);
    if (first.code !== second.code) expect(redeemPairCode(db, first.code, T0)).toBe("wrong");
    expect(redeemPairCode(db, second.code, T0)).toBe("ok");
  });

  test("no code issued: none", () => {
    expect(redeemPairCode(db, "123456", T0)).toBe("none");
  });
});
