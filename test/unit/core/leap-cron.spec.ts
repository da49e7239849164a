/**
 * Cron times further ahead than the cron package looks (8 years after the real present): a
 * leap-day cron's next times, and a manual clock set years ahead.
 */
import { ManualClock, PeriodicRoutine, type IntervalSpec } from '../../../lib/core';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

function routineAt(start: number, interval: IntervalSpec) {
  const clock = new ManualClock(start);
  const runs: string[] = [];
  const routine = new PeriodicRoutine(
    (_signal, ctx) => void runs.push(new Date(ctx.dueAt).toISOString()),
    { name: 'leap', clock, logger: quiet, interval },
  );
  return { clock, routine, runs };
}

// The cron package steps day by day: years of days take a while on a busy machine.
jest.setTimeout(30_000);

const iso = (times: number[]) => times.map((time) => new Date(time).toISOString());

describe('cron times years ahead', () => {
  it("'0 0 29 2 *' gives the next leap days, not the cron package's error", () => {
    const { routine } = routineAt(Date.UTC(2026, 11, 3, 9), {
      cron: '0 0 29 2 *',
      timeZone: 'UTC',
    });
    expect(iso(routine.nextRuns(3))).toEqual([
      '2028-02-29T00:00:00.000Z',
      '2032-02-29T00:00:00.000Z',
      '2036-02-29T00:00:00.000Z',
    ]);
    // 2100 is no leap year: eight years from 2096 to 2104.
    const far = routineAt(Date.UTC(2095, 0, 1), { cron: '0 0 29 2 *', timeZone: 'UTC' });
    expect(iso(far.routine.nextRuns(3))).toEqual([
      '2096-02-29T00:00:00.000Z',
      '2104-02-29T00:00:00.000Z',
      '2108-02-29T00:00:00.000Z',
    ]);
  });

  it('in a time zone, the leap days at local midnight', () => {
    const { routine } = routineAt(Date.UTC(2026, 11, 3, 9), {
      cron: '0 0 29 2 *',
      timeZone: 'Europe/Berlin',
    });
    expect(iso(routine.nextRuns(3))).toEqual([
      '2028-02-28T23:00:00.000Z',
      '2032-02-28T23:00:00.000Z',
      '2036-02-28T23:00:00.000Z',
    ]);
  });

  it('a routine on a clock set decades ahead runs its cron times', async () => {
    const { clock, routine, runs } = routineAt(Date.UTC(2071, 5, 1, 11, 59), {
      cron: '0 12 * * *',
      timeZone: 'UTC',
    });
    routine.start();
    await clock.advance(2 * 24 * 3600_000);
    expect(runs).toEqual(['2071-06-01T12:00:00.000Z', '2071-06-02T12:00:00.000Z']);
    await routine.stop();
  });
});
