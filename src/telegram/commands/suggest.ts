// "Did you mean /cancel?" for a mistyped command: the nearest known name by edit distance.

/** Levenshtein distance (insert, delete, substitute), plus adjacent transposition ("cancle"). */
export function editDistance(a: string, b: string): number {
  const cols = b.length + 1;
  const d = new Int32Array((a.length + 1) * cols);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i <= a.length; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * cols + j] = v;
    }
  }
  return at(a.length, b.length);
}

/** The closest name within a distance that grows with the word (1 for short words, at most 3). */
export function nearest(word: string, names: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
  let best: string | undefined;
  let bestD = limit + 1;
  for (const n of names) {
    const dist = editDistance(w, n);
    if (dist < bestD || (dist === bestD && best !== undefined && n < best)) {
      best = n;
      bestD = dist;
    }
  }
  return bestD <= limit ? best : undefined;
}
