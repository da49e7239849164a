/**
 * Overlap policies against a model, with random run durations on the manual clock.
 * Conservation: every tick is run once or skipped once (with its reason and policy), never
 * both, never lost; no more runs at once than the policy allows; a buffered run starts the
 * instant the run before it ends; `buffer-all` never holds more than `maxBuffered`.
 */
import fc from 'fast-check';
import {
  ManualClock,
  PeriodicRoutine,
  type OverlapPolicy,
  type PeriodicRoutineOptions,
  type RoutineEvent,
} from '../../../lib/core';
import { PROPERTY_TEST_TIMEOUT_MS } from './helpers';

// Async property tests: see PROPERTY_TEST_TIMEOUT_MS for why Jest's 5 s is not enough.
jest.setTimeout(PROPERTY_TEST_TIMEOUT_MS);

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const INTERVAL = 1000;
const HORIZON = 30_000;

type Case = { policy: OverlapPolicy; concurrency?: number; maxBuffered?: number };

const policies: fc.Arbitrary<Case> = fc.oneof(
  fc.constant<Case>({ policy: 'skip' }),
  fc.constant<Case>({ policy: 'buffer-one' }),
  fc
    .integer({ min: 1, max: 5 })
    .map<Case>((maxBuffered) => ({ policy: 'buffer-all', maxBuffered })),
  fc.constant<Case>({ policy: 'cancel-other' }),
  fc.integer({ min: 2, max: 4 }).map<Case>((concurrency) => ({ policy: 'allow', concurrency })),
);

