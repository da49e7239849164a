import { type EveryKeyListed, type UnlistedKeys } from '../core';
import type {
  RoutinesHistoryOptions,
  RoutinesModuleOptions,
  RoutinesWarnings,
} from './interfaces/routines-module-options.interface';

/** The keys of `RoutinesModule.forRoot()`'s options; any other is refused with the likely one. */
export const MODULE_OPTION_NAMES = [
  'shutdownTimeout',
  'routines',
  'coordinator',
  'version',
  'autoStart',
  'clock',
  'history',
  'metrics',
  'tracing',
  'workerStore',
  'migrations',
  'warnings',
] as const satisfies readonly (keyof RoutinesModuleOptions)[];
type _EveryModuleOption = EveryKeyListed<
  UnlistedKeys<RoutinesModuleOptions, typeof MODULE_OPTION_NAMES>
>;

/** The switches of the module option `warnings`. */
export const WARNING_NAMES = [
  'shutdownHooks',
  'unprovidedClasses',
] as const satisfies readonly (keyof RoutinesWarnings)[];
type _EveryWarning = EveryKeyListed<UnlistedKeys<RoutinesWarnings, typeof WARNING_NAMES>>;

/** The keys of the module option `history` as an object. */
export const HISTORY_OPTION_NAMES = [
  'limit',
  'engine',
  'keepFor',
  'keepRuns',
] as const satisfies readonly (keyof RoutinesHistoryOptions)[];
type _EveryHistoryOption = EveryKeyListed<
  UnlistedKeys<RoutinesHistoryOptions, typeof HISTORY_OPTION_NAMES>
>;
