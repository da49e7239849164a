// nestjs-routines/postgres: cluster scope and DB-backed workers on the app's own pg.Pool, and
// nothing else. pg stays an optional peer: the app passes its pool, this package never loads it.
export { CoordinatorStateLostError } from '../cluster/coordination.errors';
export { PostgresCoordinator, type PostgresCoordinatorOptions } from './postgres.coordinator';
export type { PostgresPool } from './postgres-pool';
export {
  jobsTableSql,
  PayloadTooLargeError,
  PostgresWorkerStore,
  PostgresWorkerTable,
  workerTableSql,
  type EnqueueOptions,
  type JobRow,
  type PostgresWorkerStoreOptions,
  type WorkerColumns,
  type WorkerTableOptions,
} from '../worker';