describe('overlap policies: conservation against a model', () => {
  it('every tick is run once or skipped once; never more at once than allowed; buffered runs start at once', async () => {
    await fc.assert(
      fc.asyncProperty(
        policies,
        // Run durations in units of 100 ms, from instant to 4.5 intervals.
        fc.array(fc.integer({ min: 0, max: 45 }), { minLength: 1, maxLength: 40 }),
        async (choice, durations) => {
          const clock = new ManualClock(0);
          const events: RoutineEvent[] = [];
          let inFlight = 0;
          let most = 0;
          let runIndex = 0;
          const ends: number[] = [];
          const options: PeriodicRoutineOptions = {
            name: 'model',
            interval: INTERVAL,
            clock,
            logger: quiet,
            overlap: choice.policy,
            onEvent: (event) => events.push(event),
          };
          if (choice.concurrency) options.concurrency = choice.concurrency;
          if (choice.maxBuffered) options.maxBuffered = choice.maxBuffered;
          let maxWaiting = 0;
          const routine = new PeriodicRoutine(
            (signal) =>
              new Promise<void>((resolve, reject) => {
                const ms = durations[runIndex++ % durations.length] * 100;
                inFlight++;
                most = Math.max(most, inFlight);
                const finish = (fail: boolean) => {
                  inFlight--;
                  ends.push(clock.now());
                  if (fail) reject(signal.reason);
                  else resolve();
                };
                const timer = clock.setTimer(clock.now() + ms, () => {
                  signal.removeEventListener('abort', onAbort);
                  finish(false);
                });
                const onAbort = () => {
                  clock.clearTimer(timer);
                  finish(true);
                };
                signal.addEventListener('abort', onAbort, { once: true });
              }),
            options,
          );
          routine.start();
          for (let t = 0; t < HORIZON; t += 100) {
            await clock.advance(100);
            maxWaiting = Math.max(maxWaiting, routine.info().overlap?.waiting ?? 0);
          }
          const stopping = routine.stop();
          await clock.advance(10_000);
          await stopping;

          const ticks = new Map<number, number>();
          for (let due = 0; due <= HORIZON; due += INTERVAL) ticks.set(due, 0);
          const started = events.filter((e) => e.type === 'run-started');
          const skipped = events.filter((e) => e.type === 'run-skipped');
          for (const event of [...started, ...skipped]) {
            const due = event.outcome!.dueAt;
            expect(ticks.has(due)).toBe(true);
            ticks.set(due, ticks.get(due)! + 1);
          }
          // Conservation: each tick accounted for exactly once.
          expect([...ticks.entries()].filter(([, count]) => count !== 1)).toEqual([]);
          for (const event of skipped) {
            expect(['busy', 'stopped']).toContain(event.outcome!.reason);
            expect(event.outcome!.policy).toBe(choice.policy);
          }
          // Never more at once than the policy allows.
          expect(most).toBeLessThanOrEqual(choice.policy === 'allow' ? choice.concurrency! : 1);
          if (choice.policy === 'buffer-all')
            expect(maxWaiting).toBeLessThanOrEqual(choice.maxBuffered!);
          if (choice.policy === 'buffer-one' || choice.policy === 'cancel-other') {
            expect(maxWaiting).toBeLessThanOrEqual(1);
          }
          // A run started from the buffer starts the instant a run ended.
          for (const event of started) {
            if (event.outcome!.policy === undefined) continue;
            expect(ends).toContain(event.outcome!.startedAt);
          }
          // The counters agree with the events.
          const { counters } = routine.info();
          expect(counters.runs).toBe(started.length);
          expect(counters.skipped).toBe(skipped.length);
          expect(counters.runs).toBe(counters.succeeded + counters.failures + counters.cancelled);
          expect(counters.failures).toBe(0); // a superseded or stopped run is cancelled, not failed
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('overlap policies with pauses and stalls', () => {
  it('no tick is accounted twice, skips say why, runs never exceed the policy, counters agree', async () => {
    await fc.assert(
      fc.asyncProperty(
        policies,
        fc.array(fc.integer({ min: 0, max: 45 }), { minLength: 1, maxLength: 20 }),
        // Per 100 ms step: nothing, pause/resume, or an event-loop stall of up to 5 s.
        fc.array(
          fc.oneof(
            { weight: 20, arbitrary: fc.constant<['step']>(['step']) },
            { weight: 1, arbitrary: fc.constant<['toggle']>(['toggle']) },
            {
              weight: 1,
              arbitrary: fc
                .integer({ min: 100, max: 5000 })
                .map((ms) => ['stall', ms] as ['stall', number]),
            },
          ),
          { minLength: 50, maxLength: 300 },
        ),
        async (choice, durations, steps) => {
          const clock = new ManualClock(0);
          const events: RoutineEvent[] = [];
          let inFlight = 0;
          let most = 0;
          let runIndex = 0;
          const options: PeriodicRoutineOptions = {
            name: 'model',
            interval: INTERVAL,
            clock,
            logger: quiet,
            overlap: choice.policy,
            onEvent: (event) => events.push(event),
          };
          if (choice.concurrency) options.concurrency = choice.concurrency;
          if (choice.maxBuffered) options.maxBuffered = choice.maxBuffered;
          const routine = new PeriodicRoutine(
            (signal) =>
              new Promise<void>((resolve, reject) => {
                const ms = durations[runIndex++ % durations.length] * 100;
                inFlight++;
                most = Math.max(most, inFlight);
                const timer = clock.setTimer(clock.now() + ms, () => {
                  signal.removeEventListener('abort', onAbort);
                  inFlight--;
                  resolve();
                });
                const onAbort = () => {
                  clock.clearTimer(timer);
                  inFlight--;
                  reject(signal.reason);
                };
                signal.addEventListener('abort', onAbort, { once: true });
              }),
            options,
          );
          routine.start();
          for (const [kind, ms] of steps) {
            if (kind === 'toggle') {
              if (routine.state === 'paused') routine.resume();
              else routine.pause({ note: 'model' });
            } else if (kind === 'stall') {
              clock.jump(ms!);
            }
            await clock.advance(100);
          }
          const stopping = routine.stop();
          await clock.advance(10_000);
          await stopping;

          const started = events.filter((e) => e.type === 'run-started');
          const skipped = events.filter((e) => e.type === 'run-skipped');
          const seen = new Map<number, number>();
          for (const event of [...started, ...skipped]) {
            const due = event.outcome!.dueAt;
            expect(due % INTERVAL).toBe(0);
            seen.set(due, (seen.get(due) ?? 0) + 1);
          }
          expect([...seen.entries()].filter(([, count]) => count > 1)).toEqual([]);
          for (const event of skipped) {
            const { reason, policy } = event.outcome!;
            expect(['busy', 'stopped', 'late']).toContain(reason);
            if (reason !== 'late') expect(policy).toBe(choice.policy);
          }
          expect(most).toBeLessThanOrEqual(choice.policy === 'allow' ? choice.concurrency! : 1);
          const { counters } = routine.info();
          expect(counters.runs).toBe(started.length);
          expect(counters.skipped).toBeGreaterThanOrEqual(skipped.length); // late ticks past 100 are counted, not told
          expect(counters.runs).toBe(counters.succeeded + counters.failures + counters.cancelled);
          expect(counters.failures).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});
