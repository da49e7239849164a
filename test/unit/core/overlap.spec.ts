/**
 * Overlap policies on the manual clock: what a tick that falls while a run is in flight does.
 * A handler that takes 2.5 intervals makes ticks fall on a run at known times.
 */
import {
  ManualClock,
  PeriodicRoutine,
  RoutinesConfigurationError,
  type PeriodicRoutineOptions,
  type RoutineEvent,
} from '../../../lib/core';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** A routine at 1 s whose runs take `runMs` (on the manual clock), recording starts and ends. */
function setup(options: PeriodicRoutineOptions, runMs = 2500, ignoresSignal = false) {
  const clock = new ManualClock(0);
  const events: RoutineEvent[] = [];
  const starts: Array<{ at: number; due: number }> = [];
  const ends: number[] = [];
  let inFlight = 0;
  let most = 0;
  const routine = new PeriodicRoutine(
    (signal, context) =>
      new Promise<void>((resolve, reject) => {
        inFlight++;
        most = Math.max(most, inFlight);
        starts.push({ at: clock.now(), due: context.dueAt });
        const timer = clock.setTimer(clock.now() + runMs, () => {
          inFlight--;
          ends.push(clock.now());
          resolve();
        });
        if (!ignoresSignal) {
          signal.addEventListener('abort', () => {
            clock.clearTimer(timer);
            inFlight--;
            ends.push(clock.now());
            reject(signal.reason);
          });
        }
      }),
    {
      name: 'job',
      interval: 1000,
      clock,
      logger: quiet,
      onEvent: (e) => events.push(e),
      ...options,
    },
  );
  const skipped = () =>
    events
      .filter((e) => e.type === 'run-skipped')
      .map((e) => ({
        due: e.outcome!.dueAt,
        reason: e.outcome!.reason,
        policy: e.outcome!.policy,
      }));
  return { clock, routine, events, starts, ends, skipped, most: () => most };
}

