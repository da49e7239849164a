// nestjs-routines: what every app uses, and nothing else. The optional parts have entry points
// of their own: nestjs-routines/redis, /postgres, /dashboard, /testing and /terminus.

// Declaring routines, workers and out-of-band migrations in a Nest app.
export { Periodic } from './nest/decorators/periodic.decorator';
export { BackgroundRoutine } from './nest/decorators/background-routine.decorator';
export { Worker } from './nest/decorators/worker.decorator';
export type {
  WorkerDecoratorOptions,
  WorkerHandler,
} from './nest/interfaces/worker-decorator-options.interface';
export { OutOfBandMigration } from './nest/decorators/out-of-band-migration.decorator';
export type { OutOfBandMigrationOptions } from './nest/interfaces/out-of-band-migration-options.interface';
export type {
  BackgroundRoutineDecoratorOptions,
  PeriodicRoutineDecoratorOptions,
} from './nest/interfaces/routine-declaration.interface';
export type {
  RoutinesModuleOptions,
  RoutinesWarnings,
} from './nest/interfaces/routines-module-options.interface';
export { RoutinesModule } from './nest/routines.module';
export type { JobContext } from './worker';
export type { MigrationContext, MigrationInfo, Migrator } from './migrations';

// Steering them at run time.
export { RoutinesRegistry } from './nest/routines.registry';
export type {
  RegisteredRoutineInfo,
  RegisteredRunOutcome,
} from './nest/interfaces/registered-routine.interface';
export type { RoutineDescription } from './nest/interfaces/routine-description.interface';
export type { WorkerInfo } from './nest/interfaces/worker-info.interface';

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
