import type { JobRecord, JobStats } from '../../observability';
import type { EnqueueOptions } from '../../worker';

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
}
