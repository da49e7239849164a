import {
  InMemoryCoordinator,
  ManualClock,
  PeriodicRoutine,
  RoutinesConfigurationError,
  SupervisedRoutine,
  SystemClock,
  type Coordinator,
  type RoutineContext,
} from '../../../lib/core';
import { CronTime } from 'cron';
import { nextCronTime, previousCronTime } from '../../../lib/core/cron';
import { deferred, eventRecorder, recordingLogger, type Deferred } from './helpers';

/**
 * The core's side of the fault guarantees (issue 7): time, deadlines, hand-backs and
 * completion, each on the manual clock; the engines' side is in test/integration.
 */

/** An in-memory coordinator whose claims can be held, so a test decides when each answers. */
function heldClaims(clock: ManualClock) {
  const inner = new InMemoryCoordinator(clock);
  const pending: Array<{ slot: number; answer: Deferred<boolean> }> = [];
  const released: number[] = [];
  /** While set, hand-backs wait for it. */
  let releaseGate: Promise<void> | undefined;
  let hold = false;
  const coordinator: Coordinator = {
    kind: 'held',
    claimSlot(routine, slot, ttl) {
      if (!hold) return inner.claimSlot(routine, slot, ttl);
      const answer = deferred<boolean>();
      pending.push({ slot, answer });
      return answer.promise;
    },
    async releaseSlot(routine, slot) {
      released.push(slot);
      await releaseGate;
      return inner.releaseSlot(routine, slot);
    },
    acquireLease: (routine, ttl, options) => inner.acquireLease(routine, ttl, options),
    renewLease: (lease, ttl) => inner.renewLease(lease, ttl),
    releaseLease: (lease) => inner.releaseLease(lease),
  };
  return {
    coordinator,
    pending,
    released,
    hold(value: boolean) {
      hold = value;
    },
    slowReleases(gate: Promise<void>) {
      releaseGate = gate;
    },
  };
}

