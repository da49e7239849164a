/**
 * The core hooks an operator's console needs: a trigger tells its run's id as the run starts
 * (so an HTTP call may answer before the run ends), `cancelRuns()` aborts the runs in flight
 * as `cancelled`, and a backfill tells how many due times it will run before it runs them.
 */
import {
  ManualClock,
  PeriodicRoutine,
  RoutineCancelledError,
  flushPromises,
} from '../../../lib/core';
import { deferred, recordingLogger } from './helpers';

/** A routine at 1 min whose runs wait for `release` (or for their signal). */
function setup() {
  const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
  const release = deferred();
  const ids: number[] = [];
  const routine = new PeriodicRoutine(
    (signal, context) =>
      new Promise<void>((resolve, reject) => {
        ids.push(context.runId);
        void release.promise.then(resolve);
        signal.addEventListener('abort', () => reject(signal.reason));
      }),
    { name: 'job', interval: '1m', clock, logger: recordingLogger() },
  );
  return { clock, routine, release, ids };
}

describe('PeriodicRoutine.trigger({ started })', () => {
  it('tells the run id at once, the id the run context and its outcome have', async () => {
    const { routine, release, ids } = setup();
    routine.start();
    const started = jest.fn();
    const outcome = routine.trigger({ started });
    expect(started).toHaveBeenCalledTimes(1);
    expect(started).toHaveBeenCalledWith(ids[0]);
    release.resolve();
    expect(await outcome).toMatchObject({ status: 'succeeded', runId: ids[0] });
    await routine.stop();
  });

  it('is not called for a trigger skipped as busy', async () => {
    const { routine, release } = setup();
    routine.start();
    void routine.trigger();
    const started = jest.fn();
    expect(await routine.trigger({ started })).toMatchObject({ status: 'skipped', reason: 'busy' });
    expect(started).not.toHaveBeenCalled();
    release.resolve();
    await routine.stop();
  });

  it('tells a buffered trigger its id once its run starts, after the run in flight', async () => {
    const { routine, release, ids } = setup();
    routine.start();
    const first = routine.trigger();
    const started = jest.fn();
    const buffered = routine.trigger({ overlap: 'buffer-one', started });
    expect(started).not.toHaveBeenCalled();
    release.resolve();
    await first;
    await flushPromises();
    expect(ids).toHaveLength(2);
    expect(started).toHaveBeenCalledWith(ids[1]);
    expect(await buffered).toMatchObject({ status: 'succeeded', runId: ids[1] });
    await routine.stop();
  });

  it('logs a started callback that throws; the run and the trigger go on', async () => {
    const { routine, release } = setup();
    routine.start();
    const outcome = routine.trigger({
      started: () => {
        throw new Error('boom');
      },
    });
    release.resolve();
    expect(await outcome).toMatchObject({ status: 'succeeded' });
    await routine.stop();
  });
});

describe('PeriodicRoutine.cancelRuns()', () => {
  it('aborts the runs in flight, which end cancelled, and the schedule goes on', async () => {
    const { routine } = setup();
    routine.start();
    const outcome = routine.trigger();
    expect(routine.cancelRuns()).toBe(1);
    const ended = await outcome;
    expect(ended.status).toBe('cancelled');
    expect(routine.info().state).toBe('running');
    expect(routine.info().counters).toMatchObject({ failures: 0, cancelled: 1 });
    await routine.stop();
  });

  it('says 0 with no run in flight', async () => {
    const { routine } = setup();
    routine.start();
    expect(routine.cancelRuns()).toBe(0);
    await routine.stop();
  });

  it('aborts with a RoutineCancelledError naming the routine', async () => {
    const { routine } = setup();
    routine.start();
    let reason: unknown;
    const other = new PeriodicRoutine(
      (signal) =>
        new Promise<void>((_, reject) =>
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            reject(signal.reason);
          }),
        ),
      { name: 'other', interval: '1m', logger: recordingLogger() },
    );
    other.start();
    const outcome = other.trigger();
    other.cancelRuns();
    await outcome;
    expect(reason).toBeInstanceOf(RoutineCancelledError);
    expect((reason as Error).message).toContain("'other'");
    await other.stop();
    await routine.stop();
  });
});

describe('PeriodicRoutine.backfill({ planned })', () => {
  it('tells the number of due times before the first run', async () => {
    const { routine, clock, release } = setup();
    release.resolve();
    routine.start();
    const planned = jest.fn();
    const from = clock.wallNow() - 10 * 60_000;
    const report = routine.backfill({ from, to: from + 2 * 60_000, planned });
    expect(planned).toHaveBeenCalledWith(3);
    expect((await report).dueTimes).toBe(3);
    await routine.stop();
  });
});
