export { RunHistory, type RunRecord } from './run-history';
export { runStats, type RunStats } from './run-stats';
export {
  healthOf,
  LATE_GRACE_MS,
  lateness,
  routineHealth,
  SLOW_SHARE,
  type HealthInputs,
  type RoutineHealth,
} from './routine-health';
export type {
  MetricsOptions,
  MetricsRegistry,
  TracerLike,
  TracingOptions,
} from './observability-options';
// The metrics and the tracer (routines-metrics.ts, run-tracer.ts) are loaded by the module's
// lifecycle from their own files: their sources name the optional peers' types.
export { JobHistory, jobRecorders, jobStats, type JobRecord, type JobStats } from './job-history';
