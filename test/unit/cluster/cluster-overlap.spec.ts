/**
 * Overlap across replicas on a shared in-memory coordinator and the manual clock: the run
 * marker keeps `skip` from running two slots at once on two replicas, `buffer-one` holds
 * exactly one, `cancel-other` stops the run on the other replica, a dead runner's marker
 * expires, and `ctx.previous` comes from the last run on any replica. (The same against
 * Redis and PostgreSQL, with processes: test/integration/cluster-overlap.spec.ts.)
 */
import {
  InMemoryCoordinator,
  ManualClock,
  PeriodicRoutine,
  RunMarkerLostError,
  type Coordinator,
  type OverlapPolicy,
  type RoutineEvent,
  type RunContext,
} from '../../../lib/core';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);
const SECOND = 1000;

interface Run {
  replica: string;
  due: number;
  start: number;
  end?: number;
  signal: AbortSignal;
  cursor?: number;
}

function cluster(
  overlap: OverlapPolicy,
  runMs: number,
  options: { coordinators?: Coordinator[]; replicas?: number } = {},
) {
  const clock = new ManualClock(T0 - 1);
  const shared = new InMemoryCoordinator(clock);
  const runs: Run[] = [];
  const events: Array<RoutineEvent & { replica: string }> = [];
  const names = ['a', 'b', 'c'].slice(0, options.replicas ?? 3);
  const routines = names.map(
    (replica, i) =>
      new PeriodicRoutine(
        (signal: AbortSignal, ctx: RunContext) =>
          new Promise<{ cursor: number }>((resolve, reject) => {
            const run: Run = {
              replica,
              due: (ctx.dueAt - T0) / SECOND,
              start: clock.now(),
              signal,
            };
            runs.push(run);
            const cursor = ((ctx.previous?.value as { cursor?: number })?.cursor ?? 0) + 1;
            run.cursor = cursor;
            const timer = clock.setTimer(clock.now() + runMs, () => {
              run.end = clock.now();
              resolve({ cursor });
            });
            signal.addEventListener('abort', () => {
              clock.clearTimer(timer);
              run.end = clock.now();
              reject(signal.reason);
            });
          }),
        {
          name: 'report',
          scope: 'cluster',
          interval: SECOND,
          overlap,
          clock,
          coordinator: options.coordinators?.[i] ?? shared,
          logger: quiet,
          lease: { ttl: '3s', retryEvery: '100ms' },
          onEvent: (event) => events.push({ ...event, replica }),
        },
      ),
  );
  const mostAtOnce = () => {
    let most = 0;
    for (const run of runs) {
      const overlapping = runs.filter(
        (other) => other.start <= run.start && (other.end ?? Infinity) > run.start,
      );
      most = Math.max(most, overlapping.length);
    }
    return most;
  };
  return { clock, shared, runs, events, routines, mostAtOnce };
}

async function stopAll(clock: ManualClock, routines: PeriodicRoutine[]) {
  const stopping = Promise.all(routines.map((routine) => routine.stop()));
  await clock.advance(10 * SECOND);
  await stopping;
}

