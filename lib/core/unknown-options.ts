import type { OptionProblem } from './duration';

/**
 * One problem per option name the routine does not know: a typo such as `overlpa` must not be
 * ignored. The message lists the known names and, when one is a likely typo, suggests it.
 */
export function unknownOptionProblems(
  options: object,
  known: readonly string[],
  /** What the known names are options of, in the message. */
  what = 'an option of this routine',
): OptionProblem[] {
  const problems: OptionProblem[] = [];
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const likely = closest(key, known);
    problems.push({
      option: key,
      value: (options as Record<string, unknown>)[key],
      message: `is not ${what}${likely ? ` (did you mean '${likely}'?)` : ''}; the options are ${[...known].sort().join(', ')}`,
    });
  }
  return problems;
}

/** The known name at most two edits away (three for long names), if there is exactly one nearest. */
function closest(name: string, known: readonly string[]): string | undefined {
  const limit = name.length > 8 ? 3 : 2;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...new Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
}
