import type { Clock } from '../../core/clock';
import type { WorkerColumns } from '../worker-table';

/** Options of {@link PostgresWorkerStore.table}. */
export interface WorkerTableOptions {
  /** Column names, where the table's differ from the defaults (`state`, `queued_at`...). */
  columns?: Partial<WorkerColumns>;
  /** `ORDER BY` of the dequeue, in SQL over the table's columns. Default: oldest first (`queued_at, id`). */
  order?: string;
  /** @internal The library's job table: only this queue's rows. */
  queue?: string;
}

/** Options of {@link PostgresWorkerStore}. */
export interface PostgresWorkerStoreOptions {
  /** Schema of the library's job table (plain queues). Default: 'public'. */
  schema?: string;
  /** The library's job table, created on first use. Default: 'routines_jobs'. */
  jobsTable?: string;
  /**
   * The largest payload `enqueue` accepts, in bytes of JSON (UTF-8). A larger one is refused:
   * store the data elsewhere and enqueue its key. Default: 1 MiB.
   */
  maxPayloadBytes?: number;
  /** @internal The time the LISTEN connection's retries wait on (tests pass a `ManualClock`). */
  clock?: Clock;
}

/** Options of {@link PostgresWorkerStore.enqueue}. */
export interface EnqueueOptions {
  /** Not before this time (a `Date` or epoch ms). Default: now. */
  runAt?: Date | number;
  /** Deduplication: while a job with this key is queued, running or waiting to retry, another is not added. */
  key?: string;
  /** Higher first. Default: 0. */
  priority?: number;
  /** A `pg` client inside the app's transaction: the job exists only if it commits. */
  client?: { query(text: string, values?: unknown[]): Promise<unknown> };
}

/** A row of the library's job table. */
export interface JobRow<Payload = unknown> {
  id: string;
  queue: string;
  payload: Payload;
  key: string | null;
  priority: number;
}
