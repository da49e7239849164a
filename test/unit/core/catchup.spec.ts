/**
 * `catchup: { window, max }` on the manual clock: after a stall, a pause, a start after
 * downtime and every replica down, the most recent late due times within the window run in
 * order, the older ones are counted `missed`; in cluster scope each runs once.
 */
import {
  InMemoryCoordinator,
  ManualClock,
  PeriodicRoutine,
  RoutinesConfigurationError,
  type PeriodicRoutineOptions,
  type RoutineEvent,
} from '../../../lib/core';
import { cpuMsOf } from './helpers';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const sleep = (clock: ManualClock, ms: number) =>
  new Promise<void>((resolve) => clock.setTimer(clock.now() + ms, resolve));

function setup(options: PeriodicRoutineOptions, clock = new ManualClock(T0)) {
  const runs: number[] = [];
  const events: RoutineEvent[] = [];
  const routine = new PeriodicRoutine((_signal, ctx) => void runs.push((ctx.dueAt - T0) / MINUTE), {
    name: 'job',
    interval: MINUTE,
    clock,
    logger: quiet,
    onEvent: (event) => events.push(event),
    ...options,
  });
  const skipped = (reason: string) =>
    events
      .filter((e) => e.type === 'run-skipped' && e.outcome!.reason === reason)
      .map((e) => (e.outcome!.dueAt - T0) / MINUTE);
  return { clock, routine, runs, events, skipped };
}

