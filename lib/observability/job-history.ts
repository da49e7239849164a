import { summarizeError } from '../core';
import { summarizeDurations } from './run-stats';
import {
  JOB_OUTCOMES,
  type JobOutcome,
  type JobRecorder,
} from '../worker/interfaces/job.interface';

/** One job attempt as `registry.worker(name).history()` gives it; plain data, JSON-safe. */
export interface JobRecord {
  /** The row's id, as text. */
  id: string;
  /** 1 for the first attempt. */
  attempt: number;
  outcome: JobOutcome;
  /** When the handler was called (wall-clock ms). */
  startedAt: number;
  /** How long the handler ran. */
  durationMs: number;
  /** What it threw, or why it stopped, as `{ name, message }`; absent for a success. */
  error?: { name: string; message: string };
}

/** Figures over the job attempts a worker keeps (the last 100 by default). */
export interface JobStats {
  /** Attempts kept. */
  jobs: number;
  /** Attempts kept, by outcome (every outcome present, 0 when none). */
  outcomes: Record<JobOutcome, number>;
  /** Over the kept attempts' handler durations, in ms; absent before the first. */
  durationMs?: { min: number; avg: number; p50: number; p95: number; max: number };
}

/**
 * The last `capacity` job attempts of one worker, in a ring that is written in place: a job's
 * end costs one small record and no array growth.
 *
 * @example
 * const history = new JobHistory(100);
 * const worker = new DbWorker(table, handle, { name: 'uploads', recorder: history });
 * history.records(10); // the last ten attempts, newest first
 */
export class JobHistory implements JobRecorder {
  private readonly ring: Array<JobRecord | undefined>;
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<JobRecord | undefined>(capacity).fill(undefined);
  }

  ended(
    job: { id: string; attempt: number },
    outcome: JobOutcome,
    startedAt: number,
    durationMs: number,
    error: unknown,
  ): void {
    if (this.capacity === 0) return;
    const record: JobRecord = { id: job.id, attempt: job.attempt, outcome, startedAt, durationMs };
    if (outcome !== 'succeeded' && error !== undefined) record.error = summarizeError(error);
    this.ring[this.next] = record;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** The attempts, newest first, at most `limit`. */
  records(limit = this.capacity): JobRecord[] {
    const count = Math.min(this.size, Math.max(0, Math.floor(limit)));
    const records: JobRecord[] = [];
    for (let n = 0; n < count; n++) {
      const record = this.ring[(this.next - 1 - n + this.capacity * 2) % this.capacity]!;
      records.push(record.error ? { ...record, error: { ...record.error } } : { ...record });
    }
    return records;
  }
}

/** Stats over job records; percentiles are nearest-rank, as for runs. */
export function jobStats(records: readonly JobRecord[]): JobStats {
  const outcomes = Object.fromEntries(JOB_OUTCOMES.map((outcome) => [outcome, 0])) as Record<
    JobOutcome,
    number
  >;
  const durations: number[] = [];
  for (const record of records) {
    outcomes[record.outcome]++;
    durations.push(record.durationMs);
  }
  const stats: JobStats = { jobs: records.length, outcomes };
  const durationMs = summarizeDurations(durations);
  if (durationMs) stats.durationMs = durationMs;
  return stats;
}

/** Hands each job's end to every recorder given (history, metrics), skipping absent ones. */
export function jobRecorders(
  ...recorders: Array<JobRecorder | undefined>
): JobRecorder | undefined {
  const present = recorders.filter((recorder): recorder is JobRecorder => recorder !== undefined);
  if (present.length <= 1) return present[0];
  return {
    ended(job, outcome, startedAt, durationMs, error) {
      for (const recorder of present) recorder.ended(job, outcome, startedAt, durationMs, error);
    },
  };
}
