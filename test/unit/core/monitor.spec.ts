import {
  ManualClock,
  monitorBackgroundRoutines,
  PeriodicRoutine,
  stopRoutines,
  SupervisedRoutine,
  type Routine,
} from '../../../lib/core';
import { deferred, recordingLogger, watchUnhandledRejections } from './helpers';

/** A routine whose stop takes `stopMs` of (fake) setTimeout time. */
function slowStopper(name: string, stopMs: number, log: string[] = []) {
  return {
    name,
    start: jest.fn(() => void log.push(`start ${name}`)),
    stop: jest.fn(
      () =>
        new Promise<void>((resolve) => {
          log.push(`stop ${name}`);
          setTimeout(() => {
            log.push(`stopped ${name}`);
            resolve();
          }, stopMs);
        }),
    ),
  };
}

describe('monitorBackgroundRoutines', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('starts every routine and stops none until the signal aborts', async () => {
    const controller = new AbortController();
    const a = slowStopper('a', 10);
    const b = slowStopper('b', 10);
    let settled = false;
    const done = monitorBackgroundRoutines(controller.signal, a, b).then(() => (settled = true));
    expect(a.start).toHaveBeenCalledTimes(1);
    expect(b.start).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(a.stop).not.toHaveBeenCalled();
    expect(b.stop).not.toHaveBeenCalled();
    expect(settled).toBe(false);
    controller.abort();
    await jest.advanceTimersByTimeAsync(10);
    await done;
    expect(a.stop).toHaveBeenCalledTimes(1);
    expect(b.stop).toHaveBeenCalledTimes(1);
  });

  it('stops all routines concurrently on abort: two 100 ms stops take 100 ms, not 200', async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const a = slowStopper('a', 100, log);
    const b = slowStopper('b', 100, log);
    let settled = false;
    const done = monitorBackgroundRoutines(controller.signal, a, b).then(() => (settled = true));
    controller.abort();
    await jest.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['start a', 'start b', 'stop a', 'stop b']); // both stopping at once
    await jest.advanceTimersByTimeAsync(99);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(settled).toBe(true);
    await done;
    expect(log.slice(4).sort()).toEqual(['stopped a', 'stopped b']);
  });

  it('settles at once when the signal has already aborted', async () => {
    const a = slowStopper('a', 0);
    await expect(
      (async () => {
        const done = monitorBackgroundRoutines(AbortSignal.abort(), a);
        await jest.advanceTimersByTimeAsync(0);
        return done;
      })(),
    ).resolves.toBeUndefined();
    expect(a.start).toHaveBeenCalled();
    expect(a.stop).toHaveBeenCalled();
  });

  it('joins stop errors into an AggregateError naming each routine', async () => {
    const controller = new AbortController();
    const logger = recordingLogger();
    const first = new Error('socket hang up');
    const good = slowStopper('good', 5);
    const bad: Routine = { name: 'bad', start: () => undefined, stop: () => Promise.reject(first) };
    const worse: Routine = {
      name: 'worse',
      start: () => undefined,
      stop: () => {
        throw new Error('not today');
      },
    };
    const done = monitorBackgroundRoutines({ signal: controller.signal, logger }, bad, good, worse);
    const outcome = done.then(
      () => undefined,
      (error: unknown) => error,
    );
    controller.abort();
    await jest.advanceTimersByTimeAsync(5);
    const error = (await outcome) as AggregateError;
    expect(error).toBeInstanceOf(AggregateError);
    expect(error.message).toContain('stop routine "bad": socket hang up');
    expect(error.message).toContain('stop routine "worse": not today');
    expect(error.message).not.toContain('good');
    expect(error.errors).toHaveLength(2);
    expect(error.errors).toContain(first);
    expect(good.stop).toHaveBeenCalled();
    expect(logger.messages('error')).toEqual(
      expect.arrayContaining([
        'stop routine "bad" failed: socket hang up',
        'stop routine "worse" failed: not today',
      ]),
    );
  });

  it('a start that rejects or throws is logged, not thrown, and the others still start', async () => {
    const unhandled = watchUnhandledRejections();
    const controller = new AbortController();
    const logger = recordingLogger();
    const rejecting: Routine = {
      name: 'rejecting',
      start: () => Promise.reject(new Error('cannot connect')),
      stop: () => undefined,
    };
    const throwing: Routine = {
      name: 'throwing',
      start: () => {
        throw new Error('bad config');
      },
      stop: () => undefined,
    };
    const fine = slowStopper('fine', 0);
    const done = monitorBackgroundRoutines(
      { signal: controller.signal, logger },
      rejecting,
      throwing,
      fine,
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(fine.start).toHaveBeenCalled();
    expect(logger.messages('error')).toEqual([
      'routine "throwing" failed: bad config',
      'routine "rejecting" failed: cannot connect',
    ]);
    controller.abort();
    await jest.advanceTimersByTimeAsync(0);
    await expect(done).resolves.toBeUndefined();
    jest.useRealTimers();
    await unhandled.stop();
    expect(unhandled.reasons).toEqual([]);
  });

  it('passes its timeout to stopRoutines: a routine that never stops is logged by name and left behind', async () => {
    const controller = new AbortController();
    const logger = recordingLogger();
    const stuck: Routine = {
      name: 'stuck',
      start: () => undefined,
      stop: () => deferred().promise,
    };
    let settled = false;
    const done = monitorBackgroundRoutines(
      { signal: controller.signal, logger, timeout: '2s' },
      stuck,
    ).then(() => (settled = true));
    controller.abort();
    await jest.advanceTimersByTimeAsync(1999);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await done;
    expect(logger.messages('error')).toEqual(['1 routine(s) did not stop within 2s: stuck']);
  });
});

