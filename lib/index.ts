// nestjs-routines: what every app uses, and nothing else. The optional parts have entry points
// of their own: nestjs-routines/redis, /postgres, /dashboard, /testing and /terminus.

// Declaring routines, workers and out-of-band migrations in a Nest app.
export { Periodic } from './nest/periodic.decorator';
export { BackgroundRoutine } from './nest/background-routine.decorator';
export { Worker, type WorkerDecoratorOptions, type WorkerHandler } from './nest/worker.decorator';
export {
  OutOfBandMigration,
  type OutOfBandMigrationOptions,
} from './nest/out-of-band-migration.decorator';
export type {
  BackgroundRoutineDecoratorOptions,
  PeriodicRoutineDecoratorOptions,
} from './nest/interfaces/routine-declaration.interface';
export type { RoutinesModuleOptions } from './nest/interfaces/routines-module-options.interface';
export { RoutinesModule } from './nest/routines.module';
export type { JobContext } from './worker';
export type { MigrationContext, MigrationInfo, Migrator } from './migrations';

// Steering them at run time.
export {
  RoutinesRegistry,
  type RegisteredRoutineInfo,
  type RegisteredRunOutcome,
  type RoutineDescription,
  type WorkerInfo,
} from './nest/routines.registry';

// Errors.
export { RoutineActionError, RoutineNotFoundError } from './nest/routines.errors';
export { MigrationsIncompleteError } from './migrations/migrations.errors';
export { NonRetryableError } from './worker';

// The framework-free runtime (for scripts and non-Nest code), what handlers are given, and the
// types both write against.
export {
  CallbackRoutine,
  CombinedRoutine,
  CoordinatorTimeoutError,
  CronExpression,
  FIFOStopRoutine,
  handlerWithErrorMessage,
  InMemoryCoordinator,
  LeaseLostError,
  LIFOStopRoutine,
  monitorBackgroundRoutines,
  NoopRoutine,
  parseDuration,
  PeriodicRoutine,
  REINVOKE_IMMEDIATELY,
  RoutinesConfigurationError,
  RoutineStoppedError,
  RoutineSupersededError,
  RoutineTimeoutError,
  RunMarkerLostError,
  SupervisedRoutine,
} from './core';
export type {
  BackfillOptions,
  BackfillReport,
  BackgroundHandler,
  Clock,
  Coordinator,
  Duration,
  IntervalSpec,
  OverlapPolicy,
  PauseInfo,
  PeriodicHandler,
  PeriodicRoutineOptions,
  Routine,
  RoutineEvent,
  RoutineEventType,
  RoutineInfo,
  RoutineLogger,
  RunContext,
  RunOutcome,
  SupervisedRoutineOptions,
  TriggerOptions,
} from './core';
