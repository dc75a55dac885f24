// Random values from the system CSPRNG through Web Crypto (`crypto.getRandomValues`), which Bun
// provides without loading node:crypto: that module alone costs ~0.5–1 MiB of idle memory
// (docs/benchmarks.md), and these are all the bot needs of it.

/** `n` random bytes. */
export function randomBytes(n: number): Buffer {
  const bytes = Buffer.alloc(n);
  crypto.getRandomValues(bytes);
  return bytes;
}

/** A uniformly random integer in [0, `below`), `below` at most 2^32 (rejection sampling: no modulo bias). */
export function randomBelow(below: number): number {
  if (!Number.isInteger(below) || below < 1 || below > 2 ** 32) throw new RangeError(`randomBelow(${below})`);
  // The largest multiple of `below` that fits in 32 bits; draws at or past it are redrawn.
  const limit = 2 ** 32 - (2 ** 32 % below);
  const word = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(word);
    const v = word[0] ?? 0;
    if (v < limit) return v % below;
  }
}