describe('overlap across replicas', () => {
  it("'skip': a slot whose predecessor still runs on another replica is skipped there, never run beside it", async () => {
    const { clock, runs, events, routines, mostAtOnce } = cluster('skip', 2500);
    for (const routine of routines) routine.start();
    await clock.advance(10 * SECOND);
    expect(mostAtOnce()).toBe(1);
    // Runs of 2.5 s on a 1 s grid: slots 0, 3, 6, 9 run (each the first slot after an end).
    expect(runs.map((run) => run.due)).toEqual([0, 3, 6, 9]);
    const busy = events.filter((e) => e.type === 'run-skipped' && e.outcome!.reason === 'busy');
    expect(busy.map((e) => (e.outcome!.dueAt - T0) / SECOND)).toEqual([1, 2, 4, 5, 7, 8]);
    expect(busy.every((e) => e.outcome!.policy === 'skip')).toBe(true);
    // The replicas took turns: not every run on the one that ran first.
    await stopAll(clock, routines);
  });

  it("'buffer-one': exactly one slot waits across the cluster and runs right after; the others are skipped", async () => {
    const { clock, runs, events, routines, mostAtOnce } = cluster('buffer-one', 2500);
    for (const routine of routines) routine.start();
    await clock.advance(10 * SECOND);
    expect(mostAtOnce()).toBe(1);
    // Slot 1 waits for slot 0 (ends at 2.5 s) and starts within the retry (100 ms) after it.
    expect(runs[0].due).toBe(0);
    expect(runs[1].due).toBe(1);
    expect(runs[1].start - runs[0].end!).toBeLessThanOrEqual(100);
    const busy = events.filter((e) => e.type === 'run-skipped' && e.outcome!.reason === 'busy');
    expect(busy.length).toBeGreaterThan(0);
    // Every slot is run once or skipped once.
    const dues = [
      ...runs.map((run) => run.due),
      ...busy.map((e) => (e.outcome!.dueAt - T0) / SECOND),
    ];
    expect(new Set(dues).size).toBe(dues.length);
    const started = events.filter((e) => e.type === 'run-started');
    expect(started.filter((e) => e.outcome!.policy === 'buffer-one').length).toBe(runs.length - 1);
    await stopAll(clock, routines);
  });

  it("'cancel-other': the run on the other replica is superseded at its next renewal, then the new slot runs", async () => {
    const { clock, runs, events, routines } = cluster('cancel-other', 60 * SECOND);
    for (const routine of routines) routine.start();
    await clock.advance(4 * SECOND);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs[0].due).toBe(0);
    expect(String(runs[0].signal.reason)).toContain('superseded');
    expect(runs[1].start).toBeGreaterThanOrEqual(runs[0].end!);
    const cancelled = events.filter((e) => e.type === 'run-cancelled');
    expect(cancelled.length).toBeGreaterThanOrEqual(1);
    expect(events.filter((e) => e.type === 'run-failed')).toEqual([]);
    await stopAll(clock, routines);
  });

  it("a runner that stops renewing (killed) holds the next slots back for the marker's ttl only", async () => {
    let dead = false;
    const { clock, shared, runs, routines } = cluster('skip', 60 * SECOND, {
      coordinators: [],
    });
    // Replica a's engine calls stop answering once it is "killed".
    const hang = <T>(call: () => Promise<T>): Promise<T> =>
      dead ? new Promise<T>(() => undefined) : call();
    const runsOfA = shared.runs;
    const killed: Coordinator = {
      kind: 'memory',
      claimSlot: (r, s, t) => hang(() => shared.claimSlot(r, s, t)),
      releaseSlot: (r, s) => hang(() => shared.releaseSlot(r, s)),
      acquireLease: (r, t) => hang(() => shared.acquireLease(r, t)),
      renewLease: (l, t) => hang(() => shared.renewLease(l, t)),
      releaseLease: (l) => hang(() => shared.releaseLease(l)),
      runs: {
        begin: (r, q) => hang(() => runsOfA.begin(r, q)),
        renew: (r, t, ttl) => hang(() => runsOfA.renew(r, t, ttl)),
        end: (r, t, p) => hang(() => runsOfA.end(r, t, p)),
      },
    };
    const a = new PeriodicRoutine(() => new Promise(() => undefined), {
      name: 'report',
      scope: 'cluster',
      interval: SECOND,
      clock,
      coordinator: killed,
      logger: quiet,
      lease: { ttl: '3s' },
    });
    a.start();
    await clock.advance(SECOND); // a runs slot 0, a run that never ends
    dead = true; // SIGKILL: a's marker is no longer renewed
    for (const routine of routines) routine.start();
    await clock.advance(2 * SECOND);
    expect(runs).toEqual([]); // slots 1 and 2: a's marker still holds them back
    await clock.advance(2 * SECOND);
    expect(runs.map((run) => run.due)).toEqual([3]); // a's marker expired 3 s after slot 0: slot 3 runs
    await stopAll(clock, routines);
  });

  it('ctx.previous is the last run that ended on any replica', async () => {
    const { clock, runs, routines } = cluster('skip', 200);
    for (const routine of routines) routine.start();
    await clock.advance(2500);
    const stopping = routines[0].stop(); // the replica that ran so far goes away
    await clock.advance(4 * SECOND);
    await stopping;
    expect(new Set(runs.map((run) => run.replica)).size).toBeGreaterThan(1);
    // Each run continued from the one before, wherever that ran: cursors 1, 2, 3, ...
    expect(runs.map((run) => run.cursor)).toEqual(runs.map((_, i) => i + 1));
    await stopAll(clock, routines);
  });
});