describe('monitorBackgroundRoutines without a signal', () => {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  let before: Map<string, Array<(...args: unknown[]) => void>>;
  beforeEach(() => {
    before = new Map(signals.map((s) => [s, [...process.listeners(s)] as never]));
  });
  afterEach(() => {
    // Remove whatever the monitor left on the (per-test-file) process object.
    for (const s of signals)
      for (const listener of process.listeners(s))
        if (!before.get(s)!.includes(listener as never)) process.off(s, listener);
    jest.restoreAllMocks();
  });

  it('stops every routine on SIGTERM; a second signal while stopping exits at once', async () => {
    const logger = recordingLogger();
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    let finishStop!: () => void;
    const stop = jest.fn(() => new Promise<void>((resolve) => (finishStop = resolve)));
    const done = monitorBackgroundRoutines({ logger }, { name: 'a', start: () => undefined, stop });
    await Promise.resolve();
    for (const s of signals) expect(process.listenerCount(s)).toBe(before.get(s)!.length + 1);
    expect(stop).not.toHaveBeenCalled();
    process.emit('SIGTERM', 'SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    expect(stop).toHaveBeenCalledTimes(1);
    expect(logger.messages('log')).toEqual(['received SIGTERM; stopping 1 routine(s)']);
    expect(exit).not.toHaveBeenCalled();
    process.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(130);
    finishStop();
    await done;
  });

  it('leaves no signal listener behind once every routine has stopped', async () => {
    const stop = jest.fn();
    const done = monitorBackgroundRoutines(
      { logger: recordingLogger() },
      { name: 'a', start: () => undefined, stop },
    );
    await Promise.resolve();
    process.emit('SIGTERM', 'SIGTERM');
    await done;
    for (const s of signals) expect(process.listenerCount(s)).toBe(before.get(s)!.length);
  });
});

describe('monitorBackgroundRoutines with real routines on a ManualClock', () => {
  it('starts periodic and supervised routines and stops them all when the signal aborts', async () => {
    const clock = new ManualClock();
    const logger = recordingLogger();
    const runs: number[] = [];
    const periodic = new PeriodicRoutine(() => void runs.push(clock.now()), {
      name: 'janitor',
      interval: '1s',
      clock,
      logger,
    });
    const consumed: AbortSignal[] = [];
    const supervised = new SupervisedRoutine(
      (signal) =>
        new Promise<void>((resolve) => {
          consumed.push(signal);
          signal.addEventListener('abort', () => resolve());
        }),
      { name: 'consumer', clock, logger },
    );
    const controller = new AbortController();
    const done = monitorBackgroundRoutines(
      { signal: controller.signal, logger },
      periodic,
      supervised,
    );
    await clock.advance(2000);
    expect(runs).toEqual([0, 1000, 2000]);
    expect(supervised.state).toBe('running');
    controller.abort();
    await done;
    expect(periodic.state).toBe('stopped');
    expect(supervised.state).toBe('stopped');
    expect(consumed[0].aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(5000);
    expect(runs).toEqual([0, 1000, 2000]);
  });
});

describe('stopRoutines', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports by name, and logs, the routines that did not stop within the timeout', async () => {
    const logger = recordingLogger();
    const never: Routine = {
      name: 'never',
      start: () => undefined,
      stop: () => deferred().promise,
    };
    const quick = slowStopper('quick', 10);
    let settled = false;
    const report = stopRoutines([never, quick], { timeout: '1s', logger });
    void report.then(() => (settled = true));
    await jest.advanceTimersByTimeAsync(999);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await expect(report).resolves.toEqual({ timedOut: ['never'], errors: [], durationMs: 1000 });
    expect(logger.error).toHaveBeenCalledWith('1 routine(s) did not stop within 1s: never');
  });

  it('never rejects: stop errors are reported and logged', async () => {
    const logger = recordingLogger();
    const error = new Error('nope');
    const failing: Routine = {
      name: 'failing',
      start: () => undefined,
      stop: () => Promise.reject(error),
    };
    const report = await stopRoutines([failing], { logger });
    expect(report.errors).toEqual([{ routine: 'failing', error }]);
    expect(report.timedOut).toEqual([]);
    expect(logger.messages('error')).toEqual(['stop routine "failing" failed: nope']);
  });

  it('leaves no timer behind when everything stopped before the timeout', async () => {
    const logger = recordingLogger();
    const report = stopRoutines([slowStopper('a', 10), slowStopper('b', 20)], {
      timeout: '10s',
      logger,
    });
    await jest.advanceTimersByTimeAsync(20);
    await expect(report).resolves.toMatchObject({ timedOut: [], errors: [], durationMs: 20 });
    expect(jest.getTimerCount()).toBe(0);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('measures its timeout on the clock it is given: a ManualClock decides when the deadline falls', async () => {
    const clock = new ManualClock(0);
    const logger = recordingLogger();
    const never: Routine = {
      name: 'never',
      start: () => undefined,
      stop: () => deferred().promise,
    };
    let settled = false;
    const report = stopRoutines([never], { timeout: '2s', logger, clock });
    void report.then(() => (settled = true));
    await jest.advanceTimersByTimeAsync(5000); // real (fake) timers do not move it
    expect(settled).toBe(false);
    await clock.advance(2000);
    await expect(report).resolves.toEqual({ timedOut: ['never'], errors: [], durationMs: 2000 });
  });

  it('names unnamed routines after their class', async () => {
    class Unnamed {
      start(): void {}
      stop(): Promise<void> {
        return new Promise(() => undefined);
      }
    }
    const logger = recordingLogger();
    const report = stopRoutines([new Unnamed()], { timeout: 50, logger });
    await jest.advanceTimersByTimeAsync(50);
    await expect(report).resolves.toMatchObject({ timedOut: ['Unnamed'] });
  });
});
