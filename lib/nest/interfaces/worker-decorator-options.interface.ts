import type { Duration } from '../../core';
import type { JobContext, JobRetention, WorkerColumns } from '../../worker';

/** Options of {@link Worker}. */
export interface WorkerDecoratorOptions {
  /** Unique among routines; the worker is listed under it. */
  name: string;
  /**
   * The app's table (`uploads` or `schema.uploads`) with the worker's columns (see
   * `workerTableSql`); `handle` gets each row. Without it, the worker reads the queue of its
   * name in the library's job table, fed by `registry.worker(name).enqueue(payload)`, and
   * `handle` gets each payload.
   */
  table?: string;
  description?: string;
  /** Column names where the table's differ from the defaults. */
  columns?: Partial<WorkerColumns>;
  /** `ORDER BY` of the dequeue, in SQL over the table's columns. Default: oldest first. */
  order?: string;
  /** Jobs in flight at once per process. Default: 1. */
  concurrency?: number;
  /** Attempts before a row is failed. Default: 5. */
  maxAttempts?: number;
  /**
   * A job running longer fails (and is retried): its signal aborts and its row is written as a
   * timeout at once, even if the handler never settles. Default: none.
   */
  timeout?: Duration;
  /** How long to wait before looking again when no row was due. Default: '1s'. */
  pollInterval?: Duration;
  /** Heartbeat of the running jobs; under two thirds of `stalledAfter`. Default: '5s'. */
  heartbeat?: Duration;
  /**
   * A processing row with no heartbeat for this long goes back to queued. A running row whose
   * heartbeat could not be renewed for two thirds of it is aborted first (`job.holdsRow()`
   * turns false). Default: '30s'.
   */
  stalledAfter?: Duration;
  /** Resets before a row is failed. Default: 3. */
  maxResets?: number;
  /** Retry delay: doubling from `initialDelay` up to `maxDelay`, ±20% jitter. Default: '10s', '1h'. */
  backoff?: { initialDelay?: Duration; maxDelay?: Duration };
  /**
   * How long a plain queue's ended rows are kept: pruned every 10 minutes, once across
   * replicas, in batches of 1,000. `false` keeps every row. Not for an app's `table`: its rows
   * are the app's, never deleted by the library. Default: completed and canceled '7d', failed
   * '30d'.
   */
  retention?: JobRetention | false;
  /** Start with the app. Default: true. */
  enabled?: boolean;
}

/** What a `@Worker` class implements: one row at a time. */
export interface WorkerHandler<Row = Record<string, unknown>> {
  handle(row: Row, job: JobContext): Promise<void> | void;
}
