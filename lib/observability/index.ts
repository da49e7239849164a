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