describe('a stepped wall clock', () => {
  it('does not stall an instance routine when the wall clock steps back 5 s', async () => {
    const clock = new ManualClock(1_000_000);
    const runs: number[] = [];
    const routine = new PeriodicRoutine(() => void runs.push(clock.now()), {
      interval: 100,
      clock,
      logger: recordingLogger(),
    });
    routine.start();
    await clock.advance(250);
    clock.stepWall(-5_000);
    await clock.advance(300);
    expect(runs.map((at) => at - 1_000_000)).toEqual([0, 100, 200, 300, 400, 500]);
    clock.stepWall(+60_000);
    await clock.advance(200);
    expect(runs).toHaveLength(8); // no burst, no skip: the step is invisible to an interval
    expect(routine.info().counters.skipped).toBe(0);
    await routine.stop();
  });

  it('reports wall times (as Date.now() reads them) while it measures durations on the monotonic clock', async () => {
    const clock = new ManualClock(1_000);
    const routine = new PeriodicRoutine(
      () => new Promise<void>((resolve) => clock.setTimer(clock.now() + 200, resolve)),
      { interval: '1m', clock, logger: recordingLogger() },
    );
    routine.start();
    await clock.advance(100);
    clock.stepWall(+30_000); // NTP corrects the wall clock in the middle of the run
    await clock.advance(100);
    const last = routine.info().lastRun!;
    expect(last.durationMs).toBe(200); // not 30 200
    expect(last.finishedAt).toBe(1_200 + 30_000); // as the wall clock reads it now
    expect(last.startedAt).toBe(1_000 + 30_000);
    expect(routine.info().nextRunAt).toBe(61_000 + 30_000);
    await routine.stop();
  });

  it('keeps the real clock monotonic: Date.now() stepping back does not move SystemClock.now() or its timers', async () => {
    const clock = new SystemClock();
    const realNow = Date.now.bind(Date);
    const before = clock.now();
    const step = jest.spyOn(Date, 'now').mockImplementation(() => realNow() - 5_000);
    try {
      expect(clock.now()).toBeGreaterThanOrEqual(before);
      // Bracketed by the two readings around it, not within 50 ms of one: exact at any load.
      const low = realNow() - 5_000;
      const wall = clock.wallNow();
      expect(wall).toBeGreaterThanOrEqual(low);
      expect(wall).toBeLessThanOrEqual(realNow() - 5_000);
      const runs: number[] = [];
      const routine = new PeriodicRoutine(() => void runs.push(1), {
        interval: 20,
        clock,
        logger: recordingLogger(),
      });
      routine.start();
      // Three runs take 40 ms on a quiet machine; a schedule on the wall clock would wait out
      // the 5 s step after the first. Waited for up to 3 s (real time, this clock being the
      // real one): a loaded machine delays timers by tens of milliseconds, not by seconds,
      // and 3 s is still short of the step, so the wall-clock schedule still fails here.
      const deadline = realNow() + 3_000;
      while (runs.length < 3 && realNow() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await routine.stop();
      expect(runs.length).toBeGreaterThanOrEqual(3);
    } finally {
      step.mockRestore();
    }
  });

  it('keeps a cluster routine on the wall-clock grid: a step back waits for the wall, a step forward counts late slots', async () => {
    const clock = new ManualClock(10_000);
    const recorder = eventRecorder();
    const routine = new PeriodicRoutine(() => undefined, {
      interval: 1000,
      scope: 'cluster',
      clock,
      logger: recordingLogger(),
      onEvent: recorder.onEvent,
    });
    const ran = () => recorder.ofType('run-started').map((event) => event.outcome?.dueAt);
    routine.start();
    await clock.advance(1000);
    expect(ran()).toEqual([11_000]);
    clock.stepWall(-2_000); // the wall reads 9 000: slot 12 000 is 3 s away on the wall
    await clock.advance(2_999);
    expect(ran()).toEqual([11_000]);
    await clock.advance(1);
    expect(ran()).toEqual([11_000, 12_000]);
    clock.stepWall(+3_500); // the wall jumps from 12 000 to 15 500
    await clock.advance(1000); // the timer armed for slot 13 000 fires with the wall at 16 500
    expect(ran()).toEqual([11_000, 12_000, 16_000]);
    expect(
      recorder.ofType('run-skipped').map((event) => [event.outcome?.dueAt, event.outcome?.reason]),
    ).toEqual([
      [13_000, 'late'],
      [14_000, 'late'],
      [15_000, 'late'],
    ]);
    await routine.stop();
  });

  it('arms a run timeout and a lease deadline on the monotonic clock, whatever the wall does', async () => {
    const clock = new ManualClock(50_000);
    const aborted: number[] = [];
    const routine = new PeriodicRoutine(
      (signal: AbortSignal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => (aborted.push(clock.now()), resolve())),
        ),
      { interval: '1m', timeout: 500, clock, logger: recordingLogger() },
    );
    routine.start();
    clock.stepWall(+10_000);
    await clock.advance(499);
    expect(aborted).toEqual([]);
    clock.stepWall(-20_000);
    await clock.advance(1);
    expect(aborted).toEqual([50_500]);
    await routine.stop();

    // A renewal across a step: the holder's deadline stays two thirds of a ttl after the last
    // successful renewal on the monotonic clock, so it cannot outlive the server-side expiry.
    const coordinator = new InMemoryCoordinator(clock);
    const contexts: RoutineContext[] = [];
    const holder = new SupervisedRoutine(
      (signal: AbortSignal, context: RoutineContext) => {
        contexts.push(context);
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
      {
        name: 'holder',
        scope: 'cluster',
        lease: { ttl: 3000, renewEvery: 1000 },
        clock,
        coordinator: {
          ...coordinator,
          kind: 'stuck-renewals',
          claimSlot: coordinator.claimSlot.bind(coordinator),
          acquireLease: coordinator.acquireLease.bind(coordinator),
          renewLease: () => new Promise(() => undefined), // renewals hang
          releaseLease: coordinator.releaseLease.bind(coordinator),
        },
        logger: recordingLogger(),
      },
    );
    holder.start();
    await clock.advance(0);
    const acquiredAt = clock.now();
    expect(holder.state).toBe('running');
    clock.stepWall(-60_000);
    await clock.advance(1999);
    expect(holder.state).toBe('running');
    await clock.advance(1);
    expect(holder.state).toBe('standby');
    expect(clock.now() - acquiredAt).toBe(2000);
    await holder.stop();
  });
});

/**
 * Counts the cron package's "first time after t" lookups, the unit of work a catch-up makes:
 * every cron time the library computes goes through `CronTime.getNextDateFrom`.
 */
function countCronLookups(): { count(): number; restore(): void } {
  const spy = jest.spyOn(CronTime.prototype, 'getNextDateFrom');
  return { count: () => spy.mock.calls.length, restore: () => spy.mockRestore() };
}

describe('cron catch-up', () => {
  it('resumes a per-second cron paused for a week at once, without stepping through 600 000 times', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const runs: number[] = [];
    const routine = new PeriodicRoutine(() => void runs.push(clock.wallNow()), {
      interval: { cron: '* * * * * *' },
      clock,
      logger: recordingLogger(),
    });
    routine.start();
    await clock.advance(2000);
    routine.pause();
    clock.jump(7 * 24 * 3600_000);
    const lookups = countCronLookups();
    try {
      routine.resume();
      // Counted, not timed: how long resume() blocks is the number of "next cron time"
      // lookups it makes (each 0.1 to 0.5 ms), and a time limit also failed on a loaded
      // machine. Stepping through the week would be 604 800 of them; a search makes a few dozen at most.
      expect(lookups.count()).toBeLessThan(100);
    } finally {
      lookups.restore();
    }
    await clock.advance(1000);
    expect(runs.at(-1)).toBe(Date.UTC(2026, 0, 8) + 3000);
    await routine.stop();
  });

  it('after a week-long suspend, runs the latest cron time and counts the missed ones without blocking', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const recorder = eventRecorder();
    const runs: number[] = [];
    const routine = new PeriodicRoutine(() => void runs.push(clock.wallNow()), {
      interval: { cron: '* * * * * *' },
      clock,
      logger: recordingLogger(),
      onEvent: recorder.onEvent,
    });
    routine.start();
    await clock.advance(1000);
    clock.jump(7 * 24 * 3600_000 + 500); // the timer fires a week late, as after a VM suspend
    const lookups = countCronLookups();
    try {
      await clock.advance(0);
      // Counted, not timed, as above: a few dozen lookups, not one per missed second.
      expect(lookups.count()).toBeLessThan(100);
    } finally {
      lookups.restore();
    }
    expect(runs.at(-1)).toBe(Date.UTC(2026, 0, 8) + 1500); // the run of 00:00:01, started on waking
    const skipped = routine.info().counters.skipped;
    expect(skipped).toBeGreaterThan(604_700);
    expect(skipped).toBeLessThan(604_900);
    expect(recorder.ofType('run-skipped')).toHaveLength(8); // events for the first few only
    await routine.stop();
  });
});

