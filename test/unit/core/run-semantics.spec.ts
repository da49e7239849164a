import { addAbortListener, getEventListeners } from 'node:events';
import * as vm from 'vm';
import {
  InMemoryCoordinator,
  ManualClock,
  PeriodicRoutine,
  REINVOKE_IMMEDIATELY,
  RoutineStoppedError,
  RoutineTimeoutError,
  SupervisedRoutine,
  takesSignal,
  type HandlerFunction,
  type PeriodicHandler,
  type PeriodicRoutineOptions,
  type RunContext,
} from '../../../lib/core';
import { deferred, eventRecorder, recordingLogger, sleep, type Deferred } from './helpers';

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
  return { clock, logger, recorder, make };
}

/** Stops a routine whose runs sleep on the manual clock without watching their signal. */
async function stopAndDrain(routine: PeriodicRoutine, clock: ManualClock): Promise<void> {
  const stopped = routine.stop();
  await clock.advance(10_000);
  await stopped;
}

describe('an interval function is read after the run that precedes the wait', () => {
  it('a handler that changes what the function returns changes the very next wait', async () => {
    const { clock, make } = setup();
    let pollMs = 1000;
    const starts: number[] = [];
    const routine = make(
      async () => {
        starts.push(clock.now());
        await sleep(clock, 100);
        pollMs = starts.length === 1 ? 5000 : 1000; // nothing to do: poll slower
      },
      { interval: () => pollMs },
    );
    routine.start();
    await clock.advance(12_000);
    // Run 1 ends at 100 and sets 5 s: run 2 at 5100. Run 2 ends at 5200 and sets 1 s.
    expect(starts.slice(0, 4)).toEqual([0, 5100, 6200, 7300]);
    await stopAndDrain(routine, clock);
  });

  it('waits the interval after the run ends: a long run pushes the next tick back (no grid)', async () => {
    const { clock, make } = setup();
    const starts: number[] = [];
    const routine = make(
      async () => {
        starts.push(clock.now());
        await sleep(clock, 300);
      },
      { interval: () => 1000 },
    );
    routine.start();
    await clock.advance(4000);
    expect(starts).toEqual([0, 1300, 2600, 3900]);
    expect(routine.info().counters.skipped).toBe(0);
    await stopAndDrain(routine, clock);
  });

  it('the wait follows the last run of a reinvocation chain', async () => {
    const { clock, make } = setup();
    const starts: number[] = [];
    const routine = make(
      async () => {
        starts.push(clock.now());
        await sleep(clock, 10);
        return starts.length < 3 ? REINVOKE_IMMEDIATELY : undefined;
      },
      { interval: () => 1000 },
    );
    routine.start();
    await clock.advance(1100);
    expect(starts).toEqual([0, 10, 20, 1030]);
    await routine.stop();
  });

  it('with concurrency above 1, ticks still run one after another; the room is for trigger()', async () => {
    const { clock, make } = setup();
    const gates: Deferred[] = [];
    const routine = make(
      () => {
        const gate = deferred();
        gates.push(gate);
        return gate.promise;
      },
      { interval: () => 100, concurrency: 2 },
    );
    routine.start();
    await clock.advance(1000);
    expect(gates).toHaveLength(1); // the tick's run is in flight: no tick is armed
    expect(routine.info().nextRunAt).toBeUndefined();
    const triggered = routine.trigger();
    expect(gates).toHaveLength(2);
    gates[1].resolve();
    await expect(triggered).resolves.toMatchObject({ status: 'succeeded' });
    expect(routine.info().nextRunAt).toBeUndefined(); // a triggered run does not arm ticks
    gates[0].resolve();
    await clock.advance(0);
    expect(routine.info().nextRunAt).toBe(1100);
    await clock.advance(100);
    expect(gates).toHaveLength(3);
    gates[2].resolve();
    await routine.stop();
  });

  it('a skipped tick (backoff) reads the function at once', async () => {
    const { clock, make } = setup();
    const starts: number[] = [];
    let reads = 0;
    const routine = make(
      () => {
        starts.push(clock.now());
        throw new Error('down');
      },
      {
        interval: () => {
          reads++;
          return 100;
        },
        backoff: { initialDelay: 250 },
      },
    );
    routine.start();
    await clock.advance(1000);
    // 0 fails (backoff until 250): 100 and 200 are skipped; 300 fails (until 800): 400 to 700
    // are skipped; 800 fails (until 1800): 900 and 1000 are skipped.
    expect(starts).toEqual([0, 300, 800]);
    expect(routine.info().counters.skipped).toBe(8);
    expect(reads).toBe(12); // at start, then once after each of the 11 ticks
    await routine.stop();
  });

  it('pausing during the run leaves the next tick to resume(), which keeps the wait read after the run', async () => {
    const { clock, make } = setup();
    const starts: number[] = [];
    const routine = make(
      async () => {
        starts.push(clock.now());
        await sleep(clock, 100);
      },
      { interval: () => 1000 },
    );
    routine.start();
    await clock.advance(50);
    routine.pause();
    await clock.advance(100); // the run ends at 100 while paused: next due 1100
    expect(routine.info().nextRunAt).toBeUndefined();
    routine.resume();
    expect(routine.info().nextRunAt).toBe(1100);
    await clock.advance(1000);
    expect(starts).toEqual([0, 1100]);
    await stopAndDrain(routine, clock);
  });

  it('cluster scope: the next slot is the next multiple of the interval read after the run', async () => {
    const base = 1_000_000;
    const { clock, make } = setup(base);
    let interval = 1000;
    const slots: number[] = [];
    const routine = make(
      async (_signal, ctx) => {
        slots.push(ctx.slot! - base);
        await sleep(clock, 10);
        interval = 5000;
      },
      {
        interval: () => interval,
        scope: 'cluster',
        runOnStart: true,
        coordinator: new InMemoryCoordinator(clock),
      },
    );
    routine.start();
    await clock.advance(12_000);
    expect(slots).toEqual([0, 5000, 10_000]);
    await routine.stop();
  });
});

