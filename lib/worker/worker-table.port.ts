import type { OutageSource } from '../cluster/coordinator-outage';
import type { ClaimedJob, FailOutcome } from './claimed-job';

/**
 * What a {@link DbWorker} asks of its job table, and nothing more: the statements of the row's
 * life (dequeue, heartbeat, the fenced final writes, the stalled-row reset). `PostgresWorkerTable`
 * implements it on PostgreSQL; the unit tests, in memory. Every write but the dequeue and the
 * reset is fenced by the job's claim: it answers false (or `fenced`) once the row is not ours.
 */
export interface WorkerTablePort<Row = Record<string, unknown>> {
  /** How an outage of this table's database is named in the worker's logs. */
  readonly kind: string;
  /** What failed statements are reported against, once per outage (shared by a store's tables). */
  readonly outageSource?: OutageSource;
  /** Claims up to `limit` rows due now for `claim`. */
  dequeue(limit: number, claim: string): Promise<Array<ClaimedJob<Row>>>;
  /** The jobs still ours, and those of them an operator asked to cancel, by `jobKey`. */
  heartbeat(
    jobs: ReadonlyArray<Pick<ClaimedJob, 'id' | 'claim'>>,
  ): Promise<{ alive: Set<string>; cancel: Set<string> }>;
  /** Completes every job still ours in one statement; answers those it completed, by `jobKey`. */
  completeAll(jobs: ReadonlyArray<Pick<ClaimedJob, 'id' | 'claim'>>): Promise<Set<string>>;
  /** A failed attempt: due again after `retryInMs`, or failed for good. */
  fail(
    job: ClaimedJob<Row>,
    message: string,
    options: { maxAttempts: number; retryInMs: number; retry: boolean },
  ): Promise<FailOutcome>;
  /** Canceled by an operator, if still ours. */
  cancelled(job: ClaimedJob<Row>, message: string): Promise<boolean>;
  /** Back to queued with no failure counted, if still ours. */
  requeue(job: ClaimedJob<Row>): Promise<boolean>;
  /** Rows with no heartbeat for `stalledAfterMs`: back to queued, or failed past `maxResets`. */
  resetStalled(
    stalledAfterMs: number,
    maxResets: number,
  ): Promise<{ reset: number; failed: number }>;
}
