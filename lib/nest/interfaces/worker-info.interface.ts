import type { JobRecord, JobStats } from '../../observability';
import type { EnqueueOptions, JobActionResult, JobFilter, JobPage, JobQuery } from '../../worker';

/** What {@link RoutinesRegistry.worker} answers. */
export interface WorkerInfo {
  name: string;
  /** Jobs running in this process. */
  readonly inFlight: number;
  /** Its table's rows by state, and how long the oldest row due has waited (ms). */
  counts(): Promise<{ byState: Record<string, number>; oldestQueuedMs?: number }>;
  /** Look for rows now instead of at the next poll. */
  notify(): void;
  /**
   * Adds a job to a worker declared without `table` (a plain queue): its id, or undefined
   * when a job with the same `key` is pending. With `client`, inside the app's transaction.
   */
  enqueue(payload: unknown, options?: EnqueueOptions): Promise<string | undefined>;
  /**
   * Its last job attempts in this process, newest first (at most `limit`): id, attempt,
   * outcome, start, handler duration and error. Empty with the module option `history: 0`.
   */
  history(options?: { limit?: number }): JobRecord[];
  /** Figures over the kept attempts: count by outcome, handler duration min/avg/p50/p95/max. */
  stats(): JobStats;
  /**
   * Its table's rows, newest first, a page at a time (every replica's: one query): by state,
   * and by id, or in a plain queue also by dedupe key and payload (`{"to":"a@x"}` or `to=a@x`).
   * Each row with its attempts, this worker's `maxAttempts`, its times, last error (2,000
   * characters), and in a plain queue its key and payload (8 KiB). A bad query rejects with a
   * `RangeError` naming the option.
   *
   * @example
   * const { jobs, next } = await registry.worker('emails').jobs({ state: 'failed', limit: 20 });
   */
  jobs(query?: JobQuery): Promise<JobPage>;
  /**
   * Back to `queued`, due now: its rows of `filter` that are `failed`, `canceled` or `errored`,
   * never one `processing`. Attempts are kept; a row that used them all gets one more.
   *
   * @example
   * await registry.worker('emails').retry({ state: 'failed' });
   */
  retry(filter: JobFilter): Promise<JobActionResult>;
  /**
   * Ends its rows of `filter` still waiting (`queued`, `errored`) as `failed`, the dead-letter
   * state; a `processing` row is left to its handler (cancel it instead).
   *
   * @example
   * await registry.worker('emails').discard({ ids: ['42'] });
   */
  discard(filter: JobFilter): Promise<JobActionResult>;
  /**
   * Cancels its rows of `filter` not ended yet: a waiting one ends `canceled` at once, a
   * running one's handler has its signal aborted at its worker's next heartbeat.
   *
   * @example
   * await registry.worker('emails').cancel({ ids: ['42'] });
   */
  cancel(filter: JobFilter): Promise<JobActionResult>;
}
