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
