import {
  flushPromises,
  handlerWithErrorMessage,
  InMemoryCoordinator,
  ManualClock,
  PeriodicRoutine,
  REINVOKE_IMMEDIATELY,
  RoutineStoppedError,
  RoutineTimeoutError,
  type Coordinator,
  type HandlerFunction,
  type PeriodicHandler,
  type PeriodicRoutineOptions,
} from '../../../lib/core';
import {
  deferred,
  eventRecorder,
  recordingLogger,
  sleep,
  watchUnhandledRejections,
} from './helpers';

function setup(start = 0) {
  const clock = new ManualClock(start);
  const logger = recordingLogger();
  const recorder = eventRecorder();
  const make = (
    handler: PeriodicHandler | HandlerFunction,
    options: PeriodicRoutineOptions = {},
  ): PeriodicRoutine =>
    new PeriodicRoutine(handler, {
      name: 'job',
      clock,
      logger,
      onEvent: recorder.onEvent,
      ...options,
    });
  const runStarts = () =>
    recorder
      .ofType('run-started')
      .map((e) => ({ dueAt: e.outcome!.dueAt, at: e.outcome!.startedAt! }));
  const skips = () =>
    recorder
      .ofType('run-skipped')
      .map((e) => ({ dueAt: e.outcome!.dueAt, reason: e.outcome!.reason }));
  return { clock, logger, recorder, make, runStarts, skips };
}

describe('PeriodicRoutine schedule', () => {
  it('runs on start and then every interval: interval 1s advanced 3 times runs 4 times', async () => {
    const { clock, make } = setup();
    const calls: number[] = [];
    const routine = make(() => void calls.push(clock.now()), { interval: '1s' });
    routine.start();
    await clock.advance(1000);
    await clock.advance(1000);
    await clock.advance(1000);
    expect(calls).toEqual([0, 1000, 2000, 3000]);
    expect(routine.info().counters).toMatchObject({ runs: 4, succeeded: 4, skipped: 0 });
  });

  it('runOnStart: false waits one interval before the first run', async () => {
    const { clock, make } = setup();
    const calls: number[] = [];
    const routine = make(() => void calls.push(clock.now()), { interval: '1s', runOnStart: false });
    routine.start();
    await clock.advance(0);
    expect(calls).toEqual([]);
    await clock.advance(3000);
    expect(calls).toEqual([1000, 2000, 3000]);
  });

  it('initialDelay delays the first run; later runs follow one interval apart', async () => {
    const { clock, make } = setup();
    const calls: number[] = [];
    const routine = make(() => void calls.push(clock.now()), { interval: '1s', initialDelay: 500 });
    routine.start();
    await clock.advance(0);
    expect(calls).toEqual([]);
    expect(routine.info().nextRunAt).toBe(500);
    await clock.advance(3000);
    expect(calls).toEqual([500, 1500, 2500]);
  });

  it('interval as a function is read again between ticks', async () => {
    const { clock, make } = setup();
    let interval: number | string = 1000;
    const calls: number[] = [];
    const routine = make(() => void calls.push(clock.now()), { interval: () => interval });
    routine.start();
    await clock.advance(0); // run at 0, next due at 1000
    interval = 500;
    await clock.advance(2000);
    expect(calls).toEqual([0, 1000, 1500, 2000]);
    interval = '2s';
    await clock.advance(4000); // next was already set to 2500 with 500 ms; then every 2 s
    expect(calls).toEqual([0, 1000, 1500, 2000, 2500, 4500]);
    expect(routine.info().intervalMs).toBe(2000);
  });

  it('a cron schedule ticks at the cron times and does not run on start by default', async () => {
    const base = Date.UTC(2024, 0, 1, 0, 0, 3); // 00:00:03
    const { clock, make } = setup(base);
    const calls: number[] = [];
    const routine = make(() => void calls.push(clock.now() - base), {
      interval: { cron: '*/10 * * * * *' },
    });
    routine.start();
    await clock.advance(0);
    expect(calls).toEqual([]);
    expect(routine.info().nextRunAt).toBe(base + 7000);
    await clock.advance(30_000);
    expect(calls).toEqual([7000, 17000, 27000]); // 00:00:10, :20, :30
    expect(routine.info().nextRunAt).toBe(base + 37000);
    expect(routine.info().schedule).toBe('cron */10 * * * * *');
  });

  it('a cron schedule caught up after a blocked event loop runs the latest time and counts the others late', async () => {
    const base = Date.UTC(2024, 0, 1, 0, 0, 3);
    const { clock, make, runStarts, skips } = setup(base);
    const routine = make(() => undefined, { interval: { cron: '*/10 * * * * *' } });
    routine.start();
    await clock.advance(7000); // ran at :10
    clock.jump(35_000); // now :45; :20, :30 and :40 fell due
    await clock.advance(0);
    expect(runStarts().map((r) => [r.dueAt - base, r.at - base])).toEqual([
      [7000, 7000],
      [37_000, 42_000],
    ]);
    expect(skips()).toEqual([
      { dueAt: base + 17_000, reason: 'late' },
      { dueAt: base + 27_000, reason: 'late' },
    ]);
    expect(routine.info().nextRunAt).toBe(base + 47_000);
  });

  it('a cron schedule resumes at its next cron time after a pause', async () => {
    const base = Date.UTC(2024, 0, 1, 0, 0, 3);
    const { clock, make, runStarts } = setup(base);
    const routine = make(() => undefined, { interval: { cron: '*/10 * * * * *' } });
    routine.start();
    await clock.advance(9000); // :12, ran at :10
    routine.pause();
    await clock.advance(35_000); // :47
    routine.resume();
    expect(routine.info().nextRunAt).toBe(base + 47_000); // :50
    await clock.advance(3000);
    expect(runStarts().map((r) => r.at - base)).toEqual([7000, 47_000]);
    expect(routine.info().counters.skipped).toBe(0);
  });

  it('setInterval can switch to a cron schedule: the next run is the next cron time', async () => {
    const base = Date.UTC(2024, 0, 1, 0, 0, 3);
    const { clock, make, runStarts } = setup(base);
    const routine = make(() => undefined, { interval: '1s' });
    routine.start();
    await clock.advance(1500);
    routine.setInterval({ cron: '0 * * * * *' });
    expect(routine.info().nextRunAt).toBe(base + 57_000); // 00:01:00
    expect(routine.info().intervalMs).toBeUndefined();
    await clock.advance(120_000);
    expect(runStarts().map((r) => r.at - base)).toEqual([0, 1000, 57_000, 117_000]);
  });

  it('an interval function that returns a bad value is logged and the last good interval kept', async () => {
    const { clock, make, logger } = setup();
    let interval: unknown = 1000;
    const calls: number[] = [];
    const routine = make(() => void calls.push(clock.now()), {
      interval: () => interval as string,
    });
    routine.start();
    await clock.advance(0);
    interval = 'whenever';
    await clock.advance(3000);
    expect(calls).toEqual([0, 1000, 2000, 3000]);
    expect(logger.messages('warn')[0]).toBe(
      "interval function: 'whenever' is not a duration (use a number of milliseconds or a string such as '90s', '2m', '1.5h'); keeping 1s",
    );
  });

  it('setInterval changes the schedule at run time: next run one new interval from now', async () => {
    const { clock, make } = setup();
    const calls: number[] = [];
    const routine = make(() => void calls.push(clock.now()), { interval: '1s' });
    routine.start();
    await clock.advance(2500);
    expect(calls).toEqual([0, 1000, 2000]);
    routine.setInterval('5s');
    expect(routine.info().nextRunAt).toBe(7500);
    await clock.advance(10_000);
    expect(calls).toEqual([0, 1000, 2000, 7500, 12500]);
    expect(routine.info().intervalMs).toBe(5000);
  });

  it('setInterval with a bad value throws a RangeError and keeps the schedule', async () => {
    const { clock, make } = setup();
    const routine = make(() => undefined, { interval: '1s' });
    routine.start();
    await clock.advance(500);
    expect(() => routine.setInterval('soon')).toThrow(RangeError);
    expect(() => routine.setInterval(0)).toThrow(/job/);
    expect(routine.info().nextRunAt).toBe(1000);
    expect(routine.info().intervalMs).toBe(1000);
  });

  it('pause suspends ticks without counting them skipped; resume continues on the grid', async () => {
    const { clock, make } = setup();
    const calls: number[] = [];
    const routine = make(() => void calls.push(clock.now()), { interval: '1s' });
    routine.start();
    await clock.advance(1500);
    routine.pause();
    expect(routine.state).toBe('paused');
    expect(routine.info().nextRunAt).toBeUndefined();
    await clock.advance(5000); // now 6500
    expect(calls).toEqual([0, 1000]);
    routine.resume();
    expect(routine.state).toBe('running');
    expect(routine.info().nextRunAt).toBe(7000);
    await clock.advance(1500);
    expect(calls).toEqual([0, 1000, 7000, 8000]);
    expect(routine.info().counters.skipped).toBe(0);
  });
});

