// "Did you mean": for the configuration's unknown keys and mcoactl's mistyped commands.

/** Levenshtein distance (short strings only). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidate nearest to `word` within `maxDistance` edits (case ignored), the first of
 * equals in the candidates' order; else one the word is a prefix of ("mon" -> "monitor");
 * else undefined.
 */
export function closest(word: string, candidates: Iterable<string>, maxDistance = 2): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = maxDistance + 1;
  const all = [...candidates];
  for (const c of all) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best ?? (w.length >= 2 ? all.find((c) => c.toLowerCase().startsWith(w)) : undefined);
}
