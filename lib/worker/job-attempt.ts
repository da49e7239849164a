import type { Clock } from '../core/clock';
import { formatDuration } from '../core/duration';
import { Hold, HoldExpiredError } from '../core/hold';
import { describeError } from '../core/logger';
import type { ClaimedJob } from './claimed-job';
import type { StopCause } from './interfaces/job.interface';
import { jobStopError } from './worker.errors';
import { MESSAGES } from './worker.messages';

/**
 * One dequeued row running here, in its slot (one dequeue's attempt: a row may come back).
 *
 * The row is held as the core's one holder discipline holds a lease (core/hold.ts): ttl
 * `stalledAfterMs`, taken when the dequeue was sent, renewed by each heartbeat that answered;
 * two thirds of the ttl after the last renewal sent that succeeded, the attempt's signal
 * aborts, a third of `stalledAfterMs` before any other worker may reset the row.
 */
export class JobAttempt<Row> {
  readonly controller = new AbortController();
  readonly hold: Hold;
  /** Why the signal aborted, once it did. */
  cause: StopCause | undefined;
  /** Why the row was lost, for its record and log. */
  lostWhy: string | undefined;
  /** Monotonic time the signal aborted. */
  abortedAt: number | undefined;
  /** Ends the wait for the handler: called when the signal aborts. */
  cut: () => void = () => undefined;
  handlerSettled = false;
  /** Called once the handler settles after its row was written (see `StuckHandlers`). */
  onSettled: (() => void) | undefined;
  /** The attempt's end was written (or could not be): the slot is free. */
  done: Promise<void> = Promise.resolve();

  constructor(
    readonly job: ClaimedJob<Row>,
    private readonly clock: Clock,
    private readonly stalledAfterMs: number,
    private readonly timeoutMs: number | undefined,
    /** When the dequeue that claimed the row was sent (monotonic): the hold counts from there. */
    sentAt: number,
  ) {
    this.hold = new Hold(clock, stalledAfterMs, (cause) => this.holdLost(cause));
    this.hold.renewed(sentAt);
  }

  /**
   * Aborts the signal, once. The hold ends first, so that `holdsRow()` already reads false in
   * the signal's listeners; the row is then written without waiting for the handler.
   */
  abort(cause: StopCause, lostWhy?: string): void {
    if (this.cause) return;
    this.cause = cause;
    this.lostWhy = lostWhy;
    this.abortedAt = this.clock.now();
    this.hold.release();
    try {
      this.controller.abort(this.stopError());
    } catch {
      // A listener of the app's threw: the abort happened all the same.
    }
    this.cut();
  }

  /** Why the attempt stopped, for its signal and its record (see `jobStopError`). */
  stopError(): Error {
    return jobStopError(this.cause!, this.timeoutMs, this.lostWhy);
  }

  /** The hold ended without a heartbeat renewing it in time, or was taken. */
  private holdLost(cause: unknown): void {
    const why =
      cause instanceof HoldExpiredError
        ? MESSAGES.heartbeatExpired(cause.message, formatDuration(this.stalledAfterMs))
        : describeError(cause).message;
    this.abort('lost', why);
  }
}