describe('PeriodicRoutine concurrency', () => {
  it('never overlaps itself with concurrency 1: busy ticks are skipped, counted and never queued', async () => {
    const { clock, make, runStarts, skips } = setup();
    let inFlight = 0;
    let maxInFlight = 0;
    const routine = make(
      async () => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await sleep(clock, 2500);
        inFlight--;
      },
      { interval: '1s' },
    );
    routine.start();
    await clock.advance(2999); // the long run ended at 2500: no burst of the queued ticks
    expect(runStarts().map((r) => r.at)).toEqual([0]);
    expect(skips()).toEqual([
      { dueAt: 1000, reason: 'busy' },
      { dueAt: 2000, reason: 'busy' },
    ]);
    expect(routine.info().counters.skipped).toBe(2);
    await clock.advance(1);
    expect(runStarts().map((r) => r.at)).toEqual([0, 3000]);
    expect(maxInFlight).toBe(1);
  });

  it('runs at most `concurrency` (3) at once and skips the tick that finds 3 in flight', async () => {
    const { clock, make, runStarts, skips } = setup();
    let inFlight = 0;
    let maxInFlight = 0;
    const routine = make(
      async () => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await sleep(clock, 3500);
        inFlight--;
      },
      { interval: '1s', concurrency: 3 },
    );
    routine.start();
    await clock.advance(4000);
    expect(runStarts().map((r) => r.at)).toEqual([0, 1000, 2000, 4000]);
    expect(skips()).toEqual([{ dueAt: 3000, reason: 'busy' }]);
    expect(maxInFlight).toBe(3);
    expect(routine.info().concurrency).toBe(3);
  });

  it('concurrency as a function is read at every tick', async () => {
    const { clock, make, runStarts, skips, logger } = setup();
    let concurrency = 1;
    const routine = make(() => new Promise(() => undefined), {
      interval: '1s',
      concurrency: () => concurrency,
    });
    routine.start();
    await clock.advance(1000); // 0 runs, 1000 busy
    concurrency = 2;
    await clock.advance(1000); // 2000 runs
    concurrency = 3;
    await clock.advance(1000); // 3000 runs
    concurrency = 0; // invalid: keeps 3, warns
    await clock.advance(1000); // 4000 busy
    expect(runStarts().map((r) => r.at)).toEqual([0, 2000, 3000]);
    expect(skips().map((s) => s.dueAt)).toEqual([1000, 4000]);
    expect(routine.info().concurrency).toBe(3);
    expect(logger.messages('warn').some((m) => m.includes('concurrency function returned 0'))).toBe(
      true,
    );
  });
});

