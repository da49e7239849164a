// The public API of nestjs-routines, and nothing else.

// Declaring routines in a Nest app.
export { Periodic } from './nest/periodic.decorator';
export { BackgroundRoutine } from './nest/background-routine.decorator';
export { RoutinesModule } from './nest/routines.module';
export {
  RoutinesRegistry,
  type AddedHandler,
  type AddRoutineOptions,
  type DescribedRun,
  type RoutineDescription,
  type RegisteredRoutineInfo,
  type RegisteredRunOutcome,
  type SerializedError,
} from './nest/routines.registry';
export { RoutineActionError, RoutineNotFoundError } from './nest/routines.errors';
export { Worker, type WorkerDecoratorOptions, type WorkerHandler } from './nest/worker.decorator';
export type { WorkerInfo } from './nest/routines.registry';

// DB-backed workers over the app's own table (pg is an optional peer: the app passes its pool).
export {
  DEFAULT_WORKER_COLUMNS,
  DbWorker,
  JOB_OUTCOMES,
  NonRetryableError,
  PayloadTooLargeError,
  PostgresWorkerStore,
  PostgresWorkerTable,
  jobsTableSql,
  workerTableSql,
} from './worker';
export type {
  ClaimedJob,
  DbWorkerOptions,
  EnqueueOptions,
  JobRow,
  PostgresWorkerStoreOptions,
  JobContext,
  JobHandler,
  JobOutcome,
  JobRecorder,
  JobState,
  JobWrapper,
  StuckJob,
  WorkerColumns,
  WorkerEvent,
  WorkerEventListener,
  WorkerTableOptions,
} from './worker';

// Out-of-band migrations: long data migrations in batches, one runner per cluster.
export {
  OutOfBandMigration,
  type OutOfBandMigrationOptions,
} from './nest/out-of-band-migration.decorator';
export { RoutinesMigrations } from './nest/routines.migrations';
export { MigrationsIncompleteError, type MigrationsModuleOptions } from './nest/migrations.gate';
export {
  InMemoryMigrationStore,
  isComplete,
  MigrationFencedError,
  MigrationRunner,
  MigrationTimeoutError,
} from './migrations';
export type {
  MigrationContext,
  MigrationDefinition,
  MigrationDirection,
  MigrationEvent,
  MigrationInfo,
  MigrationRunnerOptions,
  Migrator,
} from './migrations';

// Seeing routines in production.
export { JobHistory, jobStats, RunHistory, runStats } from './observability';
export type {
  JobRecord,
  JobStats,
  MetricsOptions,
  MetricsRegistry,
  RoutineHealth,
  RunRecord,
  RunStats,
  TracerLike,
  TracingOptions,
} from './observability';
export type { RunRecorder } from './core';
export { ROUTINES_MODULE_OPTIONS } from './nest/routines.module-definition';
export { PERIODIC_METADATA, BACKGROUND_ROUTINE_METADATA } from './nest/constants';
export type {
  BackgroundRoutineDecoratorOptions,
  CommonRoutineOptions,
  PeriodicRoutineDecoratorOptions,
} from './nest/interfaces/routine-declaration.interface';
export type {
  RoutineOverrides,
  RoutinesModuleOptions,
} from './nest/interfaces/routines-module-options.interface';

// The status page, its JSON and guarded control, across every replica.
export * from './dashboard';

// Cluster scope on an engine the app already runs (ioredis / pg are optional peers, never
// loaded by this package: the app passes its own client).
export { CoordinatorStateLostError, PostgresCoordinator, RedisCoordinator } from './coordination';
export type {
  PostgresCoordinatorOptions,
  PostgresPool,
  RedisClient,
  RedisCoordinatorOptions,
} from './coordination';

// The framework-free runtime, for scripts and non-Nest code.
export {
  CallbackRoutine,
  CATCH_UP_GRACE_MS,
  CombinedRoutine,
  CronExpression,
  FIFOStopRoutine,
  CoordinatorTimeoutError,
  InMemoryCoordinator,
  isCompletedRoutine,
  LeaseLostError,
  LIFOStopRoutine,
  MAX_BACKFILL,
  MAX_CATCH_UP,
  MAX_PREVIOUS_BYTES,
  MAX_REINVOCATIONS,
  monitorBackgroundRoutines,
  NoopRoutine,
  PeriodicRoutine,
  REINVOKE_IMMEDIATELY,
  RoutinesConfigurationError,
  RoutineStoppedError,
  RoutineSupersededError,
  RoutineTimeoutError,
  stopRoutines,
  SupervisedRoutine,
  SystemClock,
  systemClock,
  handlerWithErrorMessage,
  parseDuration,
} from './core';
export type {
  AcquireOptions,
  ClaimOptions,
  CompletedRoutine,
  BackfillOptions,
  BackfillReport,
  BackgroundFunction,
  BackgroundHandler,
  BackgroundOptions,
  BackoffOptions,
  CatchUpOptions,
  CatchUpStatus,
  Clock,
  ClusterStatus,
  ConfigurationProblem,
  Coordinator,
  CronSpec,
  Duration,
  HandlerFunction,
  IntervalSpec,
  Lease,
  LeaseOptions,
  ReplicaDirectory,
  ManagedRoutine,
  MigrationStateStore,
  StoredMigration,
  StoredMigrationError,
  MonitorOptions,
  OverlapPolicy,
  OverlapStatus,
  PauseInfo,
  PauseStatus,
  PeriodicHandler,
  PeriodicOptions,
  PeriodicRoutineOptions,
  PreviousRun,
  RestartPolicy,
  Routine,
  RoutineContext,
  RunContext,
  RoutineCounters,
  RoutineEvent,
  RoutineEventType,
  RoutineInfo,
  RoutineLogger,
  RoutineScope,
  RoutineState,
  RunOutcome,
  RunStatus,
  SkipReason,
  StopReport,
  SupervisedRoutineOptions,
  TimerHandle,
  TriggerOptions,
} from './core';
