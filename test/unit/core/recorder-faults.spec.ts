/** A run recorder that throws never affects the routine: logged once, on the manual clock. */
import {
  ManualClock,
  PeriodicRoutine,
  SupervisedRoutine,
  type PeriodicRoutineOptions,
  type RunRecorder,
} from '../../../lib/core';
import { recordingLogger, watchUnhandledRejections } from './helpers';

function throwingRecorder(): RunRecorder & { calls: number } {
  const recorder = {
    calls: 0,
    ran() {
      recorder.calls++;
      throw new Error('history store is down');
    },
    skipped() {
      recorder.calls++;
      throw new Error('history store is down');
    },
    restartScheduled() {
      recorder.calls++;
      throw new Error('history store is down');
    },
  };
  return recorder;
}

describe('a run recorder that throws', () => {
  it.each<[string, Partial<PeriodicRoutineOptions>]>([
    ['an interval function', { interval: () => 50 }],
    ['a fixed interval', { interval: 50 }],
    ['a cron on the wall clock', { interval: { cron: '* * * * * *', timeZone: 'UTC' } }],
  ])(
    'with %s: the routine keeps ticking, nothing is unhandled, the failure is logged once',
    async (_label, options) => {
      const unhandled = watchUnhandledRejections();
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const logger = recordingLogger();
      const recorder = throwingRecorder();
      let runs = 0;
      const routine = new PeriodicRoutine(
        () => {
          runs++;
        },
        { name: 'recorded', clock, logger, recorder, ...options } as PeriodicRoutineOptions,
      );
      routine.start();
      const step = typeof options.interval === 'object' ? 1000 : 50;
      for (let i = 0; i < 12; i++) await clock.advance(step);
      await routine.stop();
      await unhandled.stop();
      expect(unhandled.reasons).toEqual([]);
      expect(runs).toBeGreaterThanOrEqual(11);
      expect(routine.info().counters.succeeded).toBe(runs);
      expect(recorder.calls).toBeGreaterThanOrEqual(runs);
      const complaints = [...logger.messages('warn'), ...logger.messages('error')].filter((m) =>
        /recorder/i.test(m),
      );
      expect(complaints).toHaveLength(1);
    },
  );

  it('a skipped tick with a throwing recorder is still counted, and the routine goes on', async () => {
    const unhandled = watchUnhandledRejections();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const logger = recordingLogger();
    let release!: () => void;
    const routine = new PeriodicRoutine(() => new Promise<void>((resolve) => (release = resolve)), {
      name: 'busy',
      clock,
      logger,
      recorder: throwingRecorder(),
      interval: 50,
    });
    routine.start();
    await clock.advance(50); // first run starts and stays busy
    await clock.advance(50); // skipped
    await clock.advance(50); // skipped
    release();
    await clock.advance(50);
    await clock.advance(50);
    const counters = routine.info().counters;
    expect(counters.skipped).toBeGreaterThanOrEqual(2);
    expect(counters.runs).toBeGreaterThanOrEqual(2);
    release();
    await routine.stop();
    await unhandled.stop();
    expect(unhandled.reasons).toEqual([]);
  });

  it('a background routine whose recorder throws is still restarted under its policy', async () => {
    const unhandled = watchUnhandledRejections();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const logger = recordingLogger();
    let attempts = 0;
    const routine = new SupervisedRoutine(
      {
        start: async () => {
          attempts++;
          throw new Error('boom');
        },
      },
      {
        name: 'bg',
        clock,
        logger,
        recorder: throwingRecorder(),
        restart: { initialDelay: '100ms', maxDelay: '100ms', maxRestarts: 100 },
      },
    );
    routine.start();
    for (let i = 0; i < 10; i++) await clock.advance(100);
    await routine.stop();
    await unhandled.stop();
    expect(unhandled.reasons).toEqual([]);
    expect(attempts).toBeGreaterThanOrEqual(4);
    const complaints = [...logger.messages('warn'), ...logger.messages('error')].filter((m) =>
      /recorder/i.test(m),
    );
    expect(complaints).toHaveLength(1);
  });
});