describe('PeriodicRoutine has no drift', () => {
  it('the n-th tick is due at start + n·interval whatever the handler takes and however late the timer fires', async () => {
    const start = 10_000;
    const { clock, make, runStarts } = setup(start);
    const durations = [300, 700, 50, 600, 10, 300, 700];
    let call = 0;
    const routine = make(() => sleep(clock, durations[call++]), { interval: '1s' });
    routine.start();
    const nextRunAts: Array<number | undefined> = [];
    await clock.advance(0);
    nextRunAts.push(routine.info().nextRunAt);
    await clock.advance(2900); // now 12_900
    nextRunAts.push(routine.info().nextRunAt);
    clock.jump(400); // the timer due at 13_000 fires 300 ms late
    await clock.advance(0);
    nextRunAts.push(routine.info().nextRunAt);
    await clock.advance(2700); // now 16_000
    nextRunAts.push(routine.info().nextRunAt);

    expect(nextRunAts).toEqual([11_000, 13_000, 14_000, 17_000]);
    const runs = runStarts();
    expect(runs.map((r) => r.dueAt)).toEqual([0, 1, 2, 3, 4, 5, 6].map((n) => start + n * 1000));
    expect(runs.map((r) => r.at)).toEqual([10_000, 11_000, 12_000, 13_300, 14_000, 15_000, 16_000]);
    expect(routine.info().counters.skipped).toBe(0);
  });

  it('a blocked event loop past several ticks runs once and counts the others as skipped (late)', async () => {
    const { clock, make, runStarts, skips } = setup();
    const routine = make(() => undefined, { interval: '1s' });
    routine.start();
    await clock.advance(0); // run at 0
    clock.jump(3500); // the loop was blocked: ticks 1000, 2000, 3000 all fell due
    await clock.advance(0);
    expect(runStarts()).toEqual([
      { dueAt: 0, at: 0 },
      { dueAt: 3000, at: 3500 },
    ]);
    expect(skips()).toEqual([
      { dueAt: 1000, reason: 'late' },
      { dueAt: 2000, reason: 'late' },
    ]);
    expect(routine.info().counters).toMatchObject({ runs: 2, skipped: 2 });
    expect(routine.info().nextRunAt).toBe(4000);
    await clock.advance(500);
    expect(runStarts().map((r) => r.at)).toEqual([0, 3500, 4000]);
  });

  it('jitter with random 0 runs exactly on the grid', async () => {
    const { clock, make, runStarts } = setup();
    const routine = make(() => undefined, { interval: '1s', jitter: 300, random: () => 0 });
    routine.start();
    await clock.advance(3000);
    expect(runStarts()).toEqual([0, 1000, 2000, 3000].map((t) => ({ dueAt: t, at: t })));
  });

  it('jitter delays each run within [due, due + jitter) and the grid does not drift', async () => {
    const { clock, make, runStarts } = setup();
    const randoms = [0.999, 0, 0.5, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999];
    let i = 0;
    const routine = make(() => undefined, {
      interval: '1s',
      jitter: '300ms',
      random: () => randoms[i++] ?? 0.999,
    });
    routine.start();
    await clock.advance(9500);
    const runs = runStarts();
    expect(runs.map((r) => r.dueAt)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => n * 1000));
    expect(runs.map((r) => r.at - r.dueAt)).toEqual([
      299, 0, 150, 299, 299, 299, 299, 299, 299, 299,
    ]);
    for (const run of runs) {
      expect(run.at - run.dueAt).toBeGreaterThanOrEqual(0);
      expect(run.at - run.dueAt).toBeLessThan(300);
    }
    expect(runs).toHaveLength(10);
    expect(routine.info().counters.skipped).toBe(0);
  });
});

describe('PeriodicRoutine per-run timeout', () => {
  it("aborts the run's signal with a TimeoutError and holds the concurrency slot until the handler settles", async () => {
    const { clock, make, runStarts, skips, logger } = setup();
    const signals: AbortSignal[] = [];
    const routine = make(
      (signal) => {
        signals.push(signal);
        return sleep(clock, 5000); // ignores its signal
      },
      { interval: '1s', timeout: 1500 },
    );
    routine.start();
    await clock.advance(1499);
    expect(signals[0].aborted).toBe(false);
    await clock.advance(1);
    expect(signals[0].aborted).toBe(true);
    expect(signals[0].reason).toBeInstanceOf(RoutineTimeoutError);
    expect((signals[0].reason as Error).name).toBe('TimeoutError');
    expect(logger.messages('warn').some((m) => m.includes('timeout'))).toBe(true);
    await clock.advance(3499); // 4999: the handler still runs, the slot is still held
    expect(routine.info().inFlight).toBe(1);
    expect(runStarts()).toHaveLength(1);
    expect(skips().map((s) => s.reason)).toEqual(['busy', 'busy', 'busy', 'busy']);
    await clock.advance(1); // 5000: the handler settles, then the tick runs
    expect(runStarts().map((r) => r.at)).toEqual([0, 5000]);
    expect(signals[1]).not.toBe(signals[0]);
    expect(signals[1].aborted).toBe(false);
  });
});

