// nestjs-routines: what every app uses, and nothing else. The optional parts have entry points
// of their own: nestjs-routines/redis, /postgres, /dashboard, /testing and /terminus. Every type
// a public signature names is exported (as a type only) from the entry point of that signature,
// so that an app can name it and the API reference documents it: `npm run docs` fails on one
// left out. A member that is plumbing between layers is tagged internal instead.

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
  RoutineOverrides,
  RoutinesHistoryOptions,
  RoutinesModuleOptions,
  RoutinesWarnings,
} from './nest/interfaces/routines-module-options.interface';
export type { MigrationsModuleOptions } from './migrations/interfaces/migrations-module-options.interface';
export type { MetricsOptions, MetricsRegistry, TracerLike, TracingOptions } from './observability';
export { RoutinesModule } from './nest/routines.module';
export type {
  JobActionResult,
  JobContext,
  JobFilter,
  JobOutcome,
  JobPage,
  JobQuery,
  JobRetention,
  JobState,
  JobSummary,
} from './worker';
export type { MigrationContext, MigrationDirection, MigrationInfo, Migrator } from './migrations';

// Steering them at run time.
export { RoutinesRegistry } from './nest/routines.registry';
export type {
  RegisteredRoutineInfo,
  RegisteredRunOutcome,
  SerializedError,
} from './nest/interfaces/registered-routine.interface';
export type {
  AddedHandler,
  AddRoutineOptions,
} from './nest/interfaces/add-routine-options.interface';
export type {
  DescribedRun,
  RoutineDescription,
} from './nest/interfaces/routine-description.interface';
export type { WorkerInfo } from './nest/interfaces/worker-info.interface';
export type {
  RunHistoryOptions,
  RunStatsOptions,
} from './nest/interfaces/run-history-options.interface';
export type { RoutinesMigrations } from './migrations/routines-migrations';
export type { MigrationBatchRecord } from './migrations';
export type { JobRecord, JobStats, RoutineHealth, RunRecord, RunStats } from './observability';

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
  RoutineCancelledError,
  RoutineStoppedError,
  RoutineSupersededError,
  RoutineTimeoutError,
  RunMarkerLostError,
  SupervisedRoutine,
} from './core';
export type {
  BackfillOptions,
  BackfillReport,
  BackgroundFunction,
  BackgroundHandler,
  BackoffOptions,
  CatchUpOptions,
  CatchUpStatus,
  Clock,
  ClusterStatus,
  ConfigurationProblem,
  CronSpec,
  Duration,
  EndStatus,
  HandlerFunction,
  HandlerResult,
  IntervalSpec,
  LeaseOptions,
  ManagedRoutine,
  MonitorOptions,
  OverlapPolicy,
  OverlapStatus,
  PauseInfo,
  PauseStatus,
  PeriodicHandler,
  PeriodicRoutineOptions,
  PreviousRun,
  RestartPolicy,
  Routine,
  RoutineCounters,
  RoutineEvent,
  RoutineEventListener,
  RoutineEventType,
  RoutineInfo,
  RoutineKind,
  RoutineLogger,
  RoutineScope,
  RoutineState,
  RunContext,
  RunOutcome,
  RunStatus,
  SkipReason,
  StopReport,
  SupervisedRoutineOptions,
  TimerHandle,
  TriggerOptions,
} from './core';

// A coordinator of one's own: the ports a Coordinator puts together, and what they exchange.
export type {
  AcquireOptions,
  AuditEntry,
  AuditQuery,
  AuditTrail,
  BeginAnswer,
  BeginRun,
  ClaimOptions,
  CompletedRoutine,
  Coordinator,
  Lease,
  Leases,
  MigrationStateStore,
  RenewAnswer,
  ReplicaDirectory,
  RunHistoryBounds,
  RunHistoryQuery,
  RunHistoryStore,
  RunMarkers,
  RunStatsBucket,
  RunStatsGrain,
  RunStatsQuery,
  SlotClaims,
  StoredControls,
  StoredRun,
  StoredMigration,
  StoredMigrationError,
} from './core';
