import type { Clock, TimerHandle } from '../core/clock';

/**
 * A worker's timers, on its clock: the periodic heartbeat and reset, the stuck warnings, and
 * the waits of `stop()`. `clear()` ends every timer still set, so a stopped worker leaves none.
 */
export class WorkerTimers {
  private readonly timers = new Set<{ handle?: TimerHandle }>();

  constructor(private readonly clock: Clock) {}

  /** Calls `callback` once after `ms`, unless cancelled or cleared first; answers how to cancel. */
  after(ms: number, callback: () => void): () => void {
    const timer: { handle?: TimerHandle } = {};
    timer.handle = this.clock.setTimer(this.clock.now() + ms, () => {
      this.timers.delete(timer);
      callback();
    });
    this.timers.add(timer);
    return () => {
      if (timer.handle) this.clock.clearTimer(timer.handle);
      this.timers.delete(timer);
    };
  }

  /**
   * Runs `work` every `ms`, one call at a time: a tick while the last call has not answered is
   * skipped, except that with `maxBusyMs` a call that has not answered for that long no longer
   * holds the next one back. A tick for which `skip()` is true does nothing.
   */
  every(
    ms: number,
    work: () => Promise<void>,
    onError: (error: unknown) => void,
    skip: () => boolean,
    maxBusyMs = Infinity,
  ): void {
    let busySince: number | undefined;
    const timer: { handle?: TimerHandle } = {};
    const tick = (): void => {
      timer.handle = this.clock.setTimer(this.clock.now() + ms, tick);
      if (skip()) return;
      if (busySince !== undefined && this.clock.now() - busySince < maxBusyMs) return;
      const since = this.clock.now();
      busySince = since;
      work()
        .catch(onError)
        .finally(() => {
          if (busySince === since) busySince = undefined;
        });
    };
    timer.handle = this.clock.setTimer(this.clock.now() + ms, tick);
    this.timers.add(timer);
  }

  /** Waits for `work`, at most `ms`. */
  async within(ms: number, work: Promise<unknown>): Promise<void> {
    let timer: TimerHandle | undefined;
    await Promise.race([
      work,
      new Promise<void>((resolve) => (timer = this.clock.setTimer(this.clock.now() + ms, resolve))),
    ]);
    if (timer) this.clock.clearTimer(timer);
  }

  /** Ends every timer set through `after` and `every`. */
  clear(): void {
    for (const timer of this.timers) if (timer.handle) this.clock.clearTimer(timer.handle);
    this.timers.clear();
  }
}
