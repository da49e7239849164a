/** Metadata key for `@Periodic` on a class or method. */
export const PERIODIC_METADATA = 'nestjs-routines:periodic';
/** Metadata key for `@BackgroundRoutine` on a class or method. */
export const BACKGROUND_ROUTINE_METADATA = 'nestjs-routines:background';
/** Default for `shutdownTimeout`: inside Kubernetes' default 30 s grace period, with room to spare. */
export const DEFAULT_SHUTDOWN_TIMEOUT = '10s';
/** Default for `history`: runs kept per routine, as Sourcegraph's recorder keeps. */
export const DEFAULT_HISTORY = 100;
/** Metadata key for `@Worker` on a class. */
export const WORKER_METADATA = 'nestjs-routines:worker';
/** Metadata key for `@OutOfBandMigration` on a class. */
export const OUT_OF_BAND_MIGRATION_METADATA = 'nestjs-routines:out-of-band-migration';
/**
 * The out-of-band migrations' routines: `out-of-band-migrations:<id>`, one per migration, each
 * with its own lease; `routines['out-of-band-migrations']` in the module options applies to all.
 */
export const MIGRATION_RUNNER = 'out-of-band-migrations';
/** Where a problem in the module options comes from, in configuration errors. */
export const MODULE_OPTIONS_SOURCE = 'RoutinesModule options';
