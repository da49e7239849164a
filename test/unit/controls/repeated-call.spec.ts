/**
 * The loop the controls poll with and the dashboard publishes with: one call at a time, the
 * next `everyMs` after one settles, an outage reported once when it starts and once when it ends.
 */
import { ManualClock } from '../../../lib/core/manual-clock';
import { RepeatedCall } from '../../../lib/controls/coordinator-calls';

function loop(results: Array<'ok' | 'fail'>) {
  const clock = new ManualClock(0);
  const calls: number[] = [];
  const reports: string[] = [];
  const call = new RepeatedCall(
    clock,
    100,
    () => {
      calls.push(clock.now());
      return results.shift() === 'fail' ? Promise.reject(new Error('down')) : Promise.resolve();
    },
    { failed: (message) => reports.push(`failed: ${message}`), back: () => reports.push('back') },
  );
  return { clock, calls, reports, call };
}

describe('RepeatedCall', () => {
  it('runs now or after the interval, then every interval after each call settles', async () => {
    const now = loop([]);
    now.call.start(true);
    await now.clock.advance(250);
    expect(now.calls).toEqual([0, 100, 200]);
    const later = loop([]);
    later.call.start(false);
    await later.clock.advance(250);
    expect(later.calls).toEqual([100, 200]);
  });

  it('reports an outage once when it starts and once when it ends', async () => {
    const { clock, reports, call } = loop(['fail', 'fail', 'fail', 'ok', 'ok']);
    call.start(true);
    await clock.advance(450);
    expect(reports).toEqual(['failed: down', 'back']);
  });

  it('says the coordinator is back after a failure marked from outside', async () => {
    const { clock, reports, call } = loop(['ok']);
    call.failing = true;
    call.start(false);
    await clock.advance(100);
    expect(reports).toEqual(['back']);
  });

  it('calls no more once stopped', async () => {
    const { clock, calls, call } = loop([]);
    call.start(true);
    await clock.advance(150);
    call.stop();
    await clock.advance(500);
    expect(calls).toEqual([0, 100]);
    expect(clock.pendingTimers).toBe(0);
  });
});