describe('catchup after a stall', () => {
  it('runs the most recent `max` due times within the window, in order; the older ones are missed', async () => {
    const { clock, routine, runs, skipped, events } = setup({
      catchup: { window: '5m', max: 3 },
    });
    routine.start();
    await clock.advance(0);
    clock.jump(10 * MINUTE + 30_000); // the event loop was blocked for ten and a half minutes
    await clock.advance(0);
    expect(runs).toEqual([0, 8, 9, 10]);
    expect(skipped('missed')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const late = events.filter((e) => e.type === 'run-started' && e.outcome!.catchup);
    expect(late.map((e) => (e.outcome!.dueAt - T0) / MINUTE)).toEqual([8, 9, 10]);
    expect(routine.info().catchup).toEqual({
      windowMs: 5 * MINUTE,
      max: 3,
      waiting: 0,
      caughtUp: 3,
      missed: 7,
    });
    expect(routine.info().counters.skipped).toBe(7);
    await clock.advance(30_000); // back on the schedule
    expect(runs).toEqual([0, 8, 9, 10, 11]);
    await routine.stop();
  });

  it('runs the late ones one after another: each starts when the one before it ends', async () => {
    const clock = new ManualClock(T0);
    const starts: Array<[number, number]> = [];
    let inFlight = 0;
    let most = 0;
    const routine = new PeriodicRoutine(
      async (_signal, ctx) => {
        starts.push([(ctx.dueAt - T0) / MINUTE, (clock.now() - T0) / 1000]);
        most = Math.max(most, ++inFlight);
        await sleep(clock, 5000);
        inFlight--;
      },
      { name: 'slow', interval: MINUTE, clock, logger: quiet, catchup: { window: '1h', max: 3 } },
    );
    routine.start();
    await clock.advance(10_000);
    clock.jump(5 * MINUTE - 10_000);
    await clock.advance(30_000);
    expect(starts).toEqual([
      [0, 0],
      [3, 300],
      [4, 305],
      [5, 310],
    ]);
    expect(most).toBe(1);
    await routine.stop();
  });

  it('a window of zero runs nothing late: the due times are missed and the schedule goes on', async () => {
    const { clock, routine, runs, skipped } = setup({ catchup: { window: 0 } });
    routine.start();
    await clock.advance(0);
    clock.jump(3 * MINUTE + 20_000);
    await clock.advance(0);
    expect(runs).toEqual([0]);
    expect(skipped('missed')).toEqual([1, 2, 3]);
    await clock.advance(40_000);
    expect(runs).toEqual([0, 4]);
    await routine.stop();
  });

  it('one tick later than the window (no later one passed yet) is missed too; within a second is on time', async () => {
    const { clock, routine, runs, skipped } = setup({ catchup: { window: '10s' } });
    routine.start();
    await clock.advance(0);
    clock.jump(MINUTE + 30_000); // the tick due at 1m fires 30 s late
    await clock.advance(0);
    expect(runs).toEqual([0]);
    expect(skipped('missed')).toEqual([1]);
    clock.jump(30_000 + 900); // the tick due at 2m fires 900 ms late: on time
    await clock.advance(0);
    expect(runs).toEqual([0, 2]);
    await routine.stop();
  });

  it('without catchup a stall runs the latest and counts the rest late, as before', async () => {
    const { clock, routine, runs, skipped } = setup({});
    routine.start();
    await clock.advance(0);
    clock.jump(3 * MINUTE + 20_000);
    await clock.advance(0);
    expect(runs).toEqual([0, 3]);
    expect(skipped('late')).toEqual([1, 2]);
    expect(routine.info().catchup).toBeUndefined();
    await routine.stop();
  });

  it('a month asleep is planned at once, counted, and never stops the routine', async () => {
    const { clock, routine, runs, events } = setup({
      interval: 1000,
      catchup: { window: Infinity, max: 2 },
    });
    routine.start();
    await clock.advance(0);
    clock.jump(30 * 24 * HOUR + 500);
    // CPU time, not elapsed time, which also counts what other processes take on a busy
    // machine. Planned directly it is about 0.5 ms; 200 ms leaves room for a slow CPU, and
    // 2.6 million ticks stepped through one by one, at even 100 ns each, would exceed it.
    expect(await cpuMsOf(() => clock.advance(0))).toBeLessThan(200);
    const missed = 30 * 24 * 3600 - 2;
    expect(routine.info().catchup!.missed).toBe(missed);
    expect(routine.info().counters.skipped).toBe(missed);
    // A handful of events, not millions.
    expect(events.filter((e) => e.type === 'run-skipped').length).toBeLessThanOrEqual(100);
    expect(runs.slice(1).map((m) => m * MINUTE)).toEqual([
      (30 * 24 * 3600 - 1) * 1000,
      30 * 24 * 3600 * 1000,
    ]);
    await clock.advance(1000);
    expect(runs).toHaveLength(4);
    expect(routine.state).toBe('running');
    await routine.stop();
  });

  it("with overlap 'skip', late due times that find a run in flight are skipped busy; with 'buffer-one' they wait", async () => {
    for (const overlap of ['skip', 'buffer-one'] as const) {
      const clock = new ManualClock(T0);
      const dues: number[] = [];
      const events: RoutineEvent[] = [];
      const routine = new PeriodicRoutine(
        async (_signal, ctx) => {
          dues.push((ctx.dueAt - T0) / MINUTE);
          if (ctx.dueAt === T0) await sleep(clock, 10 * MINUTE);
        },
        {
          name: 'job',
          interval: MINUTE,
          clock,
          logger: quiet,
          overlap,
          catchup: { window: '1h', max: 2 },
          onEvent: (event) => events.push(event),
        },
      );
      routine.start();
      await clock.advance(0);
      clock.jump(3 * MINUTE + 10_000); // stalled while the first run is in flight
      await clock.advance(0);
      const busy = events.filter((e) => e.type === 'run-skipped' && e.outcome!.reason === 'busy');
      if (overlap === 'skip') {
        expect(busy.map((e) => (e.outcome!.dueAt - T0) / MINUTE)).toEqual([2, 3]);
        expect(busy.every((e) => e.outcome!.policy === 'skip')).toBe(true);
      } else {
        expect(busy).toEqual([]);
        await clock.advance(7 * MINUTE);
        expect(dues.slice(0, 3)).toEqual([0, 2, 3]); // right after the run in flight, in order
      }
      const stopping = routine.stop();
      await clock.advance(10 * MINUTE);
      await stopping;
    }
  });

  it('stop while catching up: the late due times not yet run are skipped as stopped', async () => {
    const clock = new ManualClock(T0);
    const events: RoutineEvent[] = [];
    const routine = new PeriodicRoutine(() => sleep(clock, 30_000), {
      name: 'job',
      interval: MINUTE,
      clock,
      logger: quiet,
      catchup: { window: '1h', max: 4 },
      onEvent: (event) => events.push(event),
    });
    routine.start();
    await clock.advance(30_000);
    clock.jump(4 * MINUTE + 10_000);
    await clock.advance(0);
    expect(routine.info().catchup!.waiting).toBe(3);
    const stopping = routine.stop();
    await clock.advance(30_000);
    await stopping;
    const stopped = events.filter(
      (e) => e.type === 'run-skipped' && e.outcome!.reason === 'stopped',
    );
    expect(stopped.map((e) => (e.outcome!.dueAt - T0) / MINUTE)).toEqual([2, 3, 4]);
  });
});

describe('catchup on resume', () => {
  it('runs the most recent due times that fell while paused, within the window; the rest are missed', async () => {
    const { clock, routine, runs, skipped } = setup({ catchup: { window: Infinity, max: 2 } });
    routine.start();
    await clock.advance(30_000);
    routine.pause({ note: 'deploy' });
    await clock.advance(5 * MINUTE);
    routine.resume();
    await clock.advance(0);
    expect(runs).toEqual([0, 4, 5]);
    expect(skipped('missed')).toEqual([1, 2, 3]);
    await clock.advance(MINUTE);
    expect(runs).toEqual([0, 4, 5, 6]);
    await routine.stop();
  });

  it('without catchup, ticks that fell while paused are neither run nor counted, as before', async () => {
    const { clock, routine, runs, events } = setup({});
    routine.start();
    await clock.advance(30_000);
    routine.pause();
    await clock.advance(5 * MINUTE);
    routine.resume();
    await clock.advance(0);
    expect(runs).toEqual([0]);
    expect(events.filter((e) => e.type === 'run-skipped')).toEqual([]);
    await routine.stop();
  });
});

describe('catchup at start', () => {
  it('a cron routine runs the due times before its start that are within the window, in order', async () => {
    const clock = new ManualClock(T0 + 90 * MINUTE); // 10:30
    const { routine, runs, events } = setup(
      { interval: { cron: '0 * * * *' }, catchup: { window: '2h', max: 5 } },
      clock,
    );
    routine.start();
    await clock.advance(0);
    expect(runs).toEqual([0, 60]); // 09:00 and 10:00; 08:00 is outside the window
    expect(events.filter((e) => e.type === 'run-skipped')).toEqual([]); // before start: not known
    await clock.advance(30 * MINUTE);
    expect(runs).toEqual([0, 60, 120]);
    await routine.stop();
  });

  it('not before startAt, and not with runOnStart (its first run stands in for them)', async () => {
    const clock = new ManualClock(T0 + 90 * MINUTE);
    const bounded = setup(
      {
        interval: { cron: '0 * * * *' },
        catchup: { window: '1d', max: 5 },
        startAt: T0 + 30 * MINUTE,
      },
      clock,
    );
    bounded.routine.start();
    await clock.advance(0);
    expect(bounded.runs).toEqual([60]);
    await bounded.routine.stop();
    const onStart = setup(
      { interval: { cron: '0 * * * *' }, catchup: { window: '1d' }, runOnStart: true },
      new ManualClock(T0 + 90 * MINUTE),
    );
    onStart.routine.start();
    await onStart.clock.advance(0);
    expect(onStart.runs).toEqual([90]);
    await onStart.routine.stop();
  });

  it('an instance interval has no due times before its start: nothing to catch up', async () => {
    const { clock, routine, runs } = setup({
      catchup: { window: '1d', max: 5 },
      runOnStart: false,
    });
    routine.start();
    await clock.advance(MINUTE);
    expect(runs).toEqual([1]);
    await routine.stop();
  });
});

describe('catchup in cluster scope', () => {
  it('after every replica was down, each late slot runs once across replicas; slots that ran are not run again', async () => {
    const clock = new ManualClock(T0 - 1);
    const coordinator = new InMemoryCoordinator(clock);
    const ran: Array<[string, number]> = [];
    const replica = (id: string) =>
      new PeriodicRoutine((_signal, ctx) => void ran.push([id, (ctx.dueAt - T0) / MINUTE]), {
        name: 'report',
        scope: 'cluster',
        interval: MINUTE,
        clock,
        coordinator,
        logger: quiet,
        catchup: { window: '150m', max: 200 },
      });
    const a = replica('a');
    a.start();
    await clock.advance(30 * MINUTE + 1); // a catches up the window before its start, then runs slots 0..30
    await a.stop();
    expect(ran.map(([, due]) => due)).toEqual(Array.from({ length: 181 }, (_, i) => i - 150));
    ran.length = 0;
    await clock.advance(120 * MINUTE - 10_000); // every replica down for two hours
    const b = replica('b');
    const c = replica('c');
    b.start();
    c.start();
    await clock.advance(0);
    const dues = ran.map(([, due]) => due);
    // Slots 31..149 missed while all were down, each run once (0..30 are found claimed).
    expect(dues).toEqual(Array.from({ length: 119 }, (_, i) => 31 + i));
    expect(new Set(ran.map(([id]) => id)).size).toBeGreaterThanOrEqual(1);
    await clock.advance(10_000);
    expect(ran.filter(([, due]) => due === 150)).toHaveLength(1);
    await Promise.all([b.stop(), c.stop()]);
  });

  it('after a stall on every replica, each late slot is claimed and run once, in order', async () => {
    const clock = new ManualClock(T0);
    const coordinator = new InMemoryCoordinator(clock);
    const ran: number[] = [];
    const replicas = ['a', 'b', 'c'].map(
      () =>
        new PeriodicRoutine((_signal, ctx) => void ran.push((ctx.dueAt - T0) / MINUTE), {
          name: 'report',
          scope: 'cluster',
          interval: MINUTE,
          clock,
          coordinator,
          logger: quiet,
          catchup: { window: '1h', max: 3 },
        }),
    );
    for (const replica of replicas) replica.start();
    await clock.advance(0);
    expect(ran).toEqual([-2, -1, 0]); // the window before the first start, once across replicas
    ran.length = 0;
    await clock.advance(MINUTE);
    expect(ran).toEqual([1]);
    clock.jump(6 * MINUTE);
    await clock.advance(0);
    expect(ran).toEqual([1, 5, 6, 7]);
    const missed = replicas.map((replica) => replica.info().catchup!.missed);
    expect(missed).toEqual([3, 3, 3]); // each replica counts the slots nobody could run
    await Promise.all(replicas.map((replica) => replica.stop()));
  });

  it("missed: 'once' stays the shorthand of { window: Infinity, max: 1 }", () => {
    const clock = new ManualClock(T0);
    const routine = new PeriodicRoutine(() => undefined, {
      name: 'report',
      scope: 'cluster',
      interval: MINUTE,
      missed: 'once',
      clock,
      logger: quiet,
    });
    expect(routine.info().catchup).toMatchObject({ windowMs: Infinity, max: 1 });
  });
});

describe('catchup: bad input', () => {
  const build = (options: PeriodicRoutineOptions) => () =>
    new PeriodicRoutine(() => undefined, { name: 'janitor', logger: quiet, ...options });
  it.each([
    [{ catchup: { window: -1 } }, "option 'catchup.window' = -1"],
    [{ catchup: { window: '-5m' } }, "option 'catchup.window' = '-5m'"],
    [
      { catchup: { window: '1h', max: 0 } },
      "option 'catchup.max' = 0 must be a whole number from 1 to 1000",
    ],
    [{ catchup: { window: '1h', max: 1001 } }, "option 'catchup.max' = 1001"],
    [{ catchup: { window: '1h', max: 1.5 } }, "option 'catchup.max' = 1.5"],
    [{ catchup: {} }, "option 'catchup.window' = undefined is required"],
    [{ catchup: 'daily' }, "option 'catchup' = 'daily' must be { window, max? }"],
    [{ catchup: { window: '1h', maxx: 2 } }, "option 'catchup.maxx' = 2 is not a catchup option"],
    [
      { catchup: { window: '1h' }, missed: 'once' },
      "option 'missed' = 'once' is the shorthand of catchup",
    ],
    [{ catchup: { window: '1h' }, interval: () => 1000 }, "option 'catchup'"],
  ] as Array<[PeriodicRoutineOptions, string]>)('%j is refused: %s', (options, message) => {
    expect(build(options)).toThrow(RoutinesConfigurationError);
    expect(build(options)).toThrow(message);
    expect(build(options)).toThrow("PeriodicRoutine 'janitor'");
  });
});
