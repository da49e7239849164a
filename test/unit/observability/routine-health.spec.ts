import { ManualClock, PeriodicRoutine, SupervisedRoutine } from '../../../lib/core';
import {
  healthOf,
  lateness,
  RunHistory,
  runStats,
  type HealthInputs,
} from '../../../lib/observability';
import { sleep } from '../core/helpers';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;
const logger = { log() {}, warn() {}, error() {} };

describe('lateness: the exact rule', () => {
  const base: HealthInputs = {
    now: 0,
    state: 'running',
    kind: 'periodic',
    inFlight: 0,
    intervalMs: 60_000,
    startedAt: 0,
    lastSeenAt: 0,
    longestRunMs: 1_000,
    consecutiveFailures: 0,
  };

  it('interval: late once interval + longest kept run + 5 s have passed since the last run started', () => {
    expect(lateness({ ...base, now: 66_000 })).toBe(false); // exactly at the threshold
    expect(lateness({ ...base, now: 66_001 })).toBe(true);
    expect(lateness({ ...base, now: 66_001, lastSeenAt: 1 })).toBe(false);
    expect(lateness({ ...base, now: 66_001, lastSeenAt: undefined })).toBe(true); // from the start
  });

  it('is never late while paused, disabled, stopped, running a run, or for a background routine', () => {
    const late = { ...base, now: 10 * HOUR };
    expect(lateness(late)).toBe(true);
    for (const state of ['paused', 'idle', 'disabled', 'stopped', 'stopping'] as const) {
      expect(lateness({ ...late, state })).toBe(false);
    }
    expect(lateness({ ...late, inFlight: 1 })).toBe(false);
    expect(lateness({ ...late, kind: 'background' })).toBe(false);
    expect(lateness({ ...late, startedAt: undefined })).toBe(false);
  });

  it('cron: late once the last cron time passed longest kept run + 5 s ago with nothing seen since', () => {
    const cron = { ...base, intervalMs: undefined, lastDueAt: HOUR, longestRunMs: 0 };
    expect(lateness({ ...cron, now: HOUR + 5_000 })).toBe(false);
    expect(lateness({ ...cron, now: HOUR + 5_001 })).toBe(true);
    expect(lateness({ ...cron, now: HOUR + 5_001, lastSeenAt: HOUR })).toBe(false);
    // No cron time has passed since the routine started: nothing was due yet.
    expect(lateness({ ...cron, now: HOUR + 5_001, startedAt: HOUR + 1 })).toBe(false);
    expect(lateness({ ...cron, now: 30 * HOUR, lastDueAt: undefined })).toBe(false);
  });
});

