import type { Clock } from '../core/clock';
import {
  reportCoordinatorFailure,
  reportCoordinatorSuccess,
  type OutageSource,
} from '../cluster/coordinator-outage';
import { formatDuration } from '../core/duration';
import { renewDeadline } from '../core/hold';
import { describeError } from '../core/logger';
import type { ClaimedJob } from './claimed-job';
import type { DbWorkerOptions, WorkerEvent } from './interfaces/job.interface';
import { MESSAGES } from './worker.messages';

/** Where a worker writes its log lines. */
export type WorkerLogger = NonNullable<DbWorkerOptions['logger']>;

/**
 * What a worker tells: its events to `onEvent` (a listener's failure is never the job's), and
 * its statements' failures as the core's once-per-outage report, in the worker's wording. The
 * outage is the store's, shared by its workers, so a database down logs once, not once each.
 */
export class WorkerReporter {
  constructor(
    private readonly name: string,
    readonly logger: WorkerLogger,
    private readonly clock: Clock,
    private readonly outageSource: OutageSource,
    private readonly stalledAfterMs: number,
    private readonly onEvent: DbWorkerOptions['onEvent'],
  ) {}

  tell(
    type: WorkerEvent['type'],
    job?: ClaimedJob<unknown>,
    error?: unknown,
    count?: number,
  ): void {
    try {
      if (!this.onEvent || this.onEvent.observed === false) return;
      this.onEvent({ type, id: job?.id, attempt: job?.attempt, error, count });
    } catch {
      // A listener's failure is not the job's.
    }
  }

  /** A statement failed: the first failure of an outage is logged, the others counted. */
  failed(what: string, error: unknown): void {
    const reason = describeError(error).message;
    const renewWithin = formatDuration(renewDeadline(this.stalledAfterMs));
    reportCoordinatorFailure(
      this.outageSource,
      this.clock,
      {
        log: () => undefined,
        warn: () => this.logger.warn(MESSAGES.outage(this.name, what, reason, renewWithin)),
        error: () => undefined,
      },
      MESSAGES.outageCall(what, this.name),
      error,
    );
  }

  /** A statement answered: ends the store's outage, if one was open, with one line. */
  answered(): void {
    reportCoordinatorSuccess(this.outageSource, this.clock, {
      log: (message) =>
        this.logger.log(
          MESSAGES.answersAgain(this.name, /after (.*)$/.exec(message)?.[1] ?? message),
        ),
      warn: () => undefined,
      error: () => undefined,
    });
  }
}
