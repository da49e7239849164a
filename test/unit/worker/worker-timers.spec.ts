/**
 * The worker's timers on a ManualClock: a periodic call runs one at a time, a call hung past
 * `maxBusyMs` no longer holds the next back, `skip()` silences ticks, and `clear()` ends them.
 */
import { ManualClock } from '../../../lib/core/manual-clock';
import { WorkerTimers } from '../../../lib/worker/worker-timers';

describe('WorkerTimers.every', () => {
  it('runs one call at a time, until a call has been busy for maxBusyMs', async () => {
    const clock = new ManualClock(0);
    const timers = new WorkerTimers(clock);
    const calls: number[] = [];
    const hung = new Promise<void>(() => undefined);
    timers.every(
      100,
      () => (calls.push(clock.now()), hung),
      () => undefined,
      () => false,
      250,
    );
    await clock.advance(300);
    expect(calls).toEqual([100]); // 200 and 300: the first call is still busy
    await clock.advance(100);
    expect(calls).toEqual([100, 400]); // busy for 300 ms > 250: the next one goes out
    timers.clear();
    await clock.advance(1000);
    expect(calls).toEqual([100, 400]);
  });

  it('does nothing on a tick that skip() refuses, and reports a failed call', async () => {
    const clock = new ManualClock(0);
    const timers = new WorkerTimers(clock);
    let skipping = true;
    const errors: unknown[] = [];
    timers.every(
      100,
      () => Promise.reject(new Error('boom')),
      (error) => errors.push(error),
      () => skipping,
    );
    await clock.advance(200);
    expect(errors).toEqual([]);
    skipping = false;
    await clock.advance(100);
    expect(errors).toHaveLength(1);
    timers.clear();
  });
});