describe('PeriodicRoutine REINVOKE_IMMEDIATELY', () => {
  it('runs the handler again at once, then waits for the normal interval', async () => {
    const { clock, make } = setup();
    const calls: number[] = [];
    const routine = make(
      () => {
        calls.push(clock.now());
        return calls.length <= 3 ? REINVOKE_IMMEDIATELY : undefined;
      },
      { interval: '1s' },
    );
    routine.start();
    await clock.advance(0);
    expect(calls).toEqual([0, 0, 0, 0]);
    await clock.advance(999);
    expect(calls).toHaveLength(4);
    await clock.advance(1);
    expect(calls).toEqual([0, 0, 0, 0, 1000]);
  });

  it('is capped at 100 runs in a row, then the normal interval applies', async () => {
    const { clock, make, logger } = setup();
    let calls = 0;
    const routine = make(
      async () => {
        calls++;
        return REINVOKE_IMMEDIATELY;
      },
      { interval: '1s' },
    );
    routine.start();
    await clock.advance(0);
    expect(calls).toBe(100);
    expect(logger.messages('warn').filter((m) => m.includes('100 times in a row'))).toHaveLength(1);
    await clock.advance(999);
    expect(calls).toBe(100);
    await clock.advance(1);
    expect(calls).toBe(200);
    expect(routine.info().counters.runs).toBe(200);
  });
});

describe('PeriodicRoutine backoff', () => {
  it('skips ticks for a delay that grows by `factor` on consecutive failures and resets after a success', async () => {
    const { clock, make, runStarts, skips } = setup();
    let call = 0;
    const routine = make(
      () => {
        call++;
        if (call <= 3 || call === 5) throw new Error(`failure ${call}`);
      },
      { interval: '1s', backoff: { initialDelay: '1s', factor: 2 } },
    );
    routine.start();
    await clock.advance(9000);
    // fail@0 -> wait 1s; fail@1000 -> 2s; fail@3000 -> 4s; ok@7000; fail@8000 -> 1s again; ok@9000
    expect(runStarts().map((r) => r.at)).toEqual([0, 1000, 3000, 7000, 8000, 9000]);
    expect(skips()).toEqual(
      [2000, 4000, 5000, 6000].map((dueAt) => ({ dueAt, reason: 'backoff' })),
    );
    expect(routine.info().counters).toMatchObject({ failures: 4, succeeded: 2, skipped: 4 });
  });

  it('the backoff delay is capped by maxDelay', async () => {
    const { clock, make, runStarts } = setup();
    const routine = make(
      () => {
        throw new Error('down');
      },
      { interval: '1s', backoff: { initialDelay: '1s', factor: 3, maxDelay: '2s' } },
    );
    routine.start();
    await clock.advance(9000);
    expect(runStarts().map((r) => r.at)).toEqual([0, 1000, 3000, 5000, 7000, 9000]);
  });
});

describe('PeriodicRoutine trigger', () => {
  it('runs once now and resolves with the outcome', async () => {
    const { clock, make } = setup(5000);
    const handle = jest.fn(() => sleep(clock, 200));
    const routine = make(handle, { interval: '1m', runOnStart: false });
    routine.start();
    const outcome = routine.trigger();
    await clock.advance(200);
    await expect(outcome).resolves.toEqual({
      runId: 1,
      status: 'succeeded',
      dueAt: 5000,
      startedAt: 5000,
      finishedAt: 5200,
      durationMs: 200,
    });
    expect(handle).toHaveBeenCalledTimes(1);
  });

  it('resolves (never rejects) with a failed outcome carrying the error', async () => {
    const { make } = setup();
    const error = new Error('nope');
    const routine = make(
      () => {
        throw error;
      },
      { interval: '1m' },
    );
    const outcome = await routine.trigger();
    expect(outcome).toMatchObject({ status: 'failed', error });
    expect(routine.info().counters.failures).toBe(1);
  });

  it('respects concurrency: a busy routine resolves skipped (busy) without running', async () => {
    const { clock, make } = setup();
    const handle = jest.fn(() => sleep(clock, 5000));
    const routine = make(handle, { interval: '1m' });
    routine.start();
    await clock.advance(0);
    await expect(routine.trigger()).resolves.toMatchObject({ status: 'skipped', reason: 'busy' });
    expect(handle).toHaveBeenCalledTimes(1);
  });

  it('works while paused', async () => {
    const { clock, make } = setup();
    const handle = jest.fn();
    const routine = make(handle, { interval: '1s', runOnStart: false });
    routine.start();
    routine.pause();
    await expect(routine.trigger()).resolves.toMatchObject({ status: 'succeeded' });
    expect(handle).toHaveBeenCalledTimes(1);
    await clock.advance(5000);
    expect(handle).toHaveBeenCalledTimes(1);
  });

  it('after stop resolves skipped (stopped) without running', async () => {
    const { make } = setup();
    const handle = jest.fn();
    const routine = make(handle, { interval: '1s', runOnStart: false });
    routine.start();
    await routine.stop();
    await expect(routine.trigger()).resolves.toMatchObject({
      status: 'skipped',
      reason: 'stopped',
    });
    expect(handle).not.toHaveBeenCalled();
  });
});