describe('run markers and REINVOKE_IMMEDIATELY', () => {
  it('a chain of reinvocations holds one marker to its end: another replica runs only after it', async () => {
    const { REINVOKE_IMMEDIATELY } = await import('../../../lib/core');
    const clock = new ManualClock(T0 - 1);
    const coordinator = new InMemoryCoordinator(clock);
    const spans: Array<[string, number, number]> = [];
    const make = (replica: string, chain: number) => {
      let left = chain;
      return new PeriodicRoutine(
        async () => {
          const start = clock.now();
          await sleep(clock, 400);
          spans.push([replica, start, clock.now()]);
          return --left > 0 ? REINVOKE_IMMEDIATELY : undefined;
        },
        {
          name: 'drain',
          scope: 'cluster',
          interval: SECOND,
          clock,
          coordinator,
          logger: quiet,
          lease: { ttl: '3s' },
        },
      );
    };
    const a = make('a', 5);
    const b = make('b', 1);
    a.start();
    b.start();
    await clock.advance(6 * SECOND);
    const sorted = [...spans].sort((x, y) => x[1] - y[1]);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i][1]).toBeGreaterThanOrEqual(sorted[i - 1][2]);
    expect(spans.filter(([r]) => r === 'a').length).toBeGreaterThanOrEqual(5);
    await stopAll(clock, [a, b]);
  });
});

const sleep = (clock: ManualClock, ms: number) =>
  new Promise<void>((resolve) => clock.setTimer(clock.now() + ms, resolve));

describe('run markers and shutdown', () => {
  it('a slot won but not yet marked when shutdown begins is handed back, and another replica runs it', async () => {
    const clock = new ManualClock(T0 - 1);
    const shared = new InMemoryCoordinator(clock);
    const slow: Coordinator = {
      kind: 'memory',
      claimSlot: (r, s, t) => shared.claimSlot(r, s, t),
      releaseSlot: (r, s) => shared.releaseSlot(r, s),
      acquireLease: (r, t) => shared.acquireLease(r, t),
      renewLease: (l, t) => shared.renewLease(l, t),
      releaseLease: (l) => shared.releaseLease(l),
      runs: {
        begin: async (r, q) => {
          await sleep(clock, 100); // the marker's answer is slow to come back
          return shared.runs.begin(r, q);
        },
        renew: (r, t, ttl) => shared.runs.renew(r, t, ttl),
        end: (r, t, p) => shared.runs.end(r, t, p),
      },
    };
    const ran: Array<[string, number]> = [];
    const make = (replica: string, coordinator: Coordinator) =>
      new PeriodicRoutine((_signal, ctx) => void ran.push([replica, ctx.dueAt - T0]), {
        name: 'report',
        scope: 'cluster',
        interval: SECOND,
        clock,
        coordinator,
        logger: quiet,
      });
    const a = make('a', slow);
    const b = make('b', shared);
    a.start(); // a's timer fires first: a wins slot 0
    b.start();
    await clock.advance(1 + 50);
    const stopping = a.stop(); // a deploy: a is stopping while its marker call is out
    await clock.advance(400);
    await stopping;
    expect(ran).toEqual([['b', 0]]);
    await stopAll(clock, [b]);
  });
});