describe('claims with a deadline', () => {
  const options = (clock: ManualClock, coordinator: Coordinator) => ({
    name: 'report',
    interval: 1000,
    scope: 'cluster' as const,
    clock,
    coordinator,
    logger: recordingLogger(),
  });

  it('skips a slot whose claim hangs past half the interval (claim-error), and hands the slot back if the claim wins later', async () => {
    const clock = new ManualClock(0);
    const engine = heldClaims(clock);
    const recorder = eventRecorder();
    const runs: number[] = [];
    const routine = new PeriodicRoutine(() => void runs.push(clock.wallNow()), {
      ...options(clock, engine.coordinator),
      onEvent: recorder.onEvent,
    });
    routine.start();
    engine.hold(true);
    await clock.advance(1499);
    expect(routine.info().counters.skipped).toBe(0);
    await clock.advance(1);
    expect(recorder.ofType('run-skipped').map((e) => e.outcome?.reason)).toEqual(['claim-error']);
    engine.pending[0].answer.resolve(true); // the engine answers at last: won
    await clock.flush();
    expect(runs).toEqual([]);
    expect(engine.released).toEqual([1000]);
    expect(routine.info().inFlight).toBe(0);
    await routine.stop();
  });

  it('hands back a slot won after shutdown began, and stop() waits for the hand-back', async () => {
    const clock = new ManualClock(0);
    const engine = heldClaims(clock);
    const runs: number[] = [];
    const routine = new PeriodicRoutine(
      () => void runs.push(clock.wallNow()),
      options(clock, engine.coordinator),
    );
    routine.start();
    engine.hold(true);
    await clock.advance(1000);
    let stopped = false;
    const stopping = routine.stop().then(() => (stopped = true));
    await clock.flush();
    expect(stopped).toBe(false); // the claim is still in flight
    const release = deferred();
    engine.slowReleases(release.promise);
    engine.pending[0].answer.resolve(true);
    await clock.flush();
    expect(engine.released).toEqual([1000]);
    expect(stopped).toBe(false); // the hand-back is still in flight: another replica needs it
    release.resolve();
    await stopping;
    expect(runs).toEqual([]);
  });

  it('lets a replica that lost the claim run the slot the stopping winner handed back', async () => {
    const clock = new ManualClock(0);
    const engine = heldClaims(clock);
    const runs: Array<[string, number]> = [];
    const replica = (id: string) =>
      new PeriodicRoutine(
        () => void runs.push([id, clock.wallNow()]),
        options(clock, engine.coordinator),
      );
    const [a, b] = [replica('a'), replica('b')];
    a.start();
    b.start();
    engine.hold(true);
    await clock.advance(1000);
    const stopping = a.stop(); // SIGTERM lands on a while both claims are in flight
    engine.hold(false);
    engine.pending[0].answer.resolve(true); // a won...
    engine.pending[1].answer.resolve(false); // ...b lost
    await stopping;
    expect(engine.released).toEqual([1000]);
    await clock.advance(125); // b looks again a quarter of the claim window (500 ms) later
    expect(runs).toEqual([['b', 1125]]);
    await clock.advance(875);
    expect(runs).toEqual([
      ['b', 1125],
      ['b', 2000],
    ]);
    await b.stop();
  });

  it('skips a slot whose won claim comes back after the claim window as late, and hands it back', async () => {
    const clock = new ManualClock(0);
    const engine = heldClaims(clock);
    const recorder = eventRecorder();
    const routine = new PeriodicRoutine(() => undefined, {
      ...options(clock, engine.coordinator),
      interval: 60_000,
      onEvent: recorder.onEvent,
    });
    routine.start();
    engine.hold(true);
    await clock.advance(60_000);
    clock.jump(11_000); // the event loop is blocked while the claim is in flight
    engine.pending[0].answer.resolve(true);
    await clock.advance(2_000); // past 10 s (the window, capped) from the due time
    expect(recorder.ofType('run-started')).toEqual([]);
    expect(recorder.ofType('run-skipped').map((e) => e.outcome?.reason)).toEqual(['late']);
    expect(routine.info().counters.runs).toBe(0);
    expect(engine.released).toEqual([60_000]);
    await routine.stop();
  });
});

