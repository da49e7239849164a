import { describeError } from '../core/logger';
import type { CompletionBatch } from './completion-batch';
import type { JobOutcome } from './interfaces/job.interface';
import type { JobAttempt } from './job-attempt';
import { retryDelay, type CheckedOptions } from './worker-options';
import type { WorkerReporter } from './worker-reporter';
import type { WorkerTablePort } from './worker-table.port';
import { isNonRetryable } from './worker.errors';
import { MESSAGES } from './worker.messages';

/** How an attempt's handler ended: it threw (`failed`) or not, or undefined when its signal's abort cut the wait. */
export type HandlerResult = { failed: boolean; error?: unknown } | undefined;

/**
 * Writes the end of an attempt into its row, each write fenced by the attempt's claim: done,
 * failed (retried after its backoff, or for good), canceled, or handed back on shutdown. A
 * write the fence refused means the row was taken over: the outcome is `lost`. Throws when the
 * write itself failed (the row stays processing, and the resetter hands it on).
 */
export class JobSettlement<Row> {
  constructor(
    private readonly table: WorkerTablePort<Row>,
    private readonly completions: CompletionBatch<Row>,
    private readonly reporter: WorkerReporter,
    private readonly o: CheckedOptions,
  ) {}

  async settle(attempt: JobAttempt<Row>, result: HandlerResult): Promise<JobOutcome> {
    const { job } = attempt;
    const failed = result?.failed ?? false;
    const error = result?.error;
    // A handler that had finished when shutdown aborted it: its end is written, not handed back.
    const cause = attempt.cause === 'shutdown' && result !== undefined ? undefined : attempt.cause;
    switch (cause) {
      case 'lost':
        this.reporter.logger.warn(MESSAGES.lostNotRecorded(this.o.name, job.id, attempt.lostWhy));
        return 'lost';
      case 'shutdown':
        if (!(await this.table.requeue(job))) return 'lost';
        this.reporter.tell('job-requeued', job);
        return 'requeued';
      case 'cancel':
        if (!(await this.table.cancelled(job, MESSAGES.cancelled))) return 'lost';
        this.reporter.tell('job-cancelled', job);
        return 'cancelled';
    }
    // A job past its timeout failed, however its handler settled once the signal aborted.
    if (!failed && cause !== 'timeout') {
      if (!(await this.completions.complete(job))) return this.fenced(attempt);
      this.reporter.tell('job-succeeded', job);
      return 'succeeded';
    }
    const message =
      cause === 'timeout' ? MESSAGES.timedOut(this.o.timeoutMs) : describeError(error).message;
    const outcome = await this.table.fail(job, message, {
      maxAttempts: this.o.maxAttempts,
      retryInMs: retryDelay(this.o.backoff, job.attempt),
      retry: cause === 'timeout' || !isNonRetryable(error),
    });
    if (outcome === 'fenced') return this.fenced(attempt);
    this.reporter.tell(outcome === 'errored' ? 'job-retried' : 'job-failed', job, error ?? message);
    return outcome === 'errored' ? 'retried' : 'failed';
  }

  private fenced(attempt: JobAttempt<Row>): 'lost' {
    this.reporter.logger.warn(MESSAGES.fenced(this.o.name, attempt.job.id));
    return 'lost';
  }
}
