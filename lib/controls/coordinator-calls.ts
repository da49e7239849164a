import { describeError, type Clock, type TimerHandle } from '../core';
import { withDeadline } from '../core/deadline';
import { MESSAGES } from './controls.messages';

/** Deadline of one call to the coordinator's directory: the page and the loops must not hang on it. */
const CALL_DEADLINE_MS = 2000;

/** One call to the coordinator under the deadline; `what` names it in the timeout's message. */
export function coordinatorCall<T>(clock: Clock, what: string, call: () => Promise<T>): Promise<T> {
  return withDeadline(clock, CALL_DEADLINE_MS, MESSAGES.coordinatorCall(what), call);
}

/** How a repeated call reports: once when an outage starts, once when it ends. */
export interface OutageReport {
  failed(message: string): void;
  back(): void;
}

/**
 * Runs `work` every `everyMs`, one at a time (the next is scheduled when one settles); a
 * failure is reported once per outage, and the first success after it once.
 */
export class RepeatedCall {
  /** Whether the last call failed: set from outside when a first call was made apart. */
  failing = false;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly everyMs: number,
    private readonly work: () => Promise<void>,
    private readonly report: OutageReport,
  ) {}

  /** Starts the loop: runs now (`now`), or first after `everyMs`. */
  start(now: boolean): void {
    if (now) this.run();
    else this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    if (this.stopped) return;
    this.work()
      .then(
        () => {
          if (this.failing) this.report.back();
          this.failing = false;
        },
        (error: unknown) => {
          if (!this.failing) this.report.failed(describeError(error).message);
          this.failing = true;
        },
      )
      .finally(() => this.schedule());
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer(this.clock.now() + this.everyMs, () => {
      this.timer = undefined;
      this.run();
    });
  }
}
