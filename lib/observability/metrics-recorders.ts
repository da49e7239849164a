// What the metrics count as runs and jobs end: plain numbers, nothing allocated, no label hashed.
import type { Clock, EndStatus, RoutineState, RunRecorder, SkipReason } from '../core';
import {
  JOB_OUTCOMES,
  type JobOutcome,
  type JobRecorder,
} from '../worker/interfaces/job.interface';
import { BUCKETS, observe, type DurationTotals } from './duration-histogram';

export const STATES: readonly RoutineState[] = [
  'idle',
  'disabled',
  'running',
  'paused',
  'standby',
  'delayed',
  'restarting',
  'completed',
  'failed',
  'stopping',
  'stopped',
];
export const ENDS: readonly EndStatus[] = ['succeeded', 'failed', 'cancelled'];
export const REASONS: readonly SkipReason[] = [
  'busy',
  'late',
  'backoff',
  'stopped',
  'claimed',
  'claim-error',
  'missed',
];

/**
 * What one routine name has counted, kept across the routine being built again (`start` after
 * `stop`) so that its counters only grow. Written by {@link MetricsRecorder} as plain numbers;
 * handed to prom-client when Prometheus scrapes.
 */
export class RoutineTotals implements DurationTotals {
  readonly ended = [0, 0, 0];
  /** Wall-clock ms of the last run that ended with each outcome (NaN: none yet). */
  readonly lastEnded = [NaN, NaN, NaN];
  /** By reason, in REASONS' order. */
  readonly skipped = REASONS.map(() => 0);
  restarts = 0;
  restartsSeen = 0;
  readonly claims = { won: 0, lost: 0, errors: 0 };
  readonly claimsSeen = { won: 0, lost: 0, errors: 0 };
  readonly buckets = ENDS.map(() => new Float64Array(BUCKETS.length + 1));
  readonly durationSum = [0, 0, 0];
}

/** What one worker has counted, by job outcome; kept across the worker routine's restarts. */
export class WorkerTotals implements DurationTotals {
  readonly ended = JOB_OUTCOMES.map(() => 0);
  readonly buckets = JOB_OUTCOMES.map(() => new Float64Array(BUCKETS.length + 1));
  readonly durationSum = JOB_OUTCOMES.map(() => 0);
}

/** Counts one worker's job ends for the metrics, in plain numbers. */
export class JobMetricsRecorder implements JobRecorder {
  constructor(private readonly totals: WorkerTotals) {}

  ended(
    _job: { id: string; attempt: number },
    outcome: JobOutcome,
    _startedAt: number,
    durationMs: number,
  ): void {
    const i = JOB_OUTCOMES.indexOf(outcome);
    this.totals.ended[i]++;
    observe(this.totals, i, durationMs / 1000);
  }
}

/**
 * Records one routine's runs for the metrics as they end, in plain numbers (nothing is
 * allocated, no label is hashed); then passes the run on to the routine's history, if any.
 */
export class MetricsRecorder implements RunRecorder {
  constructor(
    private readonly totals: RoutineTotals,
    private readonly clock: Clock,
    private readonly inner: RunRecorder | undefined,
  ) {}

  ran(
    id: number,
    status: EndStatus,
    due: number,
    dueOnWall: boolean,
    startedAt: number,
    finishedAt: number,
    error: unknown,
    epoch: number | undefined,
    backfill?: boolean,
  ): void {
    this.inner?.ran(id, status, due, dueOnWall, startedAt, finishedAt, error, epoch, backfill);
    const i = status === 'succeeded' ? 0 : status === 'failed' ? 1 : 2;
    const totals = this.totals;
    totals.ended[i]++;
    totals.lastEnded[i] = this.clock.wallOf(finishedAt);
    observe(totals, i, (finishedAt - startedAt) / 1000);
  }

  skipped(due: number, dueOnWall: boolean, reason: SkipReason, at: number): void {
    this.inner?.skipped(due, dueOnWall, reason, at);
    this.totals.skipped[REASONS.indexOf(reason)]++;
  }

  restartScheduled(delayMs: number): void {
    this.inner?.restartScheduled(delayMs);
  }
}
