/**
 * Catch-up against a model, with random stalls, pauses, run durations, windows and overlap
 * policies on the manual clock. Conservation: every due time is run once or counted once
 * (busy, missed or stopped), never both, never lost; due times run in order; never two runs
 * at once; no late due time runs past its window (measured when the catch-up was planned).
 */
import fc from 'fast-check';
import {
  CATCH_UP_GRACE_MS,
  ManualClock,
  PeriodicRoutine,
  type OverlapPolicy,
  type RoutineEvent,
} from '../../../lib/core';
import { PROPERTY_TEST_TIMEOUT_MS } from './helpers';

// Async property tests: see PROPERTY_TEST_TIMEOUT_MS for why Jest's 5 s is not enough.
jest.setTimeout(PROPERTY_TEST_TIMEOUT_MS);

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const INTERVAL = 1000;

type Step = ['wait', number] | ['stall', number] | ['pause', number];

const steps: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof(
    fc.integer({ min: 1, max: 30 }).map<Step>((n) => ['wait', n * 100]),
    fc.integer({ min: 1, max: 80 }).map<Step>((n) => ['stall', n * 100]),
    fc.integer({ min: 1, max: 80 }).map<Step>((n) => ['pause', n * 100]),
  ),
  { minLength: 1, maxLength: 25 },
);

describe('catchup: conservation against a model', () => {
  it('every due time run once or counted once; in order; one at a time; none past its window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<OverlapPolicy>('skip', 'buffer-one', 'buffer-all'),
        fc.oneof(
          fc.constant(Infinity),
          fc.integer({ min: 0, max: 6 }).map((n) => n * 500),
        ),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 20 }),
        steps,
        async (overlap, windowMs, max, durations, script) => {
          const clock = new ManualClock(0);
          const events: RoutineEvent[] = [];
          let inFlight = 0;
          let most = 0;
          let index = 0;
          const routine = new PeriodicRoutine(
            () => {
              const ms = durations[index++ % durations.length] * 100;
              most = Math.max(most, ++inFlight);
              return new Promise<void>((resolve) =>
                clock.setTimer(clock.now() + ms, () => {
                  inFlight--;
                  resolve();
                }),
              );
            },
            {
              name: 'model',
              interval: INTERVAL,
              clock,
              logger: quiet,
              overlap,
              catchup: { window: windowMs, max },
              onEvent: (event) => events.push(event),
            },
          );
          // When each late due time was planned, and how many one plan ran at most.
          const plannedAt = new Map<number, number>();
          let largestPlan = 0;
          const plan = routine.lateDueTimes.bind(routine);
          routine.lateDueTimes = (from, step, late) => {
            for (const due of late.runs) plannedAt.set(due, clock.now());
            largestPlan = Math.max(largestPlan, late.runs.length);
            plan(from, step, late);
          };
          routine.start();
          for (const [kind, ms] of script) {
            if (kind === 'wait') await clock.advance(ms);
            else if (kind === 'stall') {
              clock.jump(ms);
              await clock.advance(0);
            } else {
              routine.pause();
              await clock.advance(ms);
              routine.resume();
              await clock.advance(0);
            }
          }
          const end = clock.now();
          const stopping = routine.stop();
          await clock.advance(10_000);
          await stopping;

          const count = new Map<number, number>();
          for (let due = 0; due <= end; due += INTERVAL) count.set(due, 0);
          const started = events.filter((e) => e.type === 'run-started');
          const skipped = events.filter((e) => e.type === 'run-skipped');
          for (const e of [...started, ...skipped]) {
            const due = e.outcome!.dueAt;
            expect(count.has(due)).toBe(true);
            count.set(due, count.get(due)! + 1);
          }
          expect([...count.entries()].filter(([, n]) => n !== 1)).toEqual([]);
          for (const e of skipped)
            expect(['busy', 'missed', 'stopped']).toContain(e.outcome!.reason);
          // In order, one at a time.
          const dues = started.map((e) => e.outcome!.dueAt);
          expect(dues).toEqual([...dues].sort((a, b) => a - b));
          expect(most).toBeLessThanOrEqual(1);
          // A late due time that ran was within its window when the catch-up found it; no
          // catch-up runs more than `max`.
          const info = routine.info().catchup!;
          const late = started.filter((e) => e.outcome!.catchup);
          expect(late.length).toBe(info.caughtUp);
          expect(largestPlan).toBeLessThanOrEqual(max);
          for (const e of late) {
            const due = e.outcome!.dueAt;
            expect(plannedAt.get(due)! - due).toBeLessThanOrEqual(
              Math.max(windowMs, CATCH_UP_GRACE_MS),
            );
          }
          const missedEvents = skipped.filter((e) => e.outcome!.reason === 'missed').length;
          expect(info.missed).toBe(missedEvents);
          const { counters } = routine.info();
          expect(counters.runs).toBe(started.length);
          expect(counters.skipped).toBe(skipped.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
