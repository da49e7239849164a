import {
  InMemoryCoordinator,
  ManualClock,
  PeriodicRoutine,
  RoutineStoppedError,
  SupervisedRoutine,
  type BackgroundFunction,
  type BackgroundHandler,
  type RoutineContext,
  type SupervisedRoutineOptions,
} from '../../../lib/core';
import { eventRecorder, recordingLogger, sleep, watchUnhandledRejections } from './helpers';

function setup(start = 0) {
  const clock = new ManualClock(start);
  const logger = recordingLogger();
  const recorder = eventRecorder();
  const make = (
    handler: BackgroundHandler | BackgroundFunction,
    options: SupervisedRoutineOptions = {},
  ): SupervisedRoutine =>
    new SupervisedRoutine(handler, {
      name: 'consumer',
      clock,
      logger,
      onEvent: recorder.onEvent,
      ...options,
    });
  return { clock, logger, recorder, make };
}

/** A start that runs until its signal aborts. */
const untilAborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => signal.addEventListener('abort', () => resolve()));

/** A start that fails at once, recording when it was called. */
function failing(clock: ManualClock, calls: number[]): BackgroundFunction {
  return async () => {
    calls.push(clock.now());
    throw new Error(`failure ${calls.length}`);
  };
}

describe('SupervisedRoutine', () => {
  it('runs start(signal, context) and is running until it settles', async () => {
    const { make } = setup();
    const start = jest.fn(untilAborted);
    const routine = make(start);
    expect(routine.state).toBe('idle');
    routine.start();
    expect(start).toHaveBeenCalledTimes(1);
    const [signal, context] = start.mock.calls[0] as unknown as [AbortSignal, RoutineContext];
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal.aborted).toBe(false);
    expect(context).toMatchObject({ name: 'consumer', epoch: undefined });
    expect((context as { holdsLease(): boolean }).holdsLease()).toBe(true);
    expect(routine.state).toBe('running');
    expect(routine.info()).toMatchObject({
      kind: 'background',
      inFlight: 1,
      counters: { runs: 1 },
    });
    routine.start(); // a second start is ignored
    expect(start).toHaveBeenCalledTimes(1);
  });

  it('restarts a rejected start after a backoff that doubles from initialDelay, capped by maxDelay', async () => {
    const { clock, make, recorder, logger } = setup();
    const calls: number[] = [];
    const routine = make(failing(clock, calls), {
      restart: { maxRestarts: 10, within: '1h', initialDelay: '1s', maxDelay: '4s' },
      random: () => 0.9999999,
    });
    routine.start();
    await clock.advance(0);
    expect(routine.state).toBe('restarting');
    expect(logger.messages('error')[0]).toBe('failed: failure 1');
    expect(logger.messages('warn')[0]).toBe('restarting in 1s');
    await clock.advance(15_000);
    expect(calls).toEqual([0, 1000, 3000, 7000, 11_000, 15_000]);
    // One event per restart, when it happens, with the delay that preceded it.
    expect(recorder.ofType('restarted').map((e) => [e.at, e.delayMs])).toEqual([
      [1000, 1000],
      [3000, 2000],
      [7000, 4000],
      [11_000, 4000],
      [15_000, 4000],
    ]);
    expect(routine.info().counters).toMatchObject({ runs: 6, failures: 6, restarts: 5 });
    expect(routine.info().lastError).toEqual({ at: 15_000, message: 'failure 6' });
  });

  it.each([
    [0, [500, 1000, 2000, 2000]],
    [0.5, [750, 1500, 3000, 3000]],
  ])(
    'jitters each delay within [full/2, full] with the injected random (%p)',
    async (r, delays) => {
      const { clock, make, recorder } = setup();
      const calls: number[] = [];
      const routine = make(failing(clock, calls), {
        restart: { maxRestarts: 10, within: '1h', initialDelay: 1000, maxDelay: 4000 },
        random: () => r,
      });
      routine.start();
      const fifthStart = delays.reduce((sum, delay) => sum + delay, 0);
      await clock.advance(fifthStart);
      expect(
        recorder
          .ofType('restarted')
          .map((e) => e.delayMs)
          .slice(0, 4),
      ).toEqual(delays);
      const starts = delays.reduce((acc, d) => [...acc, acc[acc.length - 1] + d], [0]);
      expect(calls).toEqual(starts);
    },
  );

  it('is marked failed after more than maxRestarts failures within `within`; other routines keep running', async () => {
    const { clock, make, recorder, logger } = setup();
    const calls: number[] = [];
    const routine = make(failing(clock, calls), {
      restart: { maxRestarts: 2, within: '1m', initialDelay: 100, maxDelay: 1000 },
      random: () => 0,
    });
    const healthySignals: AbortSignal[] = [];
    const healthy = make(
      (signal) => {
        healthySignals.push(signal);
        return untilAborted(signal);
      },
      { name: 'healthy' },
    );
    const periodicRuns: number[] = [];
    const periodic = new PeriodicRoutine(() => void periodicRuns.push(clock.now()), {
      name: 'janitor',
      interval: '1s',
      clock,
      logger: recordingLogger(),
    });
    routine.start();
    healthy.start();
    periodic.start();
    await clock.advance(3000);

    expect(calls).toEqual([0, 50, 150]); // delays 50 and 100, then the 3rd failure is one too many
    expect(routine.state).toBe('failed');
    expect(routine.info().counters).toMatchObject({ failures: 3, restarts: 2 });
    const failed = recorder.ofType('failed').filter((e) => e.routine === 'consumer');
    expect(failed).toHaveLength(1);
    expect((failed[0].error as Error).message).toBe('failure 3');
    expect(logger.messages('error')).toContain(
      'gave up: failed 3 times within its restart window; marked failed',
    );
    await clock.advance(60_000);
    expect(calls).toHaveLength(3);

    expect(healthy.state).toBe('running');
    expect(healthySignals[0].aborted).toBe(false);
    expect(periodicRuns.length).toBe(64);
    await Promise.all([routine.stop(), healthy.stop(), periodic.stop()]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('decays: failures spaced wider than `within` never exhaust the policy', async () => {
    const { clock, make, recorder } = setup();
    const calls: number[] = [];
    const routine = make(failing(clock, calls), {
      restart: { maxRestarts: 1, within: '1s', initialDelay: '2s', maxDelay: '2s' },
      random: () => 0.9999999,
    });
    routine.start();
    await clock.advance(20_000);
    expect(calls).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20].map((s) => s * 1000));
    expect(routine.state).toBe('restarting');
    expect(recorder.ofType('failed')).toHaveLength(0);
    expect(routine.info().counters).toMatchObject({ failures: 11, restarts: 10 });
  });

  it('restart: false marks the routine failed on its first failure', async () => {
    const { clock, make, recorder } = setup();
    const calls: number[] = [];
    const routine = make(failing(clock, calls), { restart: false });
    routine.start();
    await clock.advance(60_000);
    expect(calls).toEqual([0]);
    expect(routine.state).toBe('failed');
    expect(recorder.ofType('restarted')).toHaveLength(0);
    expect(recorder.ofType('failed')).toHaveLength(1);
  });

  it("a start that returns is 'completed' and is not restarted", async () => {
    const { clock, make, recorder, logger } = setup();
    const start = jest.fn(async () => {
      await sleep(clock, 100);
    });
    const routine = make(start);
    routine.start();
    await clock.advance(60_000);
    expect(start).toHaveBeenCalledTimes(1);
    expect(routine.state).toBe('completed');
    expect(recorder.ofType('completed')).toHaveLength(1);
    expect(routine.info().counters).toMatchObject({ succeeded: 1, failures: 0, restarts: 0 });
    expect(logger.messages('log')[0]).toMatch(/completed and will not be restarted/);
  });

  it('a synchronous throw in start is handled like a rejection', async () => {
    const unhandled = watchUnhandledRejections();
    const { clock, make, logger } = setup();
    const calls: number[] = [];
    const routine = make(
      () => {
        calls.push(clock.now());
        throw new Error('sync start failure');
      },
      { restart: { initialDelay: 100, maxDelay: 100 }, random: () => 0.9999999 },
    );
    expect(() => routine.start()).not.toThrow();
    await clock.advance(200);
    await unhandled.stop();
    expect(calls).toEqual([0, 100, 200]);
    expect(logger.messages('error')[0]).toBe('failed: sync start failure');
    expect(routine.info().counters.failures).toBe(3);
    expect(unhandled.reasons).toEqual([]);
  });

  it('stop aborts the signal, calls handler.stop() and waits for start to settle', async () => {
    const { clock, make, recorder } = setup();
    const signals: AbortSignal[] = [];
    const handler = {
      start: jest.fn((signal: AbortSignal) => {
        signals.push(signal);
        // returns 500 ms after its signal aborts, as a consumer finishing its batch would
        return new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => void sleep(clock, 500).then(resolve)),
        );
      }),
      stop: jest.fn(),
    };
    const routine = make(handler);
    routine.start();
    await clock.advance(1000);
    let settled = false;
    const stopped = routine.stop().then(() => (settled = true));
    expect(routine.state).toBe('stopping');
    expect(signals[0].aborted).toBe(true);
    expect(signals[0].reason).toBeInstanceOf(RoutineStoppedError);
    expect((signals[0].reason as Error).name).toBe('AbortError');
    expect(handler.stop).toHaveBeenCalledTimes(1);
    await clock.advance(499);
    expect(settled).toBe(false);
    await clock.advance(1);
    await stopped;
    expect(routine.state).toBe('stopped');
    expect(recorder.ofType('stopped')).toHaveLength(1);
    expect(recorder.ofType('completed')).toHaveLength(0);
    expect(routine.stop()).toBe(routine.stop());
    await routine.stop();
    expect(handler.stop).toHaveBeenCalledTimes(1);
    expect(handler.start).toHaveBeenCalledTimes(1);
  });

  it('handler.stop() lets a start that ignores its signal return', async () => {
    const { make } = setup();
    let finish: () => void = () => undefined;
    const routine = make({
      start: () => new Promise<void>((resolve) => (finish = resolve)),
      stop: () => finish(),
    });
    routine.start();
    await expect(routine.stop()).resolves.toBeUndefined();
    expect(routine.state).toBe('stopped');
  });

  it('a handler.stop() that throws is logged and stop still waits for start', async () => {
    const { make, logger } = setup();
    const routine = make({
      start: untilAborted,
      stop: () => {
        throw new Error('already closed');
      },
    });
    routine.start();
    await expect(routine.stop()).resolves.toBeUndefined();
    expect(routine.state).toBe('stopped');
    expect(logger.messages('error')).toEqual(['stop() failed: already closed']);
  });

  it('stop during the restart backoff cancels the restart and leaves no timer', async () => {
    const { clock, make } = setup();
    const calls: number[] = [];
    const routine = make(failing(clock, calls), {
      restart: { initialDelay: '10s' },
      random: () => 0,
    });
    routine.start();
    await clock.advance(1000);
    expect(routine.state).toBe('restarting');
    await routine.stop();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(60_000);
    expect(calls).toEqual([0]);
    expect(routine.state).toBe('stopped');
  });

  it('a start that fails while stopping is logged, not counted, not restarted', async () => {
    const { clock, make, logger } = setup();
    const start = jest.fn(
      (signal: AbortSignal) =>
        new Promise<void>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('commit failed'))),
        ),
    );
    const routine = make(start);
    routine.start();
    await routine.stop();
    await clock.advance(60_000);
    expect(start).toHaveBeenCalledTimes(1);
    expect(routine.info().counters.failures).toBe(0);
    expect(logger.messages('warn')).toContain('failed while stopping: commit failed');
  });
});