describe('healthOf a routine', () => {
  it('an interval routine that stops starting runs (backoff) becomes late; it is not late while paused', async () => {
    const clock = new ManualClock(T0);
    const history = new RunHistory(100);
    const routine = new PeriodicRoutine(
      () => {
        throw new Error('db down');
      },
      {
        name: 'r',
        interval: '1s',
        backoff: { initialDelay: '1m' },
        clock,
        recorder: history,
        logger,
      },
    );
    const health = () =>
      healthOf(routine, routine.info(), runStats(history.records(clock)).durationMs?.max, clock);
    routine.start();
    await clock.advance(0);
    expect(health()).toEqual({ late: false, slow: false, consecutiveFailures: 1 });
    await clock.advance(6_000); // interval 1 s + longest run 0 + 5 s: exactly at the threshold
    expect(health().late).toBe(false);
    await clock.advance(1);
    expect(health().late).toBe(true);
    routine.pause();
    expect(health().late).toBe(false);
    await routine.stop();
    expect(health().late).toBe(false);
  });

  it('slow: the last run took more than 70% of the interval', async () => {
    const clock = new ManualClock(T0);
    let runMs = 42_000;
    const routine = new PeriodicRoutine(() => sleep(clock, runMs), {
      name: 'r',
      interval: '1m',
      clock,
    });
    routine.start();
    await clock.advance(42_000);
    expect(healthOf(routine, routine.info(), undefined, clock).slow).toBe(false); // exactly 70%
    runMs = 42_001;
    await clock.advance(60_001); // the second run, from 1 min to 1 min 42.001 s
    expect(healthOf(routine, routine.info(), undefined, clock).slow).toBe(true);
    const stopping = routine.stop();
    await clock.advance(60_000);
    await stopping;
  });

  it('cron: late when a cron time passed and no run started since', async () => {
    const clock = new ManualClock(T0 + 60_000); // 12:01
    const history = new RunHistory(100);
    const routine = new PeriodicRoutine(
      () => {
        throw new Error('down');
      },
      {
        logger,
        name: 'hourly',
        interval: { cron: '0 * * * *' },
        backoff: { initialDelay: '3h', maxDelay: '3h' },
        clock,
        recorder: history,
      },
    );
    const health = () =>
      healthOf(routine, routine.info(), runStats(history.records(clock)).durationMs?.max, clock);
    routine.start();
    await clock.advance(HOUR - 60_000); // 13:00 runs and fails
    expect(health()).toMatchObject({ late: false, consecutiveFailures: 1 });
    await clock.advance(HOUR + 5_000); // 14:00 skipped (backoff); 5 s later: at the threshold
    expect(health().late).toBe(false);
    await clock.advance(1);
    expect(health().late).toBe(true);
    await routine.stop();
  });

  describe('after setInterval, late is judged from the new schedule, counted from the change', () => {
    const MINUTE = 60_000;
    // Runs at 12:10 and 12:20 on '10m'; the change comes at 12:25. Once `failing`, a run
    // fails and the backoff (3 h) skips the due times after it.
    async function retimedAt1225(interval: string | { cron: string }) {
      const clock = new ManualClock(T0); // 12:00
      const history = new RunHistory(100);
      const state = { failing: false };
      const routine = new PeriodicRoutine(
        () => {
          if (state.failing) throw new Error('down');
        },
        {
          name: 'retimed',
          interval: '10m',
          backoff: { initialDelay: '3h', maxDelay: '3h' },
          clock,
          recorder: history,
          logger,
        },
      );
      const health = () =>
        healthOf(routine, routine.info(), runStats(history.records(clock)).durationMs?.max, clock);
      routine.start();
      await clock.advance(25 * MINUTE);
      routine.setInterval(interval);
      return { clock, routine, health, state };
    }

    it('cron: a time of the new cron before the change is no missed run; one after it is', async () => {
      // 12:22, the new cron's latest time, is after the last run (12:20): late at once before the fix.
      const { clock, routine, health, state } = await retimedAt1225({ cron: '22 * * * *' });
      expect(health().late).toBe(false);
      await clock.advance(30 * MINUTE); // 12:55: no time of the new cron has passed yet
      expect(health().late).toBe(false);
      state.failing = true;
      await clock.advance(27 * MINUTE); // 13:22 runs (and fails): seen
      expect(health()).toMatchObject({ late: false, consecutiveFailures: 1 });
      await clock.advance(HOUR + 5_001); // 14:22 skipped by the backoff, 5 s ago and more
      expect(health().late).toBe(true);
      await routine.stop();
    });

    it('interval: the new, shorter interval counts from the change, not from the last run', async () => {
      // The last run (12:20) is 5 min before the change, more than the new 1 min + 5 s.
      const { clock, routine, health, state } = await retimedAt1225('1m');
      expect(health().late).toBe(false);
      state.failing = true;
      await clock.advance(MINUTE); // 12:26 runs (and fails) on the new interval
      expect(health()).toMatchObject({ late: false, consecutiveFailures: 1 });
      await clock.advance(MINUTE + 5_001); // 12:27 skipped; 1 min + 5 s since 12:26 passed
      expect(health().late).toBe(true);
      await routine.stop();
    });
  });

  it('cron: resumed after a pause over its cron times, it is not late for the times it slept through', async () => {
    const clock = new ManualClock(T0 + 60_000); // 12:01
    const routine = new PeriodicRoutine(() => undefined, {
      logger,
      name: 'hourly',
      interval: { cron: '0 * * * *' },
      clock,
    });
    routine.start();
    await clock.advance(HOUR); // 13:00 ran
    routine.pause();
    await clock.advance(2 * HOUR + 30 * 60_000); // 14:00 and 15:00 fell while paused
    routine.resume(); // 15:31: the next tick is 16:00; the paused ones are not missed
    expect(healthOf(routine, routine.info(), undefined, clock).late).toBe(false);
    await routine.stop();
  });

  it('a background routine is never late or slow; it counts failures in a row', async () => {
    const clock = new ManualClock(T0);
    const routine = new SupervisedRoutine(
      () => {
        throw new Error('no broker');
      },
      { name: 'w', clock, restart: false, logger },
    );
    routine.start();
    await clock.advance(0);
    expect(healthOf(routine, routine.info(), undefined, clock)).toEqual({
      late: false,
      slow: false,
      consecutiveFailures: 1,
    });
    await routine.stop();
  });
});