describe('leases', () => {
  it('refuses a lease ttl too short to renew, naming the minimum', () => {
    expect(
      () =>
        new SupervisedRoutine(() => undefined, {
          name: 'tiny',
          scope: 'cluster',
          lease: { ttl: 1 },
        }),
    ).toThrow(RoutinesConfigurationError);
    expect(
      () => new SupervisedRoutine(() => undefined, { scope: 'cluster', lease: { ttl: '999ms' } }),
    ).toThrow(/lease\.ttl.*must be at least 1s/);
  });

  it('tells a handler synchronously that its lease is no longer certain after a pause past its deadline', async () => {
    const clock = new ManualClock(0);
    let context: RoutineContext | undefined;
    const holder = new SupervisedRoutine(
      (signal: AbortSignal, ctx: RoutineContext) => {
        context = ctx;
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
      {
        name: 'writer',
        scope: 'cluster',
        lease: { ttl: 3000, renewEvery: 1000 },
        clock,
        coordinator: new InMemoryCoordinator(clock),
        logger: recordingLogger(),
      },
    );
    holder.start();
    await clock.advance(0);
    expect(context?.holdsLease()).toBe(true);
    await clock.advance(5000); // renewals keep it
    expect(context?.holdsLease()).toBe(true);
    // SIGSTOP for 10 s: time moves, no timer has run yet when the handler's code runs again.
    clock.jump(10_000);
    expect(context?.holdsLease()).toBe(false);
    expect(holder.state).toBe('running'); // the library's own timer has not fired yet
    await holder.stop();
  });

  it('stops waiting for an acquire that hangs, and hands back a lease that arrives after its deadline', async () => {
    const clock = new ManualClock(0);
    const inner = new InMemoryCoordinator(clock);
    const answers: Array<Deferred<unknown>> = [];
    const released: string[] = [];
    const coordinator: Coordinator = {
      kind: 'slow',
      claimSlot: inner.claimSlot.bind(inner),
      acquireLease: (routine, ttl) => {
        const answer = deferred<unknown>();
        answers.push(answer);
        return answer.promise as never;
        void routine;
        void ttl;
      },
      renewLease: inner.renewLease.bind(inner),
      releaseLease: async (lease) => void released.push(lease.token),
    };
    const logger = recordingLogger();
    const routine = new SupervisedRoutine(() => new Promise(() => undefined), {
      name: 'slow',
      scope: 'cluster',
      lease: { ttl: 3000, retryEvery: 1000 },
      clock,
      coordinator,
      logger,
    });
    routine.start();
    await clock.advance(1999);
    expect(answers).toHaveLength(1);
    await clock.advance(1); // the renew deadline (2 s): give up on it, retry a second later
    expect(logger.messages('warn')[0]).toContain('lease acquire did not answer within 2000 ms');
    await clock.advance(1000);
    expect(answers).toHaveLength(2);
    answers[0].resolve({ routine: 'slow', token: 'late', epoch: 7 });
    await clock.flush();
    expect(released).toEqual(['late']);
    expect(routine.state).toBe('standby');
    routine.abandon();
  });
});

describe('a cluster routine that completes', () => {
  function replicas(
    clock: ManualClock,
    coordinator: Coordinator,
    version: string | undefined,
    count = 3,
  ) {
    const runs: string[] = [];
    const routines = Array.from(
      { length: count },
      (_, i) =>
        new SupervisedRoutine(async () => void runs.push(`replica ${i}`), {
          name: 'seed-data',
          scope: 'cluster',
          lease: { ttl: 3000, retryEvery: 500 },
          clock,
          coordinator,
          version,
          logger: recordingLogger(),
        }),
    );
    return { runs, routines };
  }

  it('runs once across the replicas: standbys see the completion and complete without running', async () => {
    const clock = new ManualClock(0);
    const coordinator = new InMemoryCoordinator(clock);
    const { runs, routines } = replicas(clock, coordinator, 'v1');
    for (const routine of routines) routine.start();
    await clock.advance(5000);
    expect(runs).toHaveLength(1);
    expect(routines.map((routine) => routine.state)).toEqual([
      'completed',
      'completed',
      'completed',
    ]);
    await Promise.all(routines.map((routine) => routine.stop()));

    // A restart of the fleet under the same version: still completed, nothing runs.
    const again = replicas(clock, coordinator, 'v1');
    for (const routine of again.routines) routine.start();
    await clock.advance(5000);
    expect(again.runs).toEqual([]);
    expect(again.routines.every((routine) => routine.state === 'completed')).toBe(true);
    await Promise.all(again.routines.map((routine) => routine.stop()));

    // A new deploy: runs once more.
    const next = replicas(clock, coordinator, 'v2');
    for (const routine of next.routines) routine.start();
    await clock.advance(5000);
    expect(next.runs).toHaveLength(1);
    await Promise.all(next.routines.map((routine) => routine.stop()));

    // An explicit reset: runs once more under the same version.
    await coordinator.resetCompletion('seed-data');
    const reset = replicas(clock, coordinator, 'v2');
    for (const routine of reset.routines) routine.start();
    await clock.advance(5000);
    expect(reset.runs).toHaveLength(1);
    await Promise.all(reset.routines.map((routine) => routine.stop()));
  });

  it('runs again on another replica when the one running it dies before it completes', async () => {
    const clock = new ManualClock(0);
    const coordinator = new InMemoryCoordinator(clock);
    const runs: string[] = [];
    const make = (id: string, work: () => Promise<void>) =>
      new SupervisedRoutine(
        async () => {
          runs.push(id);
          await work();
        },
        {
          name: 'migrate',
          scope: 'cluster',
          lease: { ttl: 3000, retryEvery: 500 },
          clock,
          coordinator,
          logger: recordingLogger(),
        },
      );
    const dying = make('a', () => new Promise(() => undefined)); // killed mid-run
    dying.start();
    await clock.advance(0);
    dying.abandon(); // as kill -9: no release, no completion, renewals stop
    const survivor = make('b', async () => undefined);
    survivor.start();
    await clock.advance(4000);
    expect(runs).toEqual(['a', 'b']);
    expect(survivor.state).toBe('completed');
    await survivor.stop();
  });
});

describe("missed: 'once' with cron", () => {
  it('runs the last cron time before start if no replica ran it, and only once across replicas', async () => {
    const start = Date.UTC(2026, 0, 1, 10, 0, 30); // 30 s after the 10:00 cron time
    const clock = new ManualClock(start);
    const coordinator = new InMemoryCoordinator(clock);
    const runs: Array<[string, number]> = [];
    const replica = (id: string) =>
      new PeriodicRoutine(() => undefined, {
        name: 'hourly-report',
        interval: { cron: '0 0 * * * *', timeZone: 'UTC' }, // every hour, on the hour
        scope: 'cluster',
        missed: 'once',
        clock,
        coordinator,
        logger: recordingLogger(),
        onEvent: (event) => {
          if (event.type === 'run-started') runs.push([id, event.outcome!.dueAt]);
        },
      });
    const a = replica('a');
    a.start();
    await clock.advance(1000);
    expect(runs).toEqual([['a', Date.UTC(2026, 0, 1, 10)]]);
    const b = replica('b'); // a second replica starting later finds the slot claimed
    b.start();
    await clock.advance(1000);
    expect(runs).toHaveLength(1);
    await clock.advance(3600_000); // 11:00 runs once
    expect(runs.map(([, due]) => due)).toEqual([
      Date.UTC(2026, 0, 1, 10),
      Date.UTC(2026, 0, 1, 11),
    ]);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('previousCronTime agrees with stepping forward, for assorted crons and times', () => {
    // Each with a span that surely holds its previous time, to step through from.
    const specs: Array<[string, number]> = [
      ['* * * * * *', 10_000],
      ['*/7 * * * *', 3600_000],
      ['0 3 * * *', 2 * 86_400_000],
      ['15 10 * * 1-5', 5 * 86_400_000],
      ['0 0 1 * *', 40 * 86_400_000],
      ['0 0 29 2 *', 400 * 86_400_000], // none in the last 400 days: undefined
    ];
    for (const [spec, span] of specs) {
      const cron = new CronTime(spec, 'UTC');
      for (let i = 0; i < 5; i++) {
        const time = Date.UTC(2026, 0, 1) + i * 37 * 3600_000 + i * 7_777;
        const found = previousCronTime(cron, time);
        let stepped: number | undefined;
        for (let t = nextCronTime(cron, time - span); t <= time; t = nextCronTime(cron, t))
          stepped = t;
        expect(found).toBe(stepped);
      }
    }
  });
});

describe('counters that add up', () => {
  it('counts a run that shutdown cancelled: runs = succeeded + failures + cancelled', async () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const routine = new PeriodicRoutine(
      (signal: AbortSignal) => {
        calls++;
        if (calls === 2) throw new Error('second fails');
        if (calls === 1) return undefined;
        return new Promise<void>((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        );
      },
      { interval: 1000, clock, logger: recordingLogger() },
    );
    routine.start();
    await clock.advance(2000); // run 1 succeeds, run 2 fails, run 3 hangs
    await routine.stop(); // run 3 is cancelled
    const { runs, succeeded, failures, cancelled } = routine.info().counters;
    expect({ runs, succeeded, failures, cancelled }).toEqual({
      runs: 3,
      succeeded: 1,
      failures: 1,
      cancelled: 1,
    });
    expect(routine.info().lastRun?.status).toBe('cancelled');
  });

  it('counts runs, not claims, in inFlight: a claim waiting on the coordinator holds the slot without being a run', async () => {
    const clock = new ManualClock(0);
    const engine = heldClaims(clock);
    const routine = new PeriodicRoutine(() => undefined, {
      name: 'claims',
      interval: 1000,
      scope: 'cluster',
      clock,
      coordinator: engine.coordinator,
      logger: recordingLogger(),
    });
    routine.start();
    engine.hold(true);
    await clock.advance(1000);
    expect(engine.pending).toHaveLength(1);
    expect(routine.info().inFlight).toBe(0);
    expect(await routine.trigger()).toMatchObject({ status: 'skipped', reason: 'busy' });
    engine.pending[0].answer.resolve(true);
    await clock.flush();
    expect(routine.info().counters.runs).toBe(1);
    await routine.stop();
  });

  it('counts a background attempt that shutdown ended as cancelled', async () => {
    const clock = new ManualClock(0);
    const routine = new SupervisedRoutine(
      (signal: AbortSignal) =>
        new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())),
      { clock, logger: recordingLogger() },
    );
    routine.start();
    await clock.advance(10);
    await routine.stop();
    const { runs, succeeded, failures, cancelled } = routine.info().counters;
    expect({ runs, succeeded, failures, cancelled }).toEqual({
      runs: 1,
      succeeded: 0,
      failures: 0,
      cancelled: 1,
    });
  });
});