describe('each run has its own signal', () => {
  it('a handler that adds an abort listener per run and never removes it does not pile them up', async () => {
    const { clock, make } = setup();
    const signals: AbortSignal[] = [];
    const routine = make(
      (signal) => {
        signal.addEventListener('abort', () => undefined);
        signals.push(signal);
      },
      { interval: 10 },
    );
    const warnings: Error[] = [];
    const realProcess = vm.runInThisContext('process') as NodeJS.Process;
    const onWarning = (warning: Error): void => void warnings.push(warning);
    realProcess.on('warning', onWarning);
    routine.start();
    await clock.advance(500);
    await new Promise((resolve) => setImmediate(resolve));
    realProcess.off('warning', onWarning);
    expect(signals.length).toBeGreaterThan(40);
    expect(new Set(signals).size).toBe(signals.length);
    for (const signal of signals) expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    await routine.stop();
  });

  it('runs in flight never share a signal, and shutdown aborts each of them', async () => {
    const { clock, make } = setup();
    const signals: AbortSignal[] = [];
    const routine = make(
      (signal) =>
        new Promise((_resolve, reject) => {
          signals.push(signal);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      { interval: 100, concurrency: 3 },
    );
    routine.start();
    await clock.advance(200);
    expect(signals).toHaveLength(3);
    expect(new Set(signals).size).toBe(3);
    await routine.stop();
    expect(signals.map((signal) => signal.reason)).toEqual([
      expect.any(RoutineStoppedError),
      expect.any(RoutineStoppedError),
      expect.any(RoutineStoppedError),
    ]);
    expect(routine.info().counters).toMatchObject({ runs: 3, cancelled: 3, failures: 0 });
  });

  it("one run's timeout aborts that run's signal only", async () => {
    const { clock, make } = setup();
    const signals: AbortSignal[] = [];
    const routine = make(
      (signal) => {
        signals.push(signal);
        return new Promise<void>((resolve) => {
          if (signals.length === 1) signal.addEventListener('abort', () => resolve());
          else setTimeout(resolve, 0);
        });
      },
      { interval: 100, concurrency: 2, timeout: 150 },
    );
    routine.start();
    await clock.advance(100); // run 1 at 0, run 2 at 100
    await clock.advance(50); // run 1 times out at 150
    expect(signals[0].reason).toBeInstanceOf(RoutineTimeoutError);
    expect(signals[1].aborted).toBe(false);
    await routine.stop();
  });

  it('a signal that was handed a listener or aborted is never handed to a later run', async () => {
    const { clock, make } = setup();
    const signals: AbortSignal[] = [];
    let run = 0;
    const routine = make(
      async (signal) => {
        signals.push(signal);
        run++;
        if (run === 2) signal.addEventListener('abort', () => undefined);
        if (run === 4) await sleep(clock, 100); // times out at 50
      },
      { interval: 1000, timeout: 50 },
    );
    routine.start();
    await clock.advance(6000);
    expect(signals).toHaveLength(7);
    const [, second, third, fourth, fifth] = signals;
    expect(third).not.toBe(second);
    expect(fourth.aborted).toBe(true);
    expect(fifth).not.toBe(fourth);
    expect(fifth.aborted).toBe(false);
    await routine.stop();
  });
  it('sees listeners added through onabort and Node helpers, not only addEventListener', async () => {
    const { make } = setup();
    const signals: AbortSignal[] = [];
    let run = 0;
    const routine = make((signal) => {
      signals.push(signal);
      run++;
      if (run === 1) signal.onabort = () => undefined;
      if (run === 3) addAbortListener(signal, () => undefined);
    });
    for (let i = 0; i < 5; i++) await routine.trigger();
    const [first, second, third, fourth] = signals;
    expect(second).not.toBe(first);
    expect(fourth).not.toBe(third);
    expect(signals.every((signal) => getEventListeners(signal, 'abort').length <= 1)).toBe(true);
  });

  it('a handler that says it cannot listen hands its signal on unchecked (the Nest adapter, for a method with no parameter)', async () => {
    const { make } = setup();
    const seen: AbortSignal[] = [];
    // `arguments` reaches the signal of a method declared without parameters: the one way it
    // could listen, so this test shows what it would see.
    const routine = make({
      takesSignal: false,
      handle: function noParameters(this: unknown) {
        // eslint-disable-next-line prefer-rest-params
        const signal = arguments[0] as AbortSignal;
        seen.push(signal);
        signal.addEventListener('abort', () => undefined);
      },
    } as never);
    for (let i = 0; i < 3; i++) await routine.trigger();
    expect(new Set(seen).size).toBe(1);
    expect(getEventListeners(seen[0], 'abort')).toHaveLength(3);
    await routine.stop();
  });

  it('a function declared without parameters is still checked: (...args) forwarders and jest.fn mocks have length 0', async () => {
    const { make } = setup();
    const seen: AbortSignal[] = [];
    const listen = (signal: AbortSignal): void => {
      seen.push(signal);
      signal.addEventListener('abort', () => undefined);
    };
    const routine = make(jest.fn((...args: unknown[]) => listen(args[0] as AbortSignal)));
    for (let i = 0; i < 3; i++) await routine.trigger();
    expect(new Set(seen).size).toBe(3);
    await routine.stop();
  });

  it('a handler that declares the signal is checked: the same listener left per run gives a new signal each time', async () => {
    const { make } = setup();
    const seen: AbortSignal[] = [];
    const routine = make((signal) => {
      seen.push(signal);
      signal.addEventListener('abort', () => undefined);
    });
    for (let i = 0; i < 3; i++) await routine.trigger();
    expect(new Set(seen).size).toBe(3);
    await routine.stop();
  });

  it('only a handler that says so is taken not to listen', async () => {
    expect(takesSignal({ handle: () => undefined })).toBe(true);
    expect(takesSignal({ handle: (_signal: AbortSignal) => undefined })).toBe(true);
    expect(takesSignal({ handle: () => undefined, takesSignal: false })).toBe(false);
  });

  it('a run that removed the listeners it added leaves its signal clean', async () => {
    const { make } = setup();
    const signals: AbortSignal[] = [];
    const routine = make((signal) => {
      signals.push(signal);
      const listener = (): void => undefined;
      signal.addEventListener('abort', listener);
      signal.removeEventListener('abort', listener);
    });
    for (let i = 0; i < 3; i++) await routine.trigger();
    expect(getEventListeners(signals[2], 'abort')).toHaveLength(0);
    await routine.stop();
    // Not aborted: none of them was in flight when the routine stopped.
    expect(signals.some((signal) => signal.aborted)).toBe(false);
  });
});

describe('a context for every run', () => {
  it('periodic: runId counts runs, dueAt is the tick, reinvocations count the chain', async () => {
    const { clock, make } = setup(10_000);
    const contexts: RunContext[] = [];
    const routine = make(
      (_signal, ctx) => {
        contexts.push(ctx);
        return contexts.length === 2 || contexts.length === 3 ? REINVOKE_IMMEDIATELY : undefined;
      },
      { name: 'poller', interval: 1000 },
    );
    routine.start();
    await clock.advance(1000);
    expect(
      contexts.map(({ name, runId, dueAt, reinvocations, attempt, slot }) => ({
        name,
        runId,
        dueAt,
        reinvocations,
        attempt,
        slot,
      })),
    ).toEqual([
      { name: 'poller', runId: 1, dueAt: 10_000, reinvocations: 0, attempt: 1, slot: undefined },
      { name: 'poller', runId: 2, dueAt: 11_000, reinvocations: 0, attempt: 1, slot: undefined },
      { name: 'poller', runId: 3, dueAt: 11_000, reinvocations: 1, attempt: 1, slot: undefined },
      { name: 'poller', runId: 4, dueAt: 11_000, reinvocations: 2, attempt: 1, slot: undefined },
    ]);
    expect(contexts.every((ctx) => ctx.holdsLease())).toBe(true);
    await expect(routine.trigger()).resolves.toMatchObject({ runId: 5 });
    expect(contexts[4]).toMatchObject({ runId: 5, dueAt: clock.wallNow(), reinvocations: 0 });
    await routine.stop();
  });

  it('a handler object gets the context as handle(signal, ctx)', async () => {
    const { make } = setup();
    const seen: number[] = [];
    const routine = make({ handle: (_signal, ctx) => void seen.push(ctx.runId) });
    await routine.trigger();
    await routine.trigger();
    expect(seen).toEqual([1, 2]);
  });

  it('cluster scope: dueAt and slot are the slot time, on every replica alike', async () => {
    const base = Date.UTC(2026, 0, 1, 10, 0, 0, 300);
    const clock = new ManualClock(base);
    const coordinator = new InMemoryCoordinator(clock);
    const contexts: RunContext[] = [];
    const replicas = ['a', 'b'].map(
      () =>
        new PeriodicRoutine((_signal, ctx) => void contexts.push(ctx), {
          name: 'report',
          interval: '1m',
          scope: 'cluster',
          clock,
          coordinator,
          logger: recordingLogger(),
        }),
    );
    for (const replica of replicas) replica.start();
    await clock.advance(120_000);
    const minute = Math.ceil(base / 60_000) * 60_000;
    expect(contexts.map((ctx) => [ctx.dueAt, ctx.slot])).toEqual([
      [minute, minute],
      [minute + 60_000, minute + 60_000],
    ]);
    await Promise.all(replicas.map((replica) => replica.stop()));
  });

  it('events carry the runId, so overlapping runs can be matched with their outcomes', async () => {
    const { clock, make, recorder } = setup();
    const routine = make(
      async (_signal, ctx) => {
        await sleep(clock, ctx.runId === 1 ? 280 : 50);
        if (ctx.runId === 2) throw new Error('second failed');
      },
      { interval: 100, concurrency: 2 },
    );
    routine.start();
    await clock.advance(290);
    await stopAndDrain(routine, clock);
    const byRun = (type: string) =>
      recorder.events.filter((e) => e.type === type).map((e) => [e.runId, e.outcome?.runId]);
    expect(byRun('run-started').slice(0, 3)).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(byRun('run-failed')[0]).toEqual([2, 2]);
    expect(byRun('run-succeeded')[0]).toEqual([3, 3]); // run 3 (200..250) ended before run 1
    expect(byRun('run-succeeded')[1]).toEqual([1, 1]);
    expect(routine.info().lastRun?.runId).toBeGreaterThan(0);
  });

  it('background: runId and attempt count starts (restarts included), epoch in cluster scope', async () => {
    const clock = new ManualClock(0);
    const contexts: RunContext[] = [];
    const routine = new SupervisedRoutine(
      (_signal, ctx) => {
        contexts.push(ctx);
        if (ctx.attempt < 3) return Promise.reject(new Error(`attempt ${ctx.attempt}`));
        return new Promise((resolve) => _signal.addEventListener('abort', resolve));
      },
      {
        name: 'consumer',
        scope: 'cluster',
        clock,
        coordinator: new InMemoryCoordinator(clock),
        logger: recordingLogger(),
        restart: { initialDelay: 100, maxDelay: 100 },
        random: () => 0.9999,
      },
    );
    routine.start();
    await clock.advance(1000);
    expect(
      contexts.map(({ runId, attempt, reinvocations, epoch }) => ({
        runId,
        attempt,
        reinvocations,
        epoch,
      })),
    ).toEqual([
      { runId: 1, attempt: 1, reinvocations: 0, epoch: 1 },
      { runId: 2, attempt: 2, reinvocations: 0, epoch: 1 },
      { runId: 3, attempt: 3, reinvocations: 0, epoch: 1 },
    ]);
    expect(contexts[1].dueAt).toBeGreaterThanOrEqual(100);
    expect(contexts[2].holdsLease()).toBe(true);
    const stopped = routine.stop();
    await clock.advance(0);
    await stopped;
  });

  it('a handler that ignores its context still works: the context is an extra argument', async () => {
    const { make } = setup();
    const routine = make(async (signal: AbortSignal) => void signal.aborted);
    await expect(routine.trigger()).resolves.toMatchObject({ status: 'succeeded', runId: 1 });
  });
});

describe('every handler gets its context, however it declares its parameters', () => {
  // Nothing reads a handler's source or its `length`: a default or rest parameter, `arguments`,
  // a bound function or one made by `new Function` all receive the context as their 2nd argument.
  /* eslint-disable @typescript-eslint/no-unused-vars, prefer-rest-params */
  const readsRunId: Array<[string, (seen: unknown[]) => HandlerFunction]> = [
    ['signal and context', (seen) => (signal, ctx) => void seen.push(ctx.runId)],
    [
      'a second parameter with a default',
      (seen) =>
        (signal: AbortSignal, ctx: Partial<RunContext> = {}) =>
          void seen.push(ctx.runId),
    ],
    [
      'a rest parameter',
      (seen) =>
        (...args: unknown[]) =>
          void seen.push((args[1] as RunContext).runId),
    ],
    [
      'a default first parameter (length 0)',
      (seen) =>
        (signal: AbortSignal = new AbortController().signal, ctx?: RunContext) =>
          void seen.push(ctx?.runId),
    ],
    [
      'arguments',
      (seen) =>
        function (this: unknown) {
          seen.push((arguments[1] as RunContext).runId);
        },
    ],
    [
      'a bound function',
      (seen) =>
        function (this: unknown, signal: AbortSignal, ctx: RunContext) {
          seen.push(ctx.runId);
        }.bind(null),
    ],
    [
      'quotes in the parameter list',
      (seen) => new Function('seen', 'return (a = ")", b) => void seen.push(b.runId)')(seen),
    ],
    [
      'a destructured second parameter',
      (seen) =>
        (s, { runId }) =>
          void seen.push(runId),
    ],
  ];
  /* eslint-enable @typescript-eslint/no-unused-vars, prefer-rest-params */

  it.each(readsRunId)('%s', async (_name, handlerOf) => {
    const { make } = setup();
    const seen: unknown[] = [];
    const routine = make(handlerOf(seen));
    await routine.trigger();
    await routine.trigger();
    expect(seen).toEqual([1, 2]);
  });

  it('a handler object whose handle reads `arguments` gets it too', async () => {
    const { make } = setup();
    const seen: unknown[] = [];
    const routine = make({
      handle() {
        // eslint-disable-next-line prefer-rest-params
        seen.push((arguments[1] as RunContext).runId);
      },
    });
    await routine.trigger();
    expect(seen).toEqual([1]);
  });

  it('a handler declaring the context gets it; a wrapper forwarding its arguments passes it on', async () => {
    const { make } = setup();
    const seen: unknown[] = [];
    const inner = (_signal: AbortSignal, ctx: RunContext): void => void seen.push(ctx?.runId);
    const wrapped = make((...args: [AbortSignal, RunContext]) => inner(...args));
    await wrapped.trigger();
    expect(seen).toEqual([1]);
  });
});
