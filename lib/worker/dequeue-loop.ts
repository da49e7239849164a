import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../core/clock';
import { describeError } from '../core/logger';
import type { ClaimedJob } from './claimed-job';
import { JobAttempt } from './job-attempt';
import type { CheckedOptions } from './worker-options';
import type { WorkerReporter } from './worker-reporter';
import type { WorkerTablePort } from './worker-table.port';
import { MESSAGES } from './worker.messages';

/** What the loop asks of its worker. */
export interface DequeueHost<Row> {
  /** Whether `stop()` began: no more dequeues, and rows still arriving are handed back. */
  stopping(): boolean;
  /** How many rows may be dequeued now. */
  freeSlots(): number;
  /** Runs a row dequeued and held. */
  run(attempt: JobAttempt<Row>): void;
}

/**
 * Dequeues up to the free slots at a time: at once again after a dequeue that filled them all,
 * after `pollIntervalMs` otherwise, or as soon as `wake()` says a row was added or a slot
 * freed. Each dequeue has a claim of its own (`host:pid:token.n`), so a row taken again by the
 * same worker after a reset is told apart from its old attempt.
 */
export class DequeueLoop<Row> {
  private readonly claimPrefix = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  private dequeues = 0;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly host: DequeueHost<Row>,
    private readonly table: WorkerTablePort<Row>,
    private readonly clock: Clock,
    private readonly reporter: WorkerReporter,
    private readonly o: CheckedOptions,
  ) {}

  /** Ends the wait before the next dequeue, if the loop is waiting. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Resolves once the host is stopping and the dequeue in flight, if any, was handled. */
  async run(): Promise<void> {
    while (!this.host.stopping()) {
      const free = this.host.freeSlots();
      const got = free > 0 ? await this.dequeue(free) : 0;
      if (this.host.stopping()) break;
      // A full dequeue may have left more due rows: look again at once. Otherwise wait for a
      // free slot, a notification, or the poll interval.
      if (got > 0 && got === free) continue;
      await this.pause();
    }
  }

  /** One dequeue of up to `free` rows; answers how many started here. */
  private async dequeue(free: number): Promise<number> {
    const claim = `${this.claimPrefix}.${(++this.dequeues).toString(36)}`;
    const sentAt = this.clock.now();
    let got = 0;
    try {
      const jobs = await this.table.dequeue(free, claim);
      this.reporter.answered();
      for (const job of jobs) {
        const attempt = new JobAttempt(
          job,
          this.clock,
          this.o.stalledAfterMs,
          this.o.timeoutMs,
          sentAt,
        );
        // Stop began while the dequeue was in flight, or it answered past the renew
        // deadline: the row is handed back at once, never started and forgotten.
        if (this.host.stopping() || !attempt.hold.holds()) {
          attempt.hold.release();
          await this.handBack(job);
        } else {
          this.host.run(attempt);
          got++;
        }
      }
    } catch (error) {
      this.reporter.failed('dequeue', error);
    }
    return got;
  }

  /** A row dequeued that will not run here: back to queued, no failure counted. */
  private async handBack(job: ClaimedJob<Row>): Promise<void> {
    try {
      if (await this.table.requeue(job)) this.reporter.tell('job-requeued', job);
    } catch (error) {
      const reason = describeError(error).message;
      this.reporter.logger.warn(MESSAGES.handBackFailed(this.o.name, job.id, reason));
    }
  }

  /** Waits `pollIntervalMs`, or until `wake()`. */
  private async pause(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = this.clock.setTimer(this.clock.now() + this.o.pollIntervalMs, resolve);
      this.wakeUp = () => {
        this.clock.clearTimer(timer);
        resolve();
      };
    });
    this.wakeUp = undefined;
  }
}