describe('SupervisedRoutine in cluster scope', () => {
  it('two replicas with the same name: one runs, the other stands by and takes over with a larger epoch once the leader stops', async () => {
    const clock = new ManualClock(0);
    const coordinator = new InMemoryCoordinator(clock);
    const contexts: Array<{ replica: string; epoch?: number; at: number }> = [];
    const recorder = eventRecorder();
    const replica = (id: string) =>
      new SupervisedRoutine(
        (signal, context) => {
          contexts.push({ replica: id, epoch: context.epoch, at: clock.now() });
          return untilAborted(signal);
        },
        {
          name: 'consumer',
          scope: 'cluster',
          lease: { ttl: '15s', retryEvery: '1s' },
          clock,
          coordinator,
          logger: recordingLogger(),
          onEvent: (e) => recorder.onEvent({ ...e, routine: `${e.routine}:${id}` }),
        },
      );
    const a = replica('a');
    const b = replica('b');
    a.start();
    b.start();
    expect(a.state).toBe('standby');
    await clock.advance(0);
    expect(a.state).toBe('running');
    expect(b.state).toBe('standby');
    expect(a.info().cluster).toEqual({ role: 'leader', epoch: 1 });
    expect(b.info().cluster).toEqual({ role: 'standby' });

    await clock.advance(10_000); // a renews its lease; b keeps retrying and failing
    expect(contexts).toEqual([{ replica: 'a', epoch: 1, at: 0 }]);
    expect(b.state).toBe('standby');

    await a.stop(); // releases the lease, which would otherwise hold until 25 s
    expect(a.state).toBe('stopped');
    await clock.advance(999);
    expect(b.state).toBe('standby');
    await clock.advance(1); // b's next retry, one retry interval after the release
    expect(b.state).toBe('running');
    expect(contexts).toEqual([
      { replica: 'a', epoch: 1, at: 0 },
      { replica: 'b', epoch: 2, at: 11_000 },
    ]);
    expect(b.info().cluster).toEqual({ role: 'leader', epoch: 2 });
    expect(recorder.ofType('lease-acquired').map((e) => e.routine)).toEqual([
      'consumer:a',
      'consumer:b',
    ]);

    await b.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('a leader that fails past its policy releases the lease so a standby takes over', async () => {
    const clock = new ManualClock(0);
    const coordinator = new InMemoryCoordinator(clock);
    const leader = new SupervisedRoutine(
      async () => {
        throw new Error('poisoned');
      },
      {
        name: 'consumer',
        scope: 'cluster',
        restart: false,
        lease: { ttl: '15s', retryEvery: '1s' },
        clock,
        coordinator,
        logger: recordingLogger(),
      },
    );
    const epochs: Array<number | undefined> = [];
    const standby = new SupervisedRoutine(
      (signal, context) => {
        epochs.push(context.epoch);
        return untilAborted(signal);
      },
      {
        name: 'consumer',
        scope: 'cluster',
        lease: { ttl: '15s', retryEvery: '1s' },
        clock,
        coordinator,
        logger: recordingLogger(),
      },
    );
    leader.start();
    standby.start();
    await clock.advance(0);
    expect(leader.state).toBe('failed');
    expect(standby.state).toBe('standby');
    await clock.advance(1000); // the standby's next retry finds the lease free, not 15 s later
    expect(standby.state).toBe('running');
    expect(epochs).toEqual([2]);
    await Promise.all([leader.stop(), standby.stop()]);
  });
});
