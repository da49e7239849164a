import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  BackgroundRoutine,
  Periodic,
  RoutinesModule,
  RoutineActionError,
  RoutineNotFoundError,
  RoutinesRegistry,
  type RoutineEventType,
} from 'nestjs-routines';
import {
  aborted,
  bootTesting,
  closeAll,
  createTestingApp,
  deferred,
  nextEvent,
  sleep,
  waitFor,
} from './support/e2e';

@Injectable()
class Jobs {
  okRuns = 0;
  slowGate = deferred();
  slowRuns = 0;

  @Periodic('1h', { name: 'ok', runOnStart: false })
  ok(): void {
    this.okRuns++;
  }

  @Periodic('1h', { name: 'bad', runOnStart: false })
  bad(): void {
    throw new Error('bad run');
  }

  @Periodic('1h', { name: 'slow', runOnStart: false })
  async slow(): Promise<void> {
    this.slowRuns++;
    await this.slowGate.promise;
  }

  @BackgroundRoutine({ name: 'worker' })
  async work(signal: AbortSignal): Promise<void> {
    await aborted(signal);
  }
}

@Injectable()
class Ticker {
  runs: number[] = [];
  @Periodic(30, { name: 'ticker' })
  tick(): void {
    this.runs.push(Date.now());
  }
}

@Injectable()
class Elastic {
  runs: number[] = [];
  @Periodic('1h', { name: 'elastic', runOnStart: false })
  stretch(): void {
    this.runs.push(Date.now());
  }
}

@Injectable()
class Busy {
  @Periodic(20, { name: 'busy' })
  async crunch(): Promise<void> {
    await sleep(70);
  }
}

const app = (...providers: Array<new (...args: never[]) => unknown>) => ({
  imports: [RoutinesModule.forRoot()],
  providers,
});

afterEach(closeAll);

