/** startAt, endAt and maxRuns on the manual clock: no run outside them, `completed` past them. */
import {
  InMemoryCoordinator,
  ManualClock,
  PeriodicRoutine,
  RoutinesConfigurationError,
  type PeriodicRoutineOptions,
  type RoutineEvent,
} from '../../../lib/core';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);
const MINUTE = 60_000;

function setup(options: PeriodicRoutineOptions) {
  const clock = new ManualClock(T0);
  const runs: number[] = [];
  const events: RoutineEvent[] = [];
  const routine = new PeriodicRoutine((_signal, ctx) => void runs.push(ctx.dueAt - T0), {
    name: 'job',
    interval: MINUTE,
    clock,
    logger: quiet,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { clock, routine, runs, events };
}

describe('bounds: startAt, endAt, maxRuns', () => {
  it('startAt: nothing before it; an interval grid starts there', async () => {
    const { clock, routine, runs } = setup({ startAt: new Date(T0 + 5 * MINUTE + 500) });
    routine.start();
    expect(routine.info().nextRunAt).toBe(T0 + 5 * MINUTE + 500);
    await clock.advance(5 * MINUTE);
    expect(runs).toEqual([]);
    await clock.advance(2 * MINUTE + 500);
    expect(runs).toEqual([5 * MINUTE + 500, 6 * MINUTE + 500, 7 * MINUTE + 500]);
    await routine.stop();
  });

  it('startAt on a cron schedule and in cluster scope: the first time at or after it', async () => {
    const coordinator = new InMemoryCoordinator(new ManualClock(T0));
    const cron = setup({ interval: { cron: '*/10 * * * *' }, startAt: T0 + 25 * MINUTE });
    cron.routine.start();
    await cron.clock.advance(45 * MINUTE);
    expect(cron.runs).toEqual([30 * MINUTE, 40 * MINUTE]);
    await cron.routine.stop();
    const cluster = setup({ scope: 'cluster', coordinator, startAt: '2026-12-03T09:02:30Z' });
    cluster.routine.start();
    await cluster.clock.advance(5 * MINUTE);
    expect(cluster.runs).toEqual([3 * MINUTE, 4 * MINUTE, 5 * MINUTE]);
    await cluster.routine.stop();
  });

  it('endAt: the first tick past it completes the routine; runs in flight go on; it never ticks again', async () => {
    const { clock, routine, runs, events } = setup({ endAt: T0 + 2 * MINUTE + 1 });
    routine.start();
    await clock.advance(10 * MINUTE);
    expect(runs).toEqual([0, MINUTE, 2 * MINUTE]);
    expect(routine.state).toBe('completed');
    expect(events.filter((event) => event.type === 'completed')).toHaveLength(1);
    expect(routine.info().nextRunAt).toBeUndefined();
    expect(routine.nextRuns(3)).toEqual([]);
    // A trigger still runs a completed routine: it is the operator's.
    await expect(routine.trigger()).resolves.toMatchObject({ status: 'succeeded' });
    await routine.stop();
    expect(routine.state).toBe('stopped');
  });

  it('endAt already past at start: completed at once, no run', async () => {
    const { routine, runs } = setup({ endAt: T0 - 1 });
    routine.start();
    expect(routine.state).toBe('completed');
    expect(runs).toEqual([]);
    await routine.stop();
  });

  it('maxRuns: completed after that many scheduled runs; triggers do not count', async () => {
    const { clock, routine, runs } = setup({ maxRuns: 3 });
    routine.start();
    await clock.advance(0);
    await routine.trigger();
    expect(routine.nextRuns(5)).toEqual([T0 + MINUTE, T0 + 2 * MINUTE]);
    await clock.advance(10 * MINUTE);
    expect(runs).toEqual([0, 0, MINUTE, 2 * MINUTE]);
    expect(routine.state).toBe('completed');
    expect(routine.info().counters.runs).toBe(4);
    await routine.stop();
  });

  it('maxRuns with a buffered tick: the buffered run counts, the rest waiting is skipped as stopped', async () => {
    const clock = new ManualClock(T0);
    const starts: number[] = [];
    const events: RoutineEvent[] = [];
    const routine = new PeriodicRoutine(
      () =>
        new Promise<void>((resolve) => {
          starts.push(clock.now() - T0);
          clock.setTimer(clock.now() + 2500, resolve);
        }),
      {
        name: 'job',
        interval: 1000,
        clock,
        logger: quiet,
        overlap: 'buffer-all',
        maxRuns: 2,
        onEvent: (event) => events.push(event),
      },
    );
    routine.start();
    await clock.advance(10_000);
    expect(starts).toEqual([0, 2500]);
    expect(routine.state).toBe('completed');
    expect(events.filter((e) => e.type === 'run-skipped').map((e) => e.outcome!.reason)).toContain(
      'stopped',
    );
    await routine.stop();
  });

  it.each([
    [{ maxRuns: 0 }, "option 'maxRuns' = 0 must be a whole number, at least 1"],
    [
      { maxRuns: 2, scope: 'cluster' },
      "option 'maxRuns' = 2 is not available in cluster scope yet",
    ],
    [{ startAt: T0, endAt: T0 - 1 }, 'must be after startAt'],
    [
      { endAt: 'tomorrow' },
      "option 'endAt' = 'tomorrow' must be a Date, epoch milliseconds, or an ISO 8601 time",
    ],
    [{ startAt: new Date('nope') }, "option 'startAt'"],
  ])('refuses %j', (options, message) => {
    expect(() => setup(options as PeriodicRoutineOptions)).toThrow(RoutinesConfigurationError);
    expect(() => setup(options as PeriodicRoutineOptions)).toThrow(message);
  });
});