describe('PeriodicRoutine errors never escape', () => {
  it('(the unhandled-rejection watcher used below does see an unhandled rejection)', async () => {
    const unhandled = watchUnhandledRejections();
    const reason = new Error('deliberately unhandled');
    const rejected = Promise.reject(reason);
    await unhandled.stop();
    rejected.catch(() => undefined); // handle it now, so that Jest does not fail this test
    await flushPromises();
    expect(unhandled.reasons).toEqual([reason]);
  });

  const plainObject = { code: 42 };
  const syncError = new Error('sync boom');
  const asyncError = new Error('async boom');
  const thenError = new Error('then threw');
  const cases: Array<[string, HandlerFunction, unknown, string]> = [
    [
      'a synchronous throw',
      () => {
        throw syncError;
      },
      syncError,
      'sync boom',
    ],
    ['a rejection', () => Promise.reject(asyncError), asyncError, 'async boom'],
    ['a rejected string', () => Promise.reject('plain string'), 'plain string', 'plain string'],
    ['a rejected plain object', () => Promise.reject(plainObject), plainObject, '{"code":42}'],
    [
      'a thenable whose then throws',
      () => ({
        then() {
          throw thenError;
        },
      }),
      thenError,
      'then threw',
    ],
  ];

  it.each(cases)(
    '%s is counted, logged, passed to handleError, and the schedule continues',
    async (_label, handle, error, text) => {
      const unhandled = watchUnhandledRejections();
      const { clock, make, logger } = setup();
      const handleError = jest.fn();
      const routine = make({ handle, handleError }, { interval: '1s' });
      routine.start();
      await clock.advance(2000);
      await unhandled.stop();

      expect(routine.info().counters).toMatchObject({ runs: 3, failures: 3, succeeded: 0 });
      expect(handleError).toHaveBeenCalledTimes(3);
      expect(handleError).toHaveBeenCalledWith(error);
      expect(logger.error).toHaveBeenCalledTimes(3);
      expect(logger.messages('error')[0]).toBe(`run failed: ${text}`);
      expect(routine.info().lastError).toEqual({ at: 2000, message: text });
      expect(routine.info().lastRun).toMatchObject({ status: 'failed', error });
      expect(routine.info().nextRunAt).toBe(3000);
      expect(unhandled.reasons).toEqual([]);
    },
  );

  it.each([
    [
      'throws',
      () => {
        throw new Error('handleError broke');
      },
    ],
    ['rejects', () => Promise.reject(new Error('handleError broke'))],
  ])('a handleError that %s is logged and the schedule continues', async (_label, handleError) => {
    const unhandled = watchUnhandledRejections();
    const { clock, make, logger } = setup();
    const routine = make(
      {
        handle: () => {
          throw new Error('run broke');
        },
        handleError,
      },
      { interval: '1s' },
    );
    routine.start();
    await clock.advance(1000);
    await unhandled.stop();
    expect(routine.info().counters).toMatchObject({ runs: 2, failures: 2 });
    expect(logger.messages('error')).toEqual([
      'run failed: run broke',
      'handleError threw: handleError broke',
      'run failed: run broke',
      'handleError threw: handleError broke',
    ]);
    expect(unhandled.reasons).toEqual([]);
  });

  it('a thenable that settles twice is counted once and frees its concurrency slot once', async () => {
    const unhandled = watchUnhandledRejections();
    const { clock, make } = setup();
    const routine = make(
      () => ({
        then(onFulfilled: (v: unknown) => void, onRejected: (e: unknown) => void) {
          onFulfilled(undefined);
          onRejected(new Error('second settlement'));
          throw new Error('and a throw');
        },
      }),
      { interval: '1s' },
    );
    routine.start();
    await clock.advance(0);
    await unhandled.stop();
    expect(routine.info().counters).toMatchObject({ runs: 1, succeeded: 1, failures: 0 });
    expect(routine.info().inFlight).toBe(0);
    expect(unhandled.reasons).toEqual([]);
  });

  it('a result whose `then` getter throws is a failed run, not a stuck routine', async () => {
    const unhandled = watchUnhandledRejections();
    const { clock, make, logger } = setup();
    const routine = make(
      () => ({
        get then(): never {
          throw new Error('then getter threw');
        },
      }),
      { interval: '1s' },
    );
    routine.start();
    await clock.advance(1000);
    await unhandled.stop();
    expect(routine.info().counters).toMatchObject({ runs: 2, failures: 2 });
    expect(routine.info().inFlight).toBe(0);
    expect(logger.messages('error')[0]).toBe('run failed: then getter threw');
    await expect(routine.trigger()).resolves.toMatchObject({ status: 'failed' });
    await expect(routine.stop()).resolves.toBeUndefined();
    expect(unhandled.reasons).toEqual([]);
  });

  it('a rejected value that cannot be turned into a string is still counted and logged', async () => {
    const unhandled = watchUnhandledRejections();
    const { clock, make, logger } = setup();
    const unprintable = {
      toJSON() {
        throw new Error('no JSON');
      },
      toString() {
        throw new Error('no string');
      },
    };
    const routine = make(() => Promise.reject(unprintable), { interval: '1s' });
    routine.start();
    await clock.advance(1000);
    await unhandled.stop();
    expect(routine.info().counters).toMatchObject({ runs: 2, failures: 2 });
    expect(logger.error).toHaveBeenCalledTimes(2);
    await expect(routine.stop()).resolves.toBeUndefined();
    expect(unhandled.reasons).toEqual([]);
  });

  it('the default logger names the routine in the error log', async () => {
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const clock = new ManualClock();
      const routine = new PeriodicRoutine(
        () => {
          throw new Error('disk full');
        },
        { name: 'hard-deleter', interval: '2m', clock },
      );
      routine.start();
      await clock.advance(0);
      expect(consoleError).toHaveBeenCalledTimes(1);
      const [prefix, message] = consoleError.mock.calls[0];
      expect(prefix).toBe('[hard-deleter]');
      expect(message).toBe('run failed: disk full');
    } finally {
      consoleError.mockRestore();
    }
  });

  it('handlerWithErrorMessage puts its message in front of the error in the log', async () => {
    const { clock, make, logger } = setup();
    const error = new Error('connection reset');
    const routine = make(
      handlerWithErrorMessage('hard-delete uploads', () => Promise.reject(error)),
      { interval: '2m' },
    );
    routine.start();
    await clock.advance(0);
    expect(logger.error).toHaveBeenCalledWith('hard-delete uploads: connection reset', error.stack);
  });

  it('a throwing onEvent listener is logged and does not break the routine', async () => {
    const clock = new ManualClock();
    const logger = recordingLogger();
    const routine = new PeriodicRoutine(() => undefined, {
      interval: '1s',
      clock,
      logger,
      onEvent: () => {
        throw new Error('listener broke');
      },
    });
    routine.start();
    await clock.advance(1000);
    expect(routine.info().counters).toMatchObject({ runs: 2, succeeded: 2 });
    expect(
      logger.messages('error').every((m) => m === 'event listener threw: listener broke'),
    ).toBe(true);
  });
});

