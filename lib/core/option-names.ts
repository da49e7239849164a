import type { OptionProblem } from './duration';

import type { PeriodicOptions, PeriodicRoutineOptions } from './periodic-option-types';
import type { BackgroundOptions, SupervisedRoutineOptions } from './supervised-routine';

// One list of names per set of options. Each list is checked against its interface both ways:
// `satisfies` refuses a name the interface does not have, and `EveryKeyListed` a key of the
// interface missing from the list, so an option added to an interface without its name fails
// the build. The unknown-option checks (here, in the routines and in the Nest adapter) and the
// module's per-routine option type are derived from these lists.

/** The keys of `T` that `Names` does not list: `never` when it lists them all. */
export type UnlistedKeys<T, Names extends readonly PropertyKey[]> = Exclude<keyof T, Names[number]>;

/** Compiles only when `Unlisted` is `never`; otherwise the error names the keys left out. */
export type EveryKeyListed<Unlisted extends never> = Unlisted;

/** The options `@Periodic` and `PeriodicRoutine` know (the runtime collaborators aside). */
export const PERIODIC_OPTION_NAMES = [
  'name',
  'description',
  'interval',
  'initialDelay',
  'runOnStart',
  'jitter',
  'concurrency',
  'timeout',
  'backoff',
  'scope',
  'missed',
  'catchup',
  'overlap',
  'maxBuffered',
  'startAt',
  'endAt',
  'maxRuns',
  'phase',
  'align',
  'lease',
] as const satisfies readonly (keyof PeriodicOptions)[];
type _EveryPeriodicOption = EveryKeyListed<
  UnlistedKeys<PeriodicOptions, typeof PERIODIC_OPTION_NAMES>
>;

/** The options `@BackgroundRoutine` and `SupervisedRoutine` know (the runtime collaborators aside). */
export const BACKGROUND_OPTION_NAMES = [
  'name',
  'description',
  'restart',
  'scope',
  'lease',
  'initialDelay',
] as const satisfies readonly (keyof BackgroundOptions)[];
type _EveryBackgroundOption = EveryKeyListed<
  UnlistedKeys<BackgroundOptions, typeof BACKGROUND_OPTION_NAMES>
>;

/** What `PeriodicRoutine` takes besides its options: clock, logger, coordinator, ... */
export const PERIODIC_RUNTIME_OPTION_NAMES = [
  'clock',
  'logger',
  'coordinator',
  'onEvent',
  'random',
  'recorder',
] as const satisfies readonly Exclude<keyof PeriodicRoutineOptions, keyof PeriodicOptions>[];
type _EveryPeriodicRuntimeOption = EveryKeyListed<
  UnlistedKeys<
    PeriodicRoutineOptions,
    readonly [...typeof PERIODIC_OPTION_NAMES, ...typeof PERIODIC_RUNTIME_OPTION_NAMES]
  >
>;

/** What `SupervisedRoutine` takes besides its options: the periodic one's, and `version`. */
export const SUPERVISED_RUNTIME_OPTION_NAMES = [
  ...PERIODIC_RUNTIME_OPTION_NAMES,
  'version',
] as const satisfies readonly Exclude<keyof SupervisedRoutineOptions, keyof BackgroundOptions>[];
type _EverySupervisedRuntimeOption = EveryKeyListed<
  UnlistedKeys<
    SupervisedRoutineOptions,
    readonly [...typeof BACKGROUND_OPTION_NAMES, ...typeof SUPERVISED_RUNTIME_OPTION_NAMES]
  >
>;

/** Every option `new PeriodicRoutine(handler, options)` knows. */
export const PERIODIC_ROUTINE_OPTION_NAMES: readonly (keyof PeriodicRoutineOptions)[] = [
  ...PERIODIC_OPTION_NAMES,
  ...PERIODIC_RUNTIME_OPTION_NAMES,
];

/** Every option `new SupervisedRoutine(handler, options)` knows. */
export const SUPERVISED_ROUTINE_OPTION_NAMES: readonly (keyof SupervisedRoutineOptions)[] = [
  ...BACKGROUND_OPTION_NAMES,
  ...SUPERVISED_RUNTIME_OPTION_NAMES,
];

/**
 * One problem per option name the routine does not know: a typo such as `overlpa` must not be
 * ignored. The message lists the known names and, when one is a likely typo, suggests it.
 */
export function unknownOptionProblems(options: object, known: readonly string[]): OptionProblem[] {
  const problems: OptionProblem[] = [];
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const likely = closest(key, known);
    problems.push({
      option: key,
      value: (options as Record<string, unknown>)[key],
      message: `is not an option of this routine${likely ? ` (did you mean '${likely}'?)` : ''}; the options are ${[...known].sort().join(', ')}`,
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
