/** backfill(): past due times run in order with their own dueAt; bounded, cancellable, once per slot across replicas. */
import {
  InMemoryCoordinator,
  ManualClock,
  MAX_BACKFILL,
  PeriodicRoutine,
  type PeriodicRoutineOptions,
  type RoutineEvent,
} from '../../../lib/core';
import { RunHistory } from '../../../lib/observability';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 12 - 1, 3, 12, 0, 0);

function setup(options: PeriodicRoutineOptions, runMs = 0, clock = new ManualClock(T0)) {
  const dues: string[] = [];
  const events: RoutineEvent[] = [];
  const history = new RunHistory(100, options.scope === 'cluster');
  const routine = new PeriodicRoutine(
    (signal, ctx) =>
      new Promise<void>((resolve, reject) => {
        dues.push(new Date(ctx.dueAt).toISOString().slice(11, 16));
        if (runMs === 0) return resolve();
        const timer = clock.setTimer(clock.now() + runMs, resolve);
        signal.addEventListener('abort', () => {
          clock.clearTimer(timer);
          reject(signal.reason);
        });
      }),
    {
      name: 'report',
      clock,
      logger: quiet,
      recorder: history,
      onEvent: (event) => events.push(event),
      ...options,
    },
  );
  return { clock, routine, dues, events, history };
}

describe('backfill', () => {
  it('runs every due time of a past cron range in order, each with its own dueAt, marked as backfill', async () => {
    const { clock, routine, dues, events, history } = setup({
      interval: { cron: '0 * * * *', timeZone: 'UTC' },
    });
    routine.start();
    const report = await routine.backfill({ from: new Date(T0 - 5 * HOUR), to: T0 - 2 * HOUR });
    expect(dues).toEqual(['07:00', '08:00', '09:00', '10:00']);
    expect(report).toMatchObject({
      dueTimes: 4,
      succeeded: 4,
      failed: 0,
      cancelled: 0,
      claimedElsewhere: 0,
    });
    expect(report.outcomes.map((o) => [o.dueAt - T0, o.backfill])).toEqual([
      [-5 * HOUR, true],
      [-4 * HOUR, true],
      [-3 * HOUR, true],
      [-2 * HOUR, true],
    ]);
    expect(events.filter((e) => e.type === 'run-started').every((e) => e.outcome!.backfill)).toBe(
      true,
    );
    expect(history.records(clock).every((record) => record.backfill)).toBe(true);
    expect(routine.info().lastRun).toMatchObject({ backfill: true });
    await routine.stop();
  });

  it('an interval routine: from, from + interval, ...; a run in flight is waited for, one at a time', async () => {
    const { clock, routine, dues } = setup({ interval: '30m', runOnStart: false }, 10_000);
    routine.start();
    const done = routine.backfill({ from: T0 - HOUR, to: T0 - 1 });
    await clock.advance(0);
    expect(dues).toEqual(['11:00']);
    await clock.advance(10_000);
    expect(dues).toEqual(['11:00', '11:30']);
    await clock.advance(10_000);
    await expect(done).resolves.toMatchObject({ dueTimes: 2, succeeded: 2 });
    await routine.stop();
  });

  it('stops on its signal: the backfill run in flight is aborted, the rest are not run', async () => {
    const { clock, routine, dues } = setup(
      { interval: { cron: '0 * * * *', timeZone: 'UTC' } },
      5000,
    );
    routine.start();
    const controller = new AbortController();
    const done = routine.backfill({
      from: T0 - 10 * HOUR,
      to: T0 - HOUR,
      signal: controller.signal,
    });
    await clock.advance(5000);
    await clock.advance(1000);
    controller.abort(new Error('operator stopped the backfill'));
    const report = await done;
    expect(dues).toEqual(['02:00', '03:00']);
    expect(report).toMatchObject({ dueTimes: 10, succeeded: 1, cancelled: 9 });
    await routine.stop();
  });

  it('refuses a reversed range, a future one, one over the maximum, and an interval function', async () => {
    const { routine } = setup({ interval: '1m' });
    await expect(routine.backfill({ from: T0, to: T0 - 1 })).rejects.toThrow(
      "backfill of 'report' refused: to is before from",
    );
    await expect(routine.backfill({ from: T0, to: T0 + MINUTE })).rejects.toThrow(
      'to is in the future',
    );
    await expect(
      routine.backfill({ from: T0 - (MAX_BACKFILL + 1) * MINUTE, to: T0 }),
    ).rejects.toThrow(`more than ${MAX_BACKFILL} due times`);
    await expect(routine.backfill({ from: 'yesterday' as never, to: T0 })).rejects.toThrow(
      'from must be a Date or epoch milliseconds',
    );
    const fn = setup({ interval: () => '1m' });
    await expect(fn.routine.backfill({ from: T0 - HOUR, to: T0 })).rejects.toThrow(
      'an interval function has no due times to backfill',
    );
  });

  it('in cluster scope, two replicas backfilling the same range run each due time once', async () => {
    const clock = new ManualClock(T0);
    const coordinator = new InMemoryCoordinator(clock);
    const one = setup({ interval: '1h', scope: 'cluster', coordinator }, 0, clock);
    const two = setup({ interval: '1h', scope: 'cluster', coordinator }, 0, clock);
    one.routine.start();
    two.routine.start();
    const range = { from: T0 - 6 * HOUR, to: T0 - HOUR };
    const [a, b] = await Promise.all([one.routine.backfill(range), two.routine.backfill(range)]);
    expect([...one.dues, ...two.dues].sort()).toEqual([
      '06:00',
      '07:00',
      '08:00',
      '09:00',
      '10:00',
      '11:00',
    ]);
    expect(a.succeeded + b.succeeded).toBe(6);
    expect(a.claimedElsewhere + b.claimedElsewhere).toBe(6);
    await one.routine.stop();
    await two.routine.stop();
  });

  it('a claim that fails (engine down) is reported as such, not as claimed elsewhere', async () => {
    const clock = new ManualClock(T0);
    const coordinator = new InMemoryCoordinator(clock);
    let down = true;
    const flaky = Object.assign(Object.create(coordinator) as InMemoryCoordinator, {
      claimSlot: (...args: Parameters<InMemoryCoordinator['claimSlot']>) =>
        down ? Promise.reject(new Error('ECONNREFUSED')) : coordinator.claimSlot(...args),
    });
    const { routine, dues } = setup(
      { interval: '1h', scope: 'cluster', coordinator: flaky },
      0,
      clock,
    );
    const range = { from: T0 - 3 * HOUR, to: T0 - HOUR };
    const report = await routine.backfill(range);
    expect(report).toMatchObject({
      dueTimes: 3,
      succeeded: 0,
      claimedElsewhere: 0,
      claimFailed: 3,
    });
    expect(dues).toEqual([]);
    down = false;
    expect(await routine.backfill(range)).toMatchObject({ succeeded: 3, claimFailed: 0 });
  });
});