describe('run markers under the holder discipline', () => {
  function cutOff(shared: InMemoryCoordinator, isCut: () => boolean): Coordinator {
    const hang = <T>(call: () => Promise<T>): Promise<T> =>
      isCut() ? new Promise<T>(() => undefined) : call();
    return {
      kind: 'memory',
      claimSlot: (r, s, t) => hang(() => shared.claimSlot(r, s, t)),
      releaseSlot: (r, s) => hang(() => shared.releaseSlot(r, s)),
      acquireLease: (r, t) => hang(() => shared.acquireLease(r, t)),
      renewLease: (l, t) => hang(() => shared.renewLease(l, t)),
      releaseLease: (l) => hang(() => shared.releaseLease(l)),
      runs: {
        begin: (r, q) => hang(() => shared.runs.begin(r, q)),
        renew: (r, t, ttl) => hang(() => shared.runs.renew(r, t, ttl)),
        end: (r, t, p) => hang(() => shared.runs.end(r, t, p)),
      },
    };
  }

  it('ctx.holdsLease() reflects the marker and ctx.epoch is its fencing epoch, growing run to run', async () => {
    const clock = new ManualClock(T0 - 1);
    const coordinator = new InMemoryCoordinator(clock);
    const seen: Array<{ holds: boolean; epoch: number | undefined }> = [];
    const routine = new PeriodicRoutine(
      (_signal: AbortSignal, ctx: RunContext) =>
        void seen.push({ holds: ctx.holdsLease(), epoch: ctx.epoch }),
      { name: 'fenced', scope: 'cluster', interval: SECOND, clock, coordinator, logger: quiet },
    );
    routine.start();
    await clock.advance(3 * SECOND);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.every((run) => run.holds)).toBe(true);
    const epochs = seen.map((run) => run.epoch!);
    expect(epochs.every((epoch) => typeof epoch === 'number')).toBe(true);
    for (let i = 1; i < epochs.length; i++) expect(epochs[i]).toBeGreaterThan(epochs[i - 1]);
    await stopAll(clock, [routine]);
  });

  it('a paused runner reads holdsLease() false on waking, before any timer of its own has run, and its run aborts', async () => {
    const clock = new ManualClock(T0 - 1);
    const coordinator = new InMemoryCoordinator(clock);
    let ctx: RunContext | undefined;
    let signal: AbortSignal | undefined;
    const routine = new PeriodicRoutine(
      (s: AbortSignal, c: RunContext) => {
        ctx = c;
        signal = s;
        return new Promise<void>((_resolve, reject) =>
          s.addEventListener('abort', () => reject(s.reason)),
        );
      },
      {
        name: 'paused',
        scope: 'cluster',
        interval: SECOND,
        clock,
        coordinator,
        logger: quiet,
        lease: { ttl: '3s' },
      },
    );
    routine.start();
    await clock.advance(10);
    expect(ctx!.holdsLease()).toBe(true);
    clock.jump(2500); // SIGSTOP for 2.5 s: past the renew deadline (2 s of a 3 s ttl)
    expect(ctx!.holdsLease()).toBe(false); // synchronously, before the abort timer ran
    expect(signal!.aborted).toBe(false);
    await clock.advance(0);
    expect(signal!.aborted).toBe(true);
    expect(signal!.reason).toBeInstanceOf(RunMarkerLostError);
    await stopAll(clock, [routine]);
  });

  it('a runner cut off from the engine stops at its renew deadline, a third of the ttl before another replica may start', async () => {
    const clock = new ManualClock(T0 - 1);
    const shared = new InMemoryCoordinator(clock);
    let cut = false;
    const acts: Array<{ replica: string; start: number; end?: number }> = [];
    const warnings: string[] = [];
    const logger = { ...quiet, warn: (message: string) => void warnings.push(message) };
    const make = (replica: string, coordinator: Coordinator) =>
      new PeriodicRoutine(
        (signal: AbortSignal) => {
          const act: { replica: string; start: number; end?: number } = {
            replica,
            start: clock.now(),
          };
          acts.push(act);
          return new Promise<void>((_resolve, reject) =>
            signal.addEventListener('abort', () => {
              act.end = clock.now();
              reject(signal.reason);
            }),
          );
        },
        {
          name: 'long',
          scope: 'cluster',
          interval: SECOND,
          clock,
          coordinator,
          logger: replica === 'a' ? logger : quiet,
          lease: { ttl: '3s' },
        },
      );
    const a = make(
      'a',
      cutOff(shared, () => cut),
    );
    a.start();
    await clock.advance(100);
    expect(acts.map((act) => act.replica)).toEqual(['a']);
    cut = true; // a's connection goes: its renewals hang
    const b = make('b', shared);
    b.start();
    await clock.advance(6 * SECOND);
    const first = acts[0];
    const next = acts.find((act) => act.replica === 'b');
    expect(first.end).toBeDefined();
    expect(next).toBeDefined();
    // a stopped acting before b could start: at least the last third of the ttl in between.
    expect(next!.start - first.end!).toBeGreaterThanOrEqual(SECOND - 5);
    // The renewals that failed meanwhile are one outage, logged once.
    expect(warnings.filter((message) => message.includes('coordinator failed'))).toHaveLength(1);
    a.stop().catch(() => undefined);
    await stopAll(clock, [b]);
  });
});