describe('PeriodicRoutine stop', () => {
  it('no new run starts once stop begins', async () => {
    const { clock, make, runStarts } = setup();
    const routine = make(() => sleep(clock, 2500), { interval: '1s' }); // ignores its signal
    routine.start();
    await clock.advance(500);
    const stopped = routine.stop();
    expect(routine.state).toBe('stopping');
    await clock.advance(10_000);
    await stopped;
    expect(runStarts()).toHaveLength(1);
    expect(routine.info().counters.runs).toBe(1);
    expect(routine.state).toBe('stopped');
  });

  it.each([
    ['the shared signal', {}],
    ['a per-run signal (timeout set)', { timeout: '1m' }],
  ])('aborts %s of every in-flight run with an AbortError', async (_label, extra) => {
    const { clock, make } = setup();
    const signals: AbortSignal[] = [];
    const routine = make(
      (signal) => {
        signals.push(signal);
        return sleep(clock, 5000);
      },
      { interval: '1s', concurrency: 2, ...extra },
    );
    routine.start();
    await clock.advance(1000);
    expect(signals).toHaveLength(2);
    expect(signals.some((s) => s.aborted)).toBe(false);
    void routine.stop();
    for (const signal of signals) {
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBeInstanceOf(RoutineStoppedError);
      expect((signal.reason as Error).name).toBe('AbortError');
    }
  });

  it('waits for in-flight runs, then calls onShutdown exactly once', async () => {
    const { clock, make } = setup();
    const order: string[] = [];
    const onShutdown = jest.fn(() => void order.push('onShutdown'));
    const routine = make(
      {
        handle: async () => {
          order.push(`run@${clock.now()}`);
          await sleep(clock, 2000);
          order.push(`end@${clock.now()}`);
        },
        onShutdown,
      },
      { interval: '1s' },
    );
    routine.start();
    await clock.advance(500);
    let settled = false;
    const stopped = routine.stop().then(() => (settled = true));
    await clock.advance(1000);
    expect(settled).toBe(false);
    expect(onShutdown).not.toHaveBeenCalled();
    await clock.advance(500);
    await stopped;
    expect(order).toEqual(['run@0', 'end@2000', 'onShutdown']);
    await routine.stop();
    expect(onShutdown).toHaveBeenCalledTimes(1);
  });

  it("a run that rejects because of the shutdown abort is counted as 'cancelled', not as a failure", async () => {
    const { clock, make, recorder, logger } = setup();
    const handleError = jest.fn();
    const routine = make(
      {
        handle: (signal) =>
          new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason)),
          ),
        handleError,
      },
      { interval: '1s' },
    );
    routine.start();
    await clock.advance(0);
    await routine.stop();
    expect(routine.info().counters).toMatchObject({ runs: 1, failures: 0 });
    expect(routine.info().lastRun?.status).toBe('cancelled');
    expect(recorder.ofType('run-cancelled')).toHaveLength(1);
    expect(recorder.ofType('run-failed')).toHaveLength(0);
    expect(handleError).not.toHaveBeenCalled();
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('a run that fails for another reason while stopping is still a failure', async () => {
    const { clock, make } = setup();
    const routine = make(
      (signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('flush failed'))),
        ),
      { interval: '1s' },
    );
    routine.start();
    await clock.advance(0);
    await routine.stop();
    expect(routine.info().counters.failures).toBe(1);
    expect(routine.info().lastRun?.status).toBe('failed');
  });

  it('stop is idempotent: same promise, one onShutdown, one stopped event', async () => {
    const { clock, make, recorder } = setup();
    const onShutdown = jest.fn();
    const routine = make({ handle: () => undefined, onShutdown }, { interval: '1s' });
    routine.start();
    await clock.advance(0);
    const first = routine.stop();
    const second = routine.stop();
    expect(second).toBe(first);
    await first;
    await routine.stop();
    expect(onShutdown).toHaveBeenCalledTimes(1);
    expect(recorder.ofType('stopped')).toHaveLength(1);
    expect(routine.state).toBe('stopped');
  });

  it('an onShutdown that throws is logged and stop still resolves', async () => {
    const { clock, make, logger } = setup();
    const routine = make(
      {
        handle: () => undefined,
        onShutdown: () => Promise.reject(new Error('flush failed')),
      },
      { interval: '1s' },
    );
    routine.start();
    await clock.advance(0);
    await expect(routine.stop()).resolves.toBeUndefined();
    expect(routine.state).toBe('stopped');
    expect(logger.messages('error')).toEqual(['onShutdown failed: flush failed']);
  });

  it('a routine stopped before it started does not call onShutdown', async () => {
    const { make } = setup();
    const onShutdown = jest.fn();
    const routine = make({ handle: () => undefined, onShutdown }, { interval: '1s' });
    await routine.stop();
    expect(onShutdown).not.toHaveBeenCalled();
    expect(routine.state).toBe('stopped');
    routine.start();
    expect(routine.state).toBe('stopped');
  });

  it('REINVOKE_IMMEDIATELY does not start another run once stop has begun', async () => {
    const { clock, make } = setup();
    const gate = deferred();
    const handle = jest.fn(async () => {
      await gate.promise;
      return REINVOKE_IMMEDIATELY;
    });
    const routine = make(handle, { interval: '1s' });
    routine.start();
    await clock.advance(0);
    const stopped = routine.stop();
    gate.resolve();
    await stopped;
    expect(handle).toHaveBeenCalledTimes(1);
  });

  it('leaves no pending timer on the clock after stop (tick, per-run timeout)', async () => {
    const { clock, make } = setup();
    const routine = make(
      (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())),
      { interval: '1s', timeout: '30s', concurrency: 2 },
    );
    routine.start();
    await clock.advance(1000);
    expect(clock.pendingTimers).toBeGreaterThan(0);
    await routine.stop();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('PeriodicRoutine in cluster scope', () => {
  /** A coordinator that delegates to an InMemoryCoordinator, with claimSlot replaceable. */
  function flakyCoordinator(clock: ManualClock) {
    const inner = new InMemoryCoordinator(clock);
    let failing = false;
    const coordinator: Coordinator = {
      kind: 'flaky',
      claimSlot: (routine, slot, ttl) =>
        failing ? Promise.reject(new Error('ECONNREFUSED')) : inner.claimSlot(routine, slot, ttl),
      acquireLease: (routine, ttl) => inner.acquireLease(routine, ttl),
      renewLease: (lease, ttl) => inner.renewLease(lease, ttl),
      releaseLease: (lease) => inner.releaseLease(lease),
    };
    return {
      coordinator,
      setFailing: (value: boolean) => {
        failing = value;
      },
    };
  }

  it('two replicas sharing a coordinator run each slot exactly once, on the epoch grid', async () => {
    const clock = new ManualClock(1_234);
    const coordinator = new InMemoryCoordinator(clock);
    const runs: Array<{ replica: string; at: number }> = [];
    const dueAts: number[] = [];
    const replica = (id: string) =>
      new PeriodicRoutine(() => void runs.push({ replica: id, at: clock.now() }), {
        name: 'janitor',
        scope: 'cluster',
        interval: '1s',
        clock,
        coordinator,
        logger: recordingLogger(),
        onEvent: (e) => {
          if (e.type === 'run-started') dueAts.push(e.outcome!.dueAt);
        },
      });
    const a = replica('a');
    const b = replica('b');
    a.start();
    b.start();
    await clock.advance(5000); // now 6_234
    expect(runs.map((r) => r.at)).toEqual([2000, 3000, 4000, 5000, 6000]);
    expect(dueAts).toEqual([2000, 3000, 4000, 5000, 6000]);
    expect(a.info().counters.runs + b.info().counters.runs).toBe(5);
    // A slot another replica ran is not a skip here: it shows in the claim counts instead.
    expect(a.info().counters.skipped + b.info().counters.skipped).toBe(0);
    const claims = [a.info().cluster!.claims!, b.info().cluster!.claims!];
    expect(claims[0].won + claims[1].won).toBe(5);
    expect(claims[0].lost + claims[1].lost).toBe(5);
    expect([a.info().cluster?.role, b.info().cluster?.role].sort()).toEqual(['leader', 'standby']);
    await Promise.all([a.stop(), b.stop()]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('replicas started at different times still agree on the slots', async () => {
    const clock = new ManualClock(0);
    const coordinator = new InMemoryCoordinator(clock);
    const runs: number[] = [];
    const replica = () =>
      new PeriodicRoutine(() => void runs.push(clock.now()), {
        name: 'janitor',
        scope: 'cluster',
        interval: '1s',
        clock,
        coordinator,
        logger: recordingLogger(),
      });
    const a = replica();
    const b = replica();
    a.start();
    await clock.advance(1700);
    b.start(); // starts mid-slot; its first tick is 2000, like a's
    await clock.advance(2300);
    expect(runs).toEqual([1000, 2000, 3000, 4000]);
  });

  it('a claim that rejects skips the tick (claim-error), counts and logs it, and the routine keeps going', async () => {
    const clock = new ManualClock(0);
    const { coordinator, setFailing } = flakyCoordinator(clock);
    const logger = recordingLogger();
    const recorder = eventRecorder();
    const runs: number[] = [];
    const routine = new PeriodicRoutine(() => void runs.push(clock.now()), {
      name: 'janitor',
      scope: 'cluster',
      interval: '1s',
      clock,
      coordinator,
      logger,
      onEvent: recorder.onEvent,
    });
    routine.start();
    await clock.advance(1000);
    expect(runs).toEqual([1000]);
    setFailing(true);
    await clock.advance(2000);
    expect(runs).toEqual([1000]);
    expect(recorder.ofType('run-skipped').map((e) => e.outcome)).toEqual([
      { status: 'skipped', dueAt: 2000, reason: 'claim-error' },
      { status: 'skipped', dueAt: 3000, reason: 'claim-error' },
    ]);
    expect(routine.info().counters.skipped).toBe(2);
    expect(routine.info().cluster?.lastClaim).toMatchObject({ slot: 3000, outcome: 'error' });
    // One warning per outage, not one per tick: a database down for an hour is one line.
    const warnings = logger.messages('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("claim for 'janitor'");
    expect(warnings[0]).toContain('ECONNREFUSED');
    setFailing(false);
    await clock.advance(1000);
    expect(runs).toEqual([1000, 4000]);
    expect(routine.state).toBe('running');
    expect(logger.messages('log').join('\n')).toContain('answers again, after 2 failed call(s)');
  });

  it("missed: 'once' runs the last slot before start if no replica ran it, and only then", async () => {
    const clock = new ManualClock(1500);
    const coordinator = new InMemoryCoordinator(clock);
    const runs: Array<{ id: string; at: number; dueAt: number }> = [];
    const replica = (id: string) =>
      new PeriodicRoutine(() => undefined, {
        name: 'report',
        scope: 'cluster',
        missed: 'once',
        interval: '1s',
        clock,
        coordinator,
        logger: recordingLogger(),
        onEvent: (e) => {
          if (e.type === 'run-started') runs.push({ id, at: clock.now(), dueAt: e.outcome!.dueAt });
        },
      });
    replica('a').start(); // slot 1000 was missed: run it now
    await clock.advance(0);
    replica('b').start(); // slot 1000 has been run by a: not again
    await clock.advance(500);
    expect(runs.filter((r) => r.dueAt === 1000)).toEqual([{ id: 'a', at: 1500, dueAt: 1000 }]);
    expect(runs.filter((r) => r.dueAt === 2000)).toHaveLength(1);
    expect(runs).toHaveLength(2);
  });

  it('a claimSlot that throws synchronously is a claim error, not a crash', async () => {
    const clock = new ManualClock(0);
    const logger = recordingLogger();
    const coordinator: Coordinator = {
      kind: 'broken',
      claimSlot: () => {
        throw new Error('not connected');
      },
      acquireLease: async () => null,
      renewLease: async () => false,
      releaseLease: async () => undefined,
    };
    const handle = jest.fn();
    const routine = new PeriodicRoutine(handle, {
      name: 'janitor',
      scope: 'cluster',
      interval: '1s',
      clock,
      coordinator,
      logger,
    });
    routine.start();
    await clock.advance(3000);
    expect(handle).not.toHaveBeenCalled();
    expect(routine.info().counters.skipped).toBe(3);
    expect(routine.info().inFlight).toBe(0);
    expect(logger.messages('warn')).toHaveLength(1); // one per outage;
    await expect(routine.stop()).resolves.toBeUndefined();
  });

  it('a claim still in flight when stop begins does not start a run, and stop waits for it', async () => {
    const clock = new ManualClock(0);
    const claim = deferred<boolean>();
    const coordinator: Coordinator = {
      kind: 'slow',
      claimSlot: () => claim.promise,
      acquireLease: async () => null,
      renewLease: async () => false,
      releaseLease: async () => undefined,
    };
    const handle = jest.fn();
    const routine = new PeriodicRoutine(handle, {
      name: 'janitor',
      scope: 'cluster',
      interval: '1s',
      clock,
      coordinator,
      logger: recordingLogger(),
    });
    routine.start();
    await clock.advance(1000);
    let settled = false;
    const stopped = routine.stop().then(() => (settled = true));
    await clock.flush();
    expect(settled).toBe(false);
    claim.resolve(true);
    await stopped;
    expect(handle).not.toHaveBeenCalled();
  });
});

describe('PeriodicRoutine run-time changes while paused', () => {
  it('setInterval while paused takes effect at resume, not at the old next tick', async () => {
    const clock = new ManualClock();
    const starts: number[] = [];
    const routine = new PeriodicRoutine(() => void starts.push(clock.now()), {
      name: 'retuned',
      interval: '1h',
      clock,
      logger: recordingLogger(),
    });
    routine.start();
    await clock.advance(10);
    routine.pause();
    routine.setInterval('1s');
    routine.resume();
    await clock.advance(10_000);
    expect(starts.length).toBeGreaterThanOrEqual(10);
    expect(routine.info().intervalMs).toBe(1000);
    await routine.stop();
  });

  it('setInterval refuses an interval no longer than the jitter', () => {
    const routine = new PeriodicRoutine(() => undefined, {
      name: 'jittery',
      interval: '10s',
      jitter: '5s',
      logger: recordingLogger(),
    });
    expect(() => routine.setInterval('1s')).toThrow(
      /jittery: setInterval\("1s"\) must be longer than the jitter \(5s\)/,
    );
  });

  it("run-started events say 'running'", async () => {
    const clock = new ManualClock();
    const statuses: string[] = [];
    const routine = new PeriodicRoutine(() => undefined, {
      name: 'evented',
      interval: '1s',
      clock,
      logger: recordingLogger(),
      onEvent: (event) => event.type === 'run-started' && statuses.push(event.outcome!.status),
    });
    routine.start();
    await clock.advance(0);
    expect(statuses).toEqual(['running']);
    await routine.stop();
  });
});
