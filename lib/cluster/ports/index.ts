export type { Coordinator } from './coordinator';
export {
  isCompletedRoutine,
  type AcquireOptions,
  type CompletedRoutine,
  type Lease,
  type Leases,
} from './leases';
export {
  MIGRATION_ERRORS_KEPT,
  MIGRATION_SAMPLES,
  type MigrationStateStore,
  type StoredMigration,
  type StoredMigrationError,
} from './migration-state-store';
export type { ReplicaDirectory } from './replica-directory';
export {
  bucketStart,
  DAY_MS,
  HOUR_MS,
  type RunHistoryBounds,
  type RunHistoryQuery,
  type RunHistoryStore,
  type RunStatsBucket,
  type RunStatsGrain,
  type RunStatsQuery,
  type StoredRun,
} from './run-history-store';
export type { BeginAnswer, BeginRun, RenewAnswer, RunMarkers, RunMarkerState } from './run-markers';
export type { ClaimOptions, SlotClaims } from './slot-claims';
export type { StoredControls } from './stored-controls';
export {
  AUDIT_ENTRIES_KEPT,
  type AuditEntry,
  type AuditQuery,
  type AuditTrail,
} from './audit-trail';