describe('RoutinesRegistry', () => {
  it('is injectable and list() returns every routine in declaration order', async () => {
    const { app: nest, registry } = await bootTesting(app(Jobs, Ticker));
    expect(nest.get(RoutinesRegistry)).toBe(registry);

    expect(registry.list().map((info) => info.name)).toEqual([
      'ok',
      'bad',
      'slow',
      'worker',
      'ticker',
    ]);
    expect(registry.list()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'ok',
          kind: 'periodic',
          source: 'Jobs.ok',
          enabled: true,
          state: 'running',
          schedule: 'every 1h',
          intervalMs: 3_600_000,
          scope: 'instance',
        }),
        expect.objectContaining({
          name: 'worker',
          kind: 'background',
          source: 'Jobs.work',
          state: 'running',
        }),
      ]),
    );
  });

  it('get() returns one routine; an unknown name throws, naming the known routines', async () => {
    const { registry } = await bootTesting(app(Jobs));
    expect(registry.get('ok')).toMatchObject({ name: 'ok', kind: 'periodic' });
    expect(() => registry.get('nope')).toThrow(RoutineNotFoundError);
    expect(() => registry.get('nope')).toThrow(
      "RoutinesRegistry: no routine named 'nope' (known routines: ok, bad, slow, worker)",
    );
    expect(registry.has('ok')).toBe(true);
    expect(registry.has('nope')).toBe(false);
  });

  it('trigger() resolves with the outcome: succeeded, failed with its error, skipped busy', async () => {
    const { app: nest, registry } = await bootTesting(app(Jobs));
    const jobs = nest.get(Jobs);

    const before = Date.now();
    const ok = await registry.trigger('ok');
    expect(ok).toMatchObject({ status: 'succeeded' });
    expect(ok.startedAt).toBeGreaterThanOrEqual(before);
    expect(ok.finishedAt).toBeGreaterThanOrEqual(ok.startedAt!);
    expect(jobs.okRuns).toBe(1);

    const bad = await registry.trigger('bad');
    expect(bad.status).toBe('failed');
    // Plain data: a controller returning it shows the error, not {}.
    expect(JSON.parse(JSON.stringify(bad.error))).toEqual({ name: 'Error', message: 'bad run' });
    expect(bad.error!.stack).toMatch(/bad run\n\s+at /); // there for code that reads it

    const first = registry.trigger('slow');
    const second = await registry.trigger('slow');
    expect(second).toMatchObject({ status: 'skipped', reason: 'busy' });
    expect(jobs.slowRuns).toBe(1);
    expect(registry.get('slow').inFlight).toBe(1);
    jobs.slowGate.resolve();
    await expect(first).resolves.toMatchObject({ status: 'succeeded' });
    expect(registry.get('slow').inFlight).toBe(0);
  });

  it('tracks counters, lastRun, lastError and nextRunAt', async () => {
    const { registry } = await bootTesting(app(Jobs, Ticker));

    await registry.trigger('ok');
    await registry.trigger('ok');
    await registry.trigger('bad');
    expect(registry.get('ok').counters).toMatchObject({ runs: 2, succeeded: 2, failures: 0 });
    expect(registry.get('ok').lastRun).toMatchObject({ status: 'succeeded' });
    const bad = registry.get('bad');
    expect(bad.counters).toMatchObject({ runs: 1, succeeded: 0, failures: 1 });
    expect(bad.lastRun).toMatchObject({ status: 'failed' });
    expect(bad.lastError).toMatchObject({ message: 'bad run' });

    await waitFor(() => registry.get('ticker').counters.runs >= 2, 'two ticker runs');
    const ticker = registry.get('ticker');
    const now = Date.now();
    expect(ticker.lastRun!.status).toBe('succeeded');
    expect(ticker.nextRunAt).toBeGreaterThan(ticker.lastRun!.dueAt);
    // On the 30 ms grid: one interval on, more if a busy machine made a tick late (it is
    // skipped), give or take the wall-clock offset (see the note in decorators.e2e.spec.ts).
    const apart = ticker.nextRunAt! - ticker.lastRun!.dueAt;
    expect(Math.round(apart / 30)).toBeGreaterThanOrEqual(1);
    expect(Math.abs(apart - Math.round(apart / 30) * 30)).toBeLessThan(1.5);
    expect(ticker.nextRunAt!).toBeLessThanOrEqual(now + 30 + 5); // timers may fire a ms early by Date.now()
    expect(registry.get('ok').nextRunAt! - now).toBeGreaterThan(3_600_000 - 5_000);
  });

  it('counts ticks that find the routine busy as skipped', async () => {
    const { registry } = await bootTesting(app(Busy));
    const skipped = await nextEvent(
      registry,
      (e) => e.type === 'run-skipped' && e.outcome?.reason === 'busy',
    );
    expect(skipped).toMatchObject({
      routine: 'busy',
      outcome: { status: 'skipped', reason: 'busy' },
    });
    const counters = registry.get('busy').counters;
    expect(counters.skipped).toBeGreaterThanOrEqual(1);
    expect(counters.runs).toBeGreaterThanOrEqual(1);
  });

  it('pause() stops ticks (none while paused), resume() brings them back', async () => {
    const { app: nest, registry } = await bootTesting(app(Ticker));
    const ticker = nest.get(Ticker);
    await waitFor(() => ticker.runs.length >= 2, 'two ticker runs');

    registry.pause('ticker');
    const paused = ticker.runs.length;
    // A busy machine can make a tick late before the pause, and a late tick is skipped: what
    // is asserted is that none is skipped while paused (it was 'toBe(0)', which failed so).
    const skippedBefore = registry.get('ticker').counters.skipped;
    expect(registry.get('ticker')).toMatchObject({ state: 'paused', nextRunAt: undefined });
    await sleep(150); // five intervals
    expect(ticker.runs.length).toBe(paused);
    expect(registry.get('ticker').counters.skipped).toBe(skippedBefore); // paused ticks are not "skipped"

    // trigger() still works while paused.
    await expect(registry.trigger('ticker')).resolves.toMatchObject({ status: 'succeeded' });
    expect(ticker.runs.length).toBe(paused + 1);

    registry.resume('ticker');
    expect(registry.get('ticker').state).toBe('running');
    expect(registry.get('ticker').nextRunAt).toBeDefined();
    await waitFor(() => ticker.runs.length >= paused + 3, 'ticks after resume');
  });

  it('setInterval() changes intervalMs and the actual schedule; a bad value throws a RangeError naming the routine', async () => {
    const { app: nest, registry } = await bootTesting(app(Elastic));
    const elastic = nest.get(Elastic);
    expect(registry.get('elastic').intervalMs).toBe(3_600_000);

    const changedAt = Date.now();
    registry.setInterval('elastic', 25);
    const changed = Date.now(); // the change happened between these two readings
    const info = registry.get('elastic');
    expect(info).toMatchObject({ intervalMs: 25, schedule: 'every 25ms' });
    // One interval from the change: measured from the reading after it, as the process can be
    // descheduled for a few ms between changedAt and the call on a busy machine.
    expect(info.nextRunAt! - changed).toBeLessThanOrEqual(25 + 5);
    await waitFor(() => elastic.runs.length >= 4, 'runs 25 ms apart');
    // Four runs, each one new interval after the last: at least ~75 ms in all.
    expect(elastic.runs[3] - changedAt).toBeGreaterThanOrEqual(4 * 25 - 5);

    registry.setInterval('elastic', '1h');
    const settled = elastic.runs.length;
    expect(registry.get('elastic').intervalMs).toBe(3_600_000);
    await sleep(80);
    expect(elastic.runs.length).toBe(settled);

    for (const bad of ['soon', 0, -1, 2 ** 31]) {
      expect(() => registry.setInterval('elastic', bad)).toThrow(RangeError);
      expect(() => registry.setInterval('elastic', bad)).toThrow(/elastic/);
    }
    expect(registry.get('elastic').intervalMs).toBe(3_600_000);
    // The @Cron habit: a cron string is not a duration, and the error says how to write it.
    expect(() => registry.setInterval('elastic', '*/5 * * * *')).toThrow(
      "looks like a cron expression, but a string here is a duration ('90s', '2m'); for a cron schedule write { cron: '*/5 * * * *' }",
    );
  });

  it('pause/resume/setInterval/nextRuns on a background routine throw a RoutineActionError; trigger rejects with it', async () => {
    const { registry } = await bootTesting(app(Jobs));
    const operations: Array<[string, () => unknown]> = [
      ['pause', () => registry.pause('worker')],
      ['resume', () => registry.resume('worker')],
      ['setInterval', () => registry.setInterval('worker', '1s')],
      ['nextRuns', () => registry.nextRuns('worker', 1)],
    ];
    const expected = (operation: string) =>
      `RoutinesRegistry.${operation}('worker'): 'worker' is a background routine, and ${operation}() applies to periodic routines; steer a background routine with stop('worker'), start('worker') or restart('worker')`;
    for (const [operation, call] of operations) {
      expect(call).toThrow(RoutineActionError);
      expect(call).toThrow(expected(operation));
    }
    const triggered = registry.trigger('worker');
    await expect(triggered).rejects.toThrow(RoutineActionError);
    await expect(triggered).rejects.toMatchObject({ routine: 'worker', action: 'trigger' });
    await expect(registry.trigger('nope')).rejects.toThrow(RoutineNotFoundError);
    expect(registry.get('worker').state).toBe('running');
  });

  it('moves routines from running to stopped on close, and keeps answering get()', async () => {
    const { registry, close } = await bootTesting(app(Jobs, Ticker));
    expect(registry.get('ticker').state).toBe('running');
    expect(registry.get('worker').state).toBe('running');

    await close();

    for (const info of registry.list()) expect(info.state).toBe('stopped');
    expect(registry.get('ticker').nextRunAt).toBeUndefined();
  });

  it('events$ emits started, run-started, run-succeeded, run-failed, run-skipped, stopped with routine names', async () => {
    const { app: nest, registry, events, close } = await createTestingApp(app(Jobs, Busy));
    await nest.init();

    await registry.trigger('ok');
    await registry.trigger('bad');
    await nextEvent(
      registry,
      (e) => e.type === 'run-skipped' && e.routine === 'busy' && e.outcome?.reason === 'busy',
    );
    await close();

    const seen = (type: RoutineEventType, routine: string) =>
      events.filter((e) => e.type === type && e.routine === routine);
    for (const name of ['ok', 'bad', 'slow', 'worker', 'busy']) {
      expect(seen('started', name)).toHaveLength(1);
      expect(seen('stopped', name)).toHaveLength(1);
    }
    expect(seen('run-started', 'ok')).toHaveLength(1);
    expect(seen('run-succeeded', 'ok')).toEqual([
      expect.objectContaining({ outcome: expect.objectContaining({ status: 'succeeded' }) }),
    ]);
    expect(seen('run-failed', 'bad')).toEqual([
      expect.objectContaining({
        error: expect.objectContaining({ message: 'bad run' }),
        outcome: expect.objectContaining({ status: 'failed' }),
      }),
    ]);
    expect(seen('run-skipped', 'busy')).toContainEqual(
      expect.objectContaining({ outcome: expect.objectContaining({ reason: 'busy' }) }),
    );

    // Per routine, in order: started, then its run, then stopped last.
    const okTypes = events.filter((e) => e.routine === 'ok').map((e) => e.type);
    expect(okTypes).toEqual(['started', 'run-started', 'run-succeeded', 'stopped']);
    for (const event of events) expect(typeof event.at).toBe('number');
  });
});
