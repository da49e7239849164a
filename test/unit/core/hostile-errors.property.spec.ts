import fc from 'fast-check';
import { describeError, ManualClock, PeriodicRoutine, SupervisedRoutine } from '../../../lib/core';
import { PROPERTY_TEST_TIMEOUT_MS, recordingLogger, watchUnhandledRejections } from './helpers';

// Async property tests: see PROPERTY_TEST_TIMEOUT_MS for why Jest's 5 s is not enough.
jest.setTimeout(PROPERTY_TEST_TIMEOUT_MS);

/**
 * Whatever a handler throws, and whatever its handleError throws back, nothing escapes: no
 * unhandled rejection, no throw out of the runtime, the failure is counted and the schedule
 * goes on. The values include the hostile ones that used to reach `unhandledRejection` from
 * the logging path.
 */
/**
 * Makers of thrown values, not the values: fast-check inspects what it generates (to clone or
 * print it), and a Proxy that throws on every access would throw in fast-check itself.
 */
function hostileValues(): fc.Arbitrary<() => unknown> {
  const throwing = (): never => {
    throw new Error('getter threw');
  };
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };
  const everyTrapThrows = () =>
    new Proxy(
      {},
      {
        get: throwing,
        has: throwing,
        ownKeys: throwing,
        getPrototypeOf: throwing,
        getOwnPropertyDescriptor: throwing,
      },
    );
  const errorWithThrowingGetters = () =>
    Object.create(Error.prototype, { message: { get: throwing }, stack: { get: throwing } });
  const throwingToString = () => ({ toString: throwing, toJSON: throwing });
  const nullPrototype = () => Object.create(null) as object;
  const cyclic = () => {
    const value: Record<string, unknown> = {};
    value.self = value;
    return value;
  };
  return fc.oneof(
    fc.anything().map((value) => () => value),
    fc
      .constantFrom(Symbol('thrown'), 10n, undefined, null, Number.NaN, () => undefined)
      .map((value) => () => value),
    fc.constantFrom(
      revoked,
      everyTrapThrows,
      errorWithThrowingGetters,
      throwingToString,
      nullPrototype,
      cyclic,
    ),
  );
}

describe('hostile thrown values', () => {
  it('describeError never throws and always gives a string message', () => {
    fc.assert(
      fc.property(hostileValues(), (make) => {
        const described = describeError(make());
        expect(typeof described.message).toBe('string');
      }),
      { numRuns: 500 },
    );
  });

  it('a periodic routine counts them, keeps its schedule, and lets none escape, even when handleError throws them back', async () => {
    const unhandled = watchUnhandledRejections();
    await fc.assert(
      fc.asyncProperty(
        hostileValues(),
        fc.boolean(),
        fc.boolean(),
        async (make, async, rethrow) => {
          const value = make();
          const clock = new ManualClock(0);
          const logger = recordingLogger();
          const routine = new PeriodicRoutine(
            {
              handle: () => {
                if (async) return Promise.reject(value);
                throw value;
              },
              handleError: () => {
                if (rethrow) throw value;
                return Promise.reject(value);
              },
            },
            { interval: 100, clock, logger, onEvent: () => undefined },
          );
          routine.start();
          await clock.advance(250);
          const { counters, state } = routine.info();
          expect(counters.failures).toBe(3);
          expect(counters.runs).toBe(3);
          expect(state).toBe('running');
          await routine.stop();
        },
      ),
      { numRuns: 200 },
    );
    await unhandled.stop();
    expect(unhandled.reasons).toEqual([]);
  });

  it('a background routine that rejects with them is restarted and counted, with nothing escaping', async () => {
    const unhandled = watchUnhandledRejections();
    await fc.assert(
      fc.asyncProperty(hostileValues(), async (make) => {
        const value = make();
        const clock = new ManualClock(0);
        const routine = new SupervisedRoutine(() => Promise.reject(value), {
          restart: { maxRestarts: 2, within: '1m', initialDelay: 10, maxDelay: 10 },
          clock,
          logger: recordingLogger(),
          random: () => 1,
          onEvent: () => undefined,
        });
        routine.start();
        await clock.advance(100);
        expect(routine.info().counters.failures).toBe(3);
        expect(routine.state).toBe('failed');
        await routine.stop();
      }),
      { numRuns: 200 },
    );
    await unhandled.stop();
    expect(unhandled.reasons).toEqual([]);
  });
});
