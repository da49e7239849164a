// The worker feature's barrel, for the library's own entry points (the root takes JobContext
// and NonRetryableError, nestjs-routines/postgres the store and the table helpers). The Nest
// wiring (worker.factory.ts) is not here: it loads @nestjs/common.
export * from './worker-table';
export { jobsTableSql } from '../postgres/sql/worker/jobs-table.sql';
export * from './interfaces/worker-store-options.interface';
export * from './claimed-job';
export * from './stored-message';
export * from './postgres-worker-table';
export * from './postgres-worker-store';
export { DEFAULT_MAX_PAYLOAD_BYTES } from './queue-payload';
export { WORKER_CHANNEL } from './worker-channel';
export * from './interfaces/job.interface';
export * from './interfaces/job-list.interface';
export * from './worker.errors';
export * from './db-worker';
