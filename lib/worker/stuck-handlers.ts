import type { Clock } from '../core/clock';
import { formatDuration } from '../core/duration';
import type { StuckJob } from './interfaces/job.interface';
import type { JobAttempt } from './job-attempt';
import type { WorkerLogger } from './worker-reporter';
import type { WorkerTimers } from './worker-timers';
import { MESSAGES } from './worker.messages';

/** A handler not settled this long after its signal aborted (its row already written) is logged as stuck. */
const STUCK_AFTER_MS = 1000;

/**
 * Handlers whose row was written without them (a timeout, a cancel, a hand-back, a lost row)
 * and that have not settled: they ignored their signal. They no longer take a slot, but they
 * still run, so they are counted, named once they are stuck, and past a limit they stop the
 * worker from dequeuing more.
 */
export class StuckHandlers<Row> {
  private readonly lingering = new Set<JobAttempt<Row>>();
  /** Whether the last count of free slots was cut to none by stuck handlers (warned once). */
  private blocked = false;

  constructor(
    private readonly name: string,
    private readonly clock: Clock,
    private readonly timers: WorkerTimers,
    private readonly logger: WorkerLogger,
    /** A stuck handler settled: a slot may be free again. */
    private readonly onSettled: () => void,
  ) {}

  get size(): number {
    return this.lingering.size;
  }

  list(): StuckJob[] {
    const now = this.clock.now();
    return [...this.lingering].map(({ job, cause, abortedAt }) => ({
      id: job.id,
      attempt: job.attempt,
      token: job.claim,
      cause: cause!,
      forMs: now - (abortedAt ?? now),
    }));
  }

  /** A handler still running after its row was written: counted, and named once it is stuck. */
  add(attempt: JobAttempt<Row>): void {
    this.lingering.add(attempt);
    let named = false;
    const cancel = this.timers.after(STUCK_AFTER_MS, () => {
      if (!this.lingering.has(attempt)) return;
      named = true;
      const since = formatDuration(this.clock.now() - (attempt.abortedAt ?? this.clock.now()));
      const { id, attempt: number } = attempt.job;
      this.logger.warn(MESSAGES.stuck(this.name, id, number, since, String(attempt.cause)));
    });
    attempt.onSettled = () => {
      this.lingering.delete(attempt);
      cancel();
      if (named) this.logger.log(MESSAGES.stuckSettled(this.name, attempt.job.id));
      this.onSettled();
    };
  }

  /**
   * Slots free: `concurrency` minus the rows running, fewer once stuck handlers pile up (while
   * they and the rows running reach twice `concurrency`, none). Warns once when they block.
   */
  freeSlots(running: number, concurrency: number): number {
    const free = Math.min(concurrency - running, 2 * concurrency - running - this.lingering.size);
    const blocked = free <= 0 && running < concurrency;
    if (blocked && !this.blocked) {
      this.logger.warn(MESSAGES.blockedByStuck(this.name, this.lingering.size, this.jobList()));
    }
    this.blocked = blocked;
    return free;
  }

  /** At the end of `stop()`: names the handlers still running, whose rows were written. */
  warnIfAny(): void {
    if (this.lingering.size === 0) return;
    this.logger.warn(MESSAGES.stoppedWithStuck(this.name, this.lingering.size, this.jobList()));
  }

  private jobList(): string {
    return MESSAGES.jobList([...this.lingering].map((attempt) => attempt.job.id));
  }
}
