import type { Clock, TimerHandle } from './clock';

interface ManualTimer extends TimerHandle {
  at: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in due order while
 * {@link ManualClock.advance} walks time forward, and promises settle between them,
 * so async handlers behave as they would in real time, without sleeping.
 *
 * @example
 * const clock = new ManualClock();
 * const routine = new PeriodicRoutine(handler, { interval: '1s', clock });
 * routine.start();
 * await clock.advance(3000); // handler ran 4 times: at 0, 1 s, 2 s and 3 s
 */
export class ManualClock implements Clock {
  private current: number;
  /** How far the wall clock is from the monotonic one; `stepWall` moves it. */
  private wallOffset = 0;
  private timers: ManualTimer[] = [];
  private seq = 0;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  wallNow(): number {
    return this.current + this.wallOffset;
  }

  wallOf(monotonic: number): number {
    return monotonic + this.wallOffset;
  }

  /**
   * Steps the wall clock by `ms` (negative: back), as NTP or an operator would; the
   * monotonic clock and the timers are untouched.
   */
  stepWall(ms: number): void {
    this.wallOffset += ms;
  }

  setTimer(at: number, callback: () => void): TimerHandle {
    const timer: ManualTimer = { at, seq: this.seq++, callback };
    this.timers.push(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    const index = this.timers.indexOf(handle as ManualTimer);
    if (index >= 0) this.timers.splice(index, 1);
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** The time of the next timer, if any. */
  get nextTimerAt(): number | undefined {
    return this.nextTimer()?.at;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  async advanceTo(target: number): Promise<void> {
    await flushPromises();
    for (let timer = this.nextTimer(); timer && timer.at <= target; timer = this.nextTimer()) {
      this.timers.splice(this.timers.indexOf(timer), 1);
      this.current = Math.max(this.current, timer.at);
      timer.callback();
      await flushPromises();
    }
    this.current = Math.max(this.current, target);
    await flushPromises();
  }

  /** Moves time without firing timers on the way, as when the event loop was blocked. */
  jump(ms: number): void {
    this.current += ms;
  }

  /** Lets pending promise callbacks run without moving time. */
  flush(): Promise<void> {
    return flushPromises();
  }

  private nextTimer(): ManualTimer | undefined {
    let next: ManualTimer | undefined;
    for (const timer of this.timers) {
      if (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))
        next = timer;
    }
    return next;
  }
}

/** Resolves after every promise callback queued so far (and the ones they queue) has run. */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

// Captured at load so that a test that also installs fake timers does not freeze the flush.
const realSetImmediate = setImmediate;
