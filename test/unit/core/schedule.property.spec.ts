import fc from 'fast-check';
import {
  checkInterval,
  createSchedule,
  nextCronTime,
  type IntervalSpec,
  type Schedule,
} from '../../../lib/core';

/** A schedule as the routine builds it; throws on an option problem. */
function scheduleOf(spec: IntervalSpec, cluster: boolean): Schedule {
  const problems: never[] = [];
  const parsed = checkInterval(problems, 'interval', spec);
  expect(problems).toEqual([]);
  return createSchedule(spec, parsed, cluster, { logger: { warn: () => undefined } });
}

const DAY = 24 * 3600_000;
const time = fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 });
const interval = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1000, max: DAY }));

describe('Schedule: pure functions of time', () => {
  it.each([
    ['instance', false],
    ['cluster', true],
  ])(
    '%s interval: next-due and catch-up computed directly agree with stepping',
    (_kind, cluster) => {
      fc.assert(
        fc.property(
          interval,
          time,
          fc.integer({ min: 0, max: 10_000 }),
          fc.integer({ min: 0, max: 999 }),
          (ms, start, ticks, extra) => {
            const schedule = scheduleOf(ms, cluster);
            const due = schedule.first(start, true, undefined);
            const now = due + ticks * ms + (extra % ms);
            // Stepping, the way a newcomer would write it.
            let stepped = due;
            let count = 0;
            while (schedule.following(stepped) <= now) {
              stepped = schedule.following(stepped);
              count++;
              if (count > 10_001) break;
            }
            const caught = schedule.catchUp(due, now);
            expect(caught.latest).toBe(stepped);
            expect(caught.missed).toBe(count);
            const next = schedule.atOrAfter(due, now);
            expect(next).toBeGreaterThanOrEqual(now);
            expect(next - now).toBeLessThan(ms);
            expect((next - due) % ms).toBe(0);
            expect(schedule.following(due)).toBe(due + ms);
          },
        ),
      );
    },
  );

  it('cluster grid: every replica computes the same slots, multiples of the interval since the epoch', () => {
    fc.assert(
      fc.property(interval, time, time, fc.boolean(), (ms, startA, startB, runOnStart) => {
        const schedule = scheduleOf(ms, true);
        const a = schedule.first(startA, runOnStart, undefined);
        const b = schedule.first(startB, runOnStart, undefined);
        expect(a % ms).toBe(0);
        expect(b % ms).toBe(0);
        expect(runOnStart ? a <= startA && startA - a < ms : a > startA && a - startA <= ms).toBe(
          true,
        );
        expect(schedule.fromNow(startA) % ms).toBe(0);
        expect(schedule.previous(startA)).toBe(Math.floor(startA / ms) * ms);
        expect(schedule.onWallClock).toBe(true);
      }),
    );
  });

  it.each(['*/7 * * * * *', '0 */5 * * * *', '30 2 * * *', '0 0 1 * *', '15 10 * * 1-5'])(
    'cron %s: catch-up, resume and the previous time agree with stepping',
    (expression) => {
      const schedule = scheduleOf({ cron: expression, timeZone: 'UTC' }, false);
      const cron = (schedule as unknown as { cron: Parameters<typeof nextCronTime>[0] }).cron;
      fc.assert(
        fc.property(
          time,
          fc.integer({ min: 0, max: 40 }),
          fc.integer({ min: 0, max: DAY }),
          (start, steps, extra) => {
            const due = schedule.first(start, false, undefined);
            let stepped = due;
            for (let i = 0; i < steps; i++) stepped = nextCronTime(cron, stepped);
            const now = Math.min(
              stepped + (extra % Math.max(1, nextCronTime(cron, stepped) - stepped)),
              nextCronTime(cron, stepped) - 1,
            );
            if (schedule.following(due) <= now) {
              const caught = schedule.catchUp(due, now);
              expect(caught.latest).toBe(stepped);
              // Exact for the first 8 (reported one by one), estimated from their mean gap beyond.
              if (steps <= 8) expect(caught.missed).toBe(steps);
              else
                expect(Math.abs(caught.missed - steps)).toBeLessThanOrEqual(Math.ceil(steps / 2));
            }
            const resumed = schedule.atOrAfter(due, now);
            expect(resumed).toBe(now <= due ? due : nextCronTime(cron, now - 1));
            expect(resumed).toBeGreaterThanOrEqual(now);
            const previous = schedule.previous(now)!;
            expect(previous).toBeLessThanOrEqual(now);
            expect(schedule.following(previous)).toBeGreaterThan(now);
          },
        ),
        { numRuns: 60 },
      );
    },
  );

  it('an interval function is read only by afterRun (and at start), never ahead of the run', () => {
    let reads = 0;
    let value: number | string = 1000;
    const schedule = createSchedule(
      () => {
        reads++;
        return value;
      },
      { intervalFn: () => (reads++, value) },
      false,
      { logger: { warn: () => undefined } },
    );
    expect(schedule.readsAfterRun).toBe(true);
    schedule.first(0, true, undefined);
    const afterStart = reads;
    schedule.following(0);
    schedule.atOrAfter(0, 5000);
    schedule.catchUp(0, 5000);
    expect(reads).toBe(afterStart);
    value = '5s';
    expect(schedule.afterRun(100)).toBe(5100);
    expect(schedule.intervalMs).toBe(5000);
  });

  it('an interval function that throws or returns a non-duration keeps the last good value and says why', () => {
    const warnings: string[] = [];
    let value: unknown = 2000;
    const fn = (): unknown => {
      if (value instanceof Error) throw value;
      return value;
    };
    const schedule = createSchedule(fn as () => number, { intervalFn: fn as () => number }, true, {
      logger: { warn: (m: string) => void warnings.push(m) },
    });
    expect(schedule.afterRun(1_000)).toBe(2_000);
    value = 'soon';
    expect(schedule.afterRun(3_000)).toBe(4_000);
    value = new Error('config service down');
    expect(schedule.afterRun(5_000)).toBe(6_000);
    expect(warnings).toEqual([
      expect.stringContaining("interval function: 'soon' is not a duration"),
      'interval function threw: config service down; keeping 2s',
    ]);
  });
});