describe('overlap policies', () => {
  it("'skip' (the default): ticks during a run are skipped as busy and say so", async () => {
    const { clock, routine, starts, skipped, most } = setup({});
    routine.start();
    await clock.advance(6000);
    expect(starts.map((s) => s.at)).toEqual([0, 3000, 6000]);
    expect(skipped()).toEqual([
      { due: 1000, reason: 'busy', policy: 'skip' },
      { due: 2000, reason: 'busy', policy: 'skip' },
      { due: 4000, reason: 'busy', policy: 'skip' },
      { due: 5000, reason: 'busy', policy: 'skip' },
    ]);
    expect(most()).toBe(1);
    expect(routine.info().overlap).toBeUndefined();
    await routine.stop();
  });

  it("'buffer-one': the first tick during a run starts right after it, with its own due time; the others are skipped", async () => {
    const { clock, routine, starts, ends, skipped, events, most } = setup({
      overlap: 'buffer-one',
    });
    routine.start();
    await clock.advance(5000);
    // Run 1: 0–2500; tick 1000 waits, tick 2000 is skipped; run 2 (due 1000) 2500–5000, and so on.
    expect(starts).toEqual([
      { at: 0, due: 0 },
      { at: 2500, due: 1000 },
      { at: 5000, due: 3000 },
    ]);
    expect(starts[1].at).toBe(ends[0]); // right after: not at the next tick
    expect(skipped()).toEqual([
      { due: 2000, reason: 'busy', policy: 'buffer-one' },
      { due: 4000, reason: 'busy', policy: 'buffer-one' },
    ]);
    const buffered = events.filter(
      (e) => e.type === 'run-started' && e.outcome?.policy === 'buffer-one',
    );
    expect(buffered.map((e) => e.outcome!.dueAt)).toEqual([1000, 3000]);
    expect(most()).toBe(1);
    // At 5000 run 2 ends first, run 3 (due 3000) starts, and the tick of 5000 waits behind it.
    expect(routine.info().overlap).toEqual({
      policy: 'buffer-one',
      waiting: 1,
      buffered: 2,
      superseded: 0,
      overflowed: 2,
    });
    await clock.advance(2500);
    expect(routine.info().lastRun).toMatchObject({
      status: 'succeeded',
      dueAt: 3000,
      policy: 'buffer-one',
    });
    await routine.stop();
  });

  it("'buffer-all': every tick queues, bounded by maxBuffered, and they run one after another", async () => {
    const { clock, routine, starts, skipped, most } = setup({
      overlap: 'buffer-all',
      maxBuffered: 3,
    });
    routine.start();
    await clock.advance(10_000);
    // Ticks every second, runs of 2.5 s: the queue fills to 3, then ticks overflow.
    expect(starts.map((s) => [s.at, s.due])).toEqual([
      [0, 0],
      [2500, 1000],
      [5000, 2000],
      [7500, 3000],
      [10_000, 4000],
    ]);
    // At 5000, 7500 and 10000 a run ends before that tick falls: it starts the oldest waiting.
    expect(skipped().map((s) => s.due)).toEqual([6000, 7000, 9000]);
    expect(skipped().every((s) => s.policy === 'buffer-all' && s.reason === 'busy')).toBe(true);
    expect(routine.info().overlap).toMatchObject({ waiting: 3, buffered: 4, overflowed: 3 });
    expect(most()).toBe(1);
    // Stopping skips what waits, as stopped.
    await routine.stop();
    expect(skipped().slice(3)).toEqual([
      { due: 5000, reason: 'stopped', policy: 'buffer-all' },
      { due: 8000, reason: 'stopped', policy: 'buffer-all' },
      { due: 10_000, reason: 'stopped', policy: 'buffer-all' },
    ]);
    expect(routine.info().counters).toMatchObject({ runs: 5, skipped: 6 });
  });

  it("'cancel-other': a tick aborts the run in flight and runs once it settles; the cancelled run is cancelled, not failed", async () => {
    const { clock, routine, starts, events, most } = setup({ overlap: 'cancel-other' });
    routine.start();
    await clock.advance(2000);
    expect(starts.map((s) => [s.at, s.due])).toEqual([
      [0, 0],
      [1000, 1000],
      [2000, 2000],
    ]);
    const cancelled = events.filter((e) => e.type === 'run-cancelled');
    expect(cancelled).toHaveLength(2);
    expect(cancelled[0].outcome).toMatchObject({
      status: 'cancelled',
      dueAt: 0,
      policy: 'cancel-other',
    });
    expect((cancelled[0].outcome!.error as Error).message).toContain('superseded by a newer tick');
    expect(routine.info().counters).toMatchObject({ failures: 0, cancelled: 2 });
    expect(routine.info().overlap).toMatchObject({ superseded: 2, buffered: 2 });
    expect(most()).toBe(1);
    await routine.stop();
  });

  it("'cancel-other' with a run that ignores its signal: the new run starts after the timeout at the latest; only the newest tick waits", async () => {
    const { clock, routine, starts, skipped } = setup(
      { overlap: 'cancel-other', timeout: 600 },
      2500,
      true,
    );
    routine.start();
    await clock.advance(1000);
    expect(starts.map((s) => s.at)).toEqual([0]); // tick 1000 waits for run 1, which ignores the abort
    await clock.advance(600);
    expect(starts.map((s) => [s.at, s.due])).toEqual([
      [0, 0],
      [1600, 1000],
    ]);
    await clock.advance(400); // tick 2000 cancels run 2 (ignored too); it waits until 2600
    await clock.advance(300); // nothing yet
    expect(starts).toHaveLength(2);
    await clock.advance(300);
    expect(starts.map((s) => s.at)).toEqual([0, 1600, 2600]);
    expect(skipped()).toEqual([]);
    const stopping = routine.stop();
    await clock.advance(5000); // the runs that ignore their signal end on their own
    await stopping;
  });

  it("'allow': up to concurrency at once, ticks beyond skipped with the policy", async () => {
    const { clock, routine, starts, skipped, most } = setup({ overlap: 'allow', concurrency: 2 });
    routine.start();
    await clock.advance(4000);
    expect(starts.map((s) => s.at)).toEqual([0, 1000, 3000, 4000]);
    expect(skipped()).toEqual([{ due: 2000, reason: 'busy', policy: 'allow' }]);
    expect(most()).toBe(2);
    await routine.stop();
  });

  it('concurrency above 1 without overlap means allow, as before', async () => {
    const { clock, routine, most } = setup({ concurrency: 3 });
    routine.start();
    await clock.advance(3000);
    expect(most()).toBe(3);
    expect(routine.overlap).toBe('allow');
    await routine.stop();
  });

  describe('trigger()', () => {
    it('does not take the routine policy: a trigger while busy resolves skipped (busy), unless given an override', async () => {
      const { clock, routine, starts } = setup({ interval: '1h', overlap: 'buffer-all' }, 2500);
      routine.start();
      await clock.advance(0);
      await expect(routine.trigger()).resolves.toMatchObject({
        status: 'skipped',
        reason: 'busy',
        policy: 'skip',
      });
      const beside = routine.trigger({ overlap: 'allow' });
      await clock.flush();
      expect(starts.map((s) => s.at)).toEqual([0, 0]);
      const after = routine.trigger({ overlap: 'buffer-one' });
      await clock.advance(2500);
      await expect(beside).resolves.toMatchObject({ status: 'succeeded', policy: 'allow' });
      await clock.advance(2500);
      await expect(after).resolves.toMatchObject({ status: 'succeeded', policy: 'buffer-one' });
      await routine.stop();
    });

    it("with 'cancel-other', aborts the run in flight and resolves with its own run", async () => {
      const { clock, routine, starts, events } = setup({ interval: '1h' }, 2500);
      routine.start();
      await clock.advance(0);
      const replacing = routine.trigger({ overlap: 'cancel-other' });
      await clock.flush();
      expect(starts.map((s) => s.at)).toEqual([0, 0]);
      expect(events.find((e) => e.type === 'run-cancelled')!.outcome).toMatchObject({
        policy: 'cancel-other',
      });
      await clock.advance(2500);
      await expect(replacing).resolves.toMatchObject({
        status: 'succeeded',
        policy: 'cancel-other',
      });
      await routine.stop();
    });
  });

  describe('bad options', () => {
    const refused = (options: PeriodicRoutineOptions) => {
      try {
        new PeriodicRoutine(() => undefined, { name: 'job', interval: 1000, ...options });
      } catch (error) {
        expect(error).toBeInstanceOf(RoutinesConfigurationError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    it.each([
      [
        { overlap: 'queue' },
        "option 'overlap' = 'queue' must be 'skip', 'buffer-one', 'buffer-all', 'cancel-other' or 'allow'",
      ],
      [
        { overlap: 'buffer-all', maxBuffered: 0 },
        "option 'maxBuffered' = 0 must be a whole number, at least 1",
      ],
      [
        { overlap: 'buffer-all', maxBuffered: 2.5 },
        "option 'maxBuffered' = 2.5 must be a whole number",
      ],
      [
        { maxBuffered: 10 },
        "option 'maxBuffered' = 10 applies to overlap: 'buffer-all' only (this routine's overlap is 'skip')",
      ],
      [
        { overlap: 'buffer-one', concurrency: 2 },
        "option 'concurrency' = 2 must be 1 (left out) with overlap: 'buffer-one'",
      ],
      [
        { overlap: 'allow' },
        "option 'overlap' = 'allow' 'allow' runs several at once: give concurrency",
      ],
      [
        {
          overlap: 'cancel-other',
          scope: 'cluster',
          coordinator: {
            kind: 'custom',
            claimSlot: async () => true,
            acquireLease: async () => null,
            renewLease: async () => false,
            releaseLease: async () => undefined,
          },
        },
        "option 'overlap' = 'cancel-other' cannot hold across replicas: the 'custom' coordinator has no run markers",
      ],
      [{ lease: { ttl: '5s' } }, 'option \'lease\' = {"ttl":"5s"} applies to cluster scope only'],
    ])('%j', (options, message) => {
      expect(refused(options as PeriodicRoutineOptions)).toContain(message);
      expect(refused(options as PeriodicRoutineOptions)).toContain("PeriodicRoutine 'job'");
    });
  });
});
