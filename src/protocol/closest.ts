/** Edit distance counting a swap of neighbours as one edit (gte → get), to suggest what a typo meant. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i]![j] = best;
    }
  }
  return at(a.length, b.length);
}

/** Of several names, each with its spellings, the one a mistyped word most likely meant, if any is close enough. */
export function closest<T>(
  word: string,
  choices: readonly (readonly [T, readonly string[]])[],
): T | undefined {
  const lower = word.toLowerCase();
  // Beyond two edits (or half the word) a suggestion is a guess, not a correction.
  const limit = Math.max(1, Math.min(2, Math.floor(lower.length / 2)));
  let best: { value: T; distance: number } | undefined;
  for (const [value, spellings] of choices) {
    for (const candidate of spellings) {
      const c = candidate.toLowerCase();
      // A word cut short is the likelier typo: it wins over a one-edit neighbour (statu: status, not stats).
      const cutShort = c.startsWith(lower) && lower.length >= 2;
      // Lengths further apart than the limit are that many edits at least: no need to count them,
      // which for a pasted word of a megabyte would take minutes.
      if (!cutShort && Math.abs(c.length - lower.length) > limit) continue;
      const distance = cutShort ? 0.5 : editDistance(lower, c);
      if (!best || distance < best.distance) best = { value, distance };
    }
  }
  if (!best || best.distance > limit) return undefined;
  return best.value;
}
