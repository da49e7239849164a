import fc from 'fast-check';
import { ManualClock, PeriodicRoutine } from '../../../lib/core';
import { PROPERTY_TEST_TIMEOUT_MS, recordingLogger, sleep } from './helpers';

// Async property tests: see PROPERTY_TEST_TIMEOUT_MS for why Jest's 5 s is not enough.
jest.setTimeout(PROPERTY_TEST_TIMEOUT_MS);

const run = fc.record({
  /** How long the run takes, in ms of manual time (0: settles in the same turn). */
  duration: fc.integer({ min: 0, max: 4000 }),
  fails: fc.boolean(),
});

const scenario = fc.record({
  start: fc.integer({ min: 0, max: 10_000_000 }),
  interval: fc.integer({ min: 1, max: 1000 }),
  concurrency: fc.integer({ min: 1, max: 4 }),
  runOnStart: fc.boolean(),
  runs: fc.array(run, { minLength: 1, maxLength: 20 }),
  /** Total time: this many whole intervals plus a fraction of one. */
  ticks: fc.integer({ min: 0, max: 40 }),
  fraction: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  /** Jitter as a fraction of the interval, and the random source's constant value. */
  jitterFraction: fc.constantFrom(0, 0, 0.3, 0.9),
  random: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});

describe('PeriodicRoutine properties', () => {
  it('never exceeds concurrency, accounts for every due tick, and starts runs only on the grid', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const clock = new ManualClock(s.start);
        const jitter = Math.floor(s.jitterFraction * s.interval); // always < interval
        const offset = Math.floor(s.random * jitter); // what the routine adds to each due time
        let inFlight = 0;
        let maxInFlight = 0;
        let call = 0;
        const startTimes: number[] = [];
        const dueAts: number[] = [];
        const routine = new PeriodicRoutine(
          async () => {
            startTimes.push(clock.now());
            maxInFlight = Math.max(maxInFlight, ++inFlight);
            const { duration, fails } = s.runs[call++ % s.runs.length];
            try {
              if (duration > 0) await sleep(clock, duration);
              if (fails) throw new Error('planned failure');
            } finally {
              inFlight--;
            }
          },
          {
            name: 'property',
            interval: s.interval,
            concurrency: s.concurrency,
            runOnStart: s.runOnStart,
            jitter,
            random: () => s.random,
            clock,
            logger: recordingLogger(),
            onEvent: (e) => {
              if (e.type === 'run-started') dueAts.push(e.outcome!.dueAt);
            },
          },
        );
        routine.start();
        const total = s.ticks * s.interval + Math.floor(s.fraction * s.interval);
        await clock.advance(total);

        // (a) in flight never exceeds concurrency
        expect(maxInFlight).toBeLessThanOrEqual(s.concurrency);

        // (b) every grid point whose (jittered) time has come either ran or was counted skipped
        const fired = Math.floor((total - offset) / s.interval) + 1; // grid points n >= 0 with n·I + offset <= total
        const expectedTicks = Math.max(0, s.runOnStart ? fired : fired - 1);
        const { runs, skipped } = routine.info().counters;
        expect(runs).toBe(startTimes.length);
        expect(runs + skipped).toBe(expectedTicks);

        // (c) runs start only on grid points (plus the jitter offset)
        for (let i = 0; i < startTimes.length; i++) {
          expect((dueAts[i] - s.start) % s.interval).toBe(0);
          expect(startTimes[i]).toBe(dueAts[i] + offset);
        }

        // (d) once stop begins no run starts, and nothing is left on the clock
        const startedBeforeStop = startTimes.length;
        const stopped = routine.stop();
        await clock.advance(5000);
        await stopped;
        expect(startTimes.length).toBe(startedBeforeStop);
        expect(clock.pendingTimers).toBe(0);
        expect(routine.state).toBe('stopped');
      }),
      { numRuns: 100 },
    );
  });
});
