import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  BackgroundRoutine,
  Periodic,
  RoutineActionError,
  RoutineNotFoundError,
  RoutinesConfigurationError,
  RoutinesModule,
} from 'nestjs-routines';
import { ManualClock } from 'nestjs-routines/testing';
import { aborted, bootTesting, closeAll, deferred } from './support/e2e';

afterEach(closeAll);

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MINUTE = 60_000;

@Injectable()
class Jobs {
  ticks = 0;
  disabledRuns = 0;
  workerSignals: AbortSignal[] = [];
  flakyAttempts = 0;

  @Periodic('2m', { name: 'ticker' })
  tick(): void {
    this.ticks++;
  }

  @Periodic({ cron: '0 * * * *' }, { name: 'hourly' })
  hourly(): void {}

  @Periodic('1m', { name: 'off', enabled: false })
  off(): void {
    this.disabledRuns++;
  }

  @BackgroundRoutine({ name: 'worker' })
  async work(signal: AbortSignal): Promise<void> {
    this.workerSignals.push(signal);
    await aborted(signal);
  }

  /** Fails on its first attempt; a restart policy of `false` marks it failed at once. */
  @BackgroundRoutine({ name: 'flaky', restart: false })
  async flaky(signal: AbortSignal): Promise<void> {
    if (++this.flakyAttempts === 1) throw new Error('broker unreachable');
    await aborted(signal);
  }
}

async function boot(extra: Array<new (...args: never[]) => unknown> = []) {
  const clock = new ManualClock(T0);
  const booted = await bootTesting({
    imports: [RoutinesModule.forRoot({ clock })],
    providers: [Jobs, ...extra],
  });
  await clock.advance(0); // the runs due at start
  return { ...booted, clock, jobs: booted.app.get(Jobs) };
}

describe('steering routines by name', () => {
  it('a disabled routine: pause/resume refuse with the reason, trigger runs it, start() enables it', async () => {
    const { registry, jobs, clock } = await boot();
    expect(registry.get('off')).toMatchObject({ state: 'disabled', enabled: false });
    for (const action of ['pause', 'resume'] as const) {
      expect(() => registry[action]('off')).toThrow(RoutineActionError);
      expect(() => registry[action]('off')).toThrow(
        `RoutinesRegistry.${action}('off'): 'off' is not started (disabled, or the app has not bootstrapped); start('off') starts it`,
      );
    }
    await expect(registry.trigger('off')).resolves.toMatchObject({ status: 'succeeded' });
    expect(jobs.disabledRuns).toBe(1);

    await registry.start('off');
    expect(registry.get('off')).toMatchObject({ state: 'running', enabled: true });
    await clock.advance(0);
    expect(jobs.disabledRuns).toBe(2);
    await clock.advance(MINUTE);
    expect(jobs.disabledRuns).toBe(3); // at start, then a minute later
  });

  it('pause with a note: who, when and why in get(), the paused event, and an updated note; bad notes refused', async () => {
    const { registry, clock, events } = await boot();
    registry.pause('ticker', { note: 'billing API down, INC-4211', by: 'alice' });
    expect(registry.get('ticker').paused).toEqual({
      at: T0,
      note: 'billing API down, INC-4211',
      by: 'alice',
    });
    expect(events.find((event) => event.type === 'paused')?.pause).toEqual({
      at: T0,
      note: 'billing API down, INC-4211',
      by: 'alice',
    });
    await clock.advance(MINUTE);
    registry.pause('ticker', { note: 'still down' }); // already paused: the note is updated
    expect(registry.get('ticker').paused).toEqual({ at: T0, note: 'still down', by: 'alice' });
    expect(events.filter((event) => event.type === 'paused')).toHaveLength(1);
    expect(() => registry.pause('ticker', { note: 42 as never })).toThrow(RangeError);
    expect(() => registry.pause('ticker', { note: 42 as never })).toThrow(
      "pause('ticker'): option 'note' = 42 must be a string of at most 1000 characters",
    );
    expect(() => registry.pause('ticker', { by: 'x'.repeat(201) })).toThrow(
      /option 'by' = 'x{40}…' must be a string of at most 200 characters/,
    );
    registry.resume('ticker');
    expect(registry.get('ticker').paused).toBeUndefined();
    registry.pause('ticker');
    expect(registry.get('ticker').paused).toEqual({ at: T0 + MINUTE });
  });

  it('pause and resume are idempotent where they make sense, and refuse on a stopped routine', async () => {
    const { registry } = await boot();
    registry.resume('ticker'); // running: nothing to do
    registry.pause('ticker');
    registry.pause('ticker');
    expect(registry.get('ticker').state).toBe('paused');
    registry.resume('ticker');
    expect(registry.get('ticker').state).toBe('running');

    await registry.stop('ticker');
    expect(registry.get('ticker').state).toBe('stopped');
    expect(() => registry.pause('ticker')).toThrow(
      "RoutinesRegistry.pause('ticker'): 'ticker' is stopped; start('ticker') starts it again",
    );
    expect(() => registry.resume('ticker')).toThrow(RoutineActionError);
  });

  it('stop(name) and start(name) a periodic routine: no tick while stopped, a fresh routine after', async () => {
    const { registry, jobs, clock } = await boot();
    expect(jobs.ticks).toBe(1);
    await registry.stop('ticker');
    await clock.advance(10 * MINUTE);
    expect(jobs.ticks).toBe(1);
    expect(registry.nextRuns('ticker', 3)).toEqual([]);

    await registry.start('ticker');
    await clock.advance(0);
    expect(registry.get('ticker')).toMatchObject({ state: 'running', counters: { runs: 1 } });
    expect(jobs.ticks).toBe(2);
    await clock.advance(2 * MINUTE);
    expect(jobs.ticks).toBe(3);
    await registry.start('ticker'); // already running: nothing
    expect(jobs.ticks).toBe(3);
  });

  it('stop(name) and start(name) a background routine: its signal aborts, a new attempt starts', async () => {
    const { registry, jobs } = await boot();
    expect(jobs.workerSignals).toHaveLength(1);
    await registry.stop('worker');
    expect(jobs.workerSignals[0].aborted).toBe(true);
    expect(registry.get('worker').state).toBe('stopped');

    await registry.start('worker');
    expect(registry.get('worker').state).toBe('running');
    expect(jobs.workerSignals).toHaveLength(2);
    expect(jobs.workerSignals[1].aborted).toBe(false);
  });

  it('restart(name) brings back a background routine that failed past its restart policy', async () => {
    const { registry, jobs, logger } = await boot();
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(registry.get('flaky')).toMatchObject({
      state: 'failed',
      lastRun: { status: 'failed', error: { name: 'Error', message: 'broker unreachable' } },
    });
    expect(logger.at('error').some((entry) => entry.context === 'flaky')).toBe(true);

    await registry.restart('flaky');
    expect(registry.get('flaky').state).toBe('running');
    expect(jobs.flakyAttempts).toBe(2);
  });

  it('setInterval keeps a routine in its schedule form: an interval for a cron routine is refused', async () => {
    const { registry } = await boot();
    expect(() => registry.setInterval('hourly', '5m')).toThrow(
      "RoutinesRegistry.setInterval('hourly'): 'hourly' runs on a cron expression; give it another one ({ cron: '0 * * * *' }), or declare it with an interval",
    );
    // The @Cron habit: a cron expression written as a plain string is shown in the form it needs.
    expect(() => registry.setInterval('hourly', '*/15 * * * *')).toThrow(
      "RoutinesRegistry.setInterval('hourly'): 'hourly' runs on a cron expression, and a string here is a duration; write the expression as { cron: '*/15 * * * *' }",
    );
    expect(() => registry.setInterval('ticker', { cron: '* * * * *' })).toThrow(RoutineActionError);
    registry.setInterval('hourly', { cron: '30 * * * *' });
    expect(registry.get('hourly').schedule).toBe('cron 30 * * * *');
  });

  it('nextRuns(name, n): the next due times of an interval and a cron routine, after a change, while paused', async () => {
    const { registry, clock } = await boot();
    expect(registry.nextRuns('ticker', 3)).toEqual([
      T0 + 2 * MINUTE,
      T0 + 4 * MINUTE,
      T0 + 6 * MINUTE,
    ]);
    expect(registry.nextRuns('hourly', 2)).toEqual([T0 + 60 * MINUTE, T0 + 120 * MINUTE]);
    expect(registry.nextRuns('off', 1)).toEqual([T0]); // not started: runs at once when started

    await clock.advance(MINUTE);
    registry.setInterval('ticker', '5m');
    expect(registry.nextRuns('ticker', 2)).toEqual([T0 + 6 * MINUTE, T0 + 11 * MINUTE]);
    registry.pause('ticker');
    expect(registry.nextRuns('ticker', 1)).toEqual([T0 + 6 * MINUTE]);
    expect(registry.nextRuns('ticker')).toHaveLength(5);
    expect(() => registry.nextRuns('ticker', -1)).toThrow(RangeError);
    expect(() => registry.nextRuns('ticker', 1.5)).toThrow(
      'ticker: nextRuns(1.5) needs a whole number from 0 to 1000',
    );
    expect(() => registry.nextRuns('nope', 1)).toThrow(RoutineNotFoundError);
  });

  it('start() on a completed cluster routine completes it again without running; resetCompletion lets it run', async () => {
    @Injectable()
    class Seeder {
      runs = 0;
      @BackgroundRoutine({ name: 'seed', scope: 'cluster' })
      async seed(): Promise<void> {
        this.runs++;
      }
    }
    const { app, registry, clock } = await boot([Seeder]);
    const seeder = app.get(Seeder);
    await clock.advance(1_000);
    expect(registry.get('seed').state).toBe('completed');
    expect(seeder.runs).toBe(1);

    await registry.start('seed');
    await clock.advance(1_000);
    expect(registry.get('seed').state).toBe('completed');
    expect(seeder.runs).toBe(1);

    await registry.resetCompletion('seed');
    await registry.start('seed');
    await clock.advance(1_000);
    expect(seeder.runs).toBe(2);
  });

  it('refuses to start a routine once the app is shutting down', async () => {
    const { registry, close } = await boot();
    await registry.stop('ticker');
    await close();
    await expect(registry.start('ticker')).rejects.toThrow(
      "RoutinesRegistry.start('ticker'): the app is shutting down",
    );
  });
});

describe('routines added and removed at run time', () => {
  it('add() a periodic routine: it runs on the module clock, is listed as removable, and stops with the app', async () => {
    const { registry, clock, close, events } = await boot();
    const runs: number[] = [];
    const info = registry.add('tenant-42-sync', () => void runs.push(clock.wallNow()), {
      interval: '5m',
      description: 'sync tenant 42',
    });
    expect(info).toMatchObject({
      name: 'tenant-42-sync',
      kind: 'periodic',
      state: 'running',
      schedule: 'every 5m',
      source: "RoutinesRegistry.add('tenant-42-sync')",
      removable: true,
      description: 'sync tenant 42',
    });
    expect(registry.get('ticker').removable).toBe(false);
    await clock.advance(10 * MINUTE);
    expect(runs).toEqual([T0, T0 + 5 * MINUTE, T0 + 10 * MINUTE]);
    expect(events.some((e) => e.routine === 'tenant-42-sync' && e.type === 'run-succeeded')).toBe(
      true,
    );

    await close();
    expect(registry.get('tenant-42-sync').state).toBe('stopped');
  });

  it('add() checks the routine as a decorated one is checked: every problem named at once', async () => {
    const { registry } = await boot();
    const attempt = () =>
      registry.add('bad', () => undefined, { interval: '5 minutes please', concurrency: 0 });
    expect(attempt).toThrow(RoutinesConfigurationError);
    expect(attempt).toThrow(
      /RoutinesRegistry\.add\('bad'\).*option 'interval' = '5 minutes please'/,
    );
    expect(attempt).toThrow(/option 'concurrency' = 0/);
    expect(() => registry.add('ticker', () => undefined, { interval: '1m' })).toThrow(
      /RoutinesRegistry\.add\('ticker'\).*option 'name' = 'ticker' is already the name of a routine/,
    );
    expect(() => registry.add('nothing', 42 as never, { interval: '1m' })).toThrow(
      /option 'handler' = 42/,
    );
    expect(() => registry.add('no-interval', () => undefined, {})).toThrow(/option 'interval'/);
    expect(registry.has('bad')).toBe(false);
  });

  it('remove() stops an added routine, waits for its run in flight, then forgets it; decorated ones refuse', async () => {
    const { registry, clock } = await boot();
    const gate = deferred();
    let finished = false;
    registry.add(
      'slow-import',
      async () => {
        await gate.promise;
        finished = true;
      },
      { interval: '1h' },
    );
    await clock.advance(0);
    expect(registry.get('slow-import').inFlight).toBe(1);
    const removing = registry.remove('slow-import');
    await Promise.resolve();
    expect(registry.has('slow-import')).toBe(true); // still draining
    gate.resolve();
    await removing;
    expect(finished).toBe(true);
    expect(registry.has('slow-import')).toBe(false);

    await expect(registry.remove('ticker')).rejects.toThrow(
      "RoutinesRegistry.remove('ticker'): 'ticker' is declared on Jobs.tick; only routines added with add() can be removed. stop('ticker') stops it",
    );
    await expect(registry.remove('nope')).rejects.toThrow(RoutineNotFoundError);
  });

  it('a one-shot delayed task: a background routine with initialDelay runs once, then is completed', async () => {
    const { registry, clock } = await boot();
    let runs = 0;
    registry.add('warm-cache', async () => void runs++, {
      kind: 'background',
      initialDelay: '10s',
    });
    expect(registry.get('warm-cache')).toMatchObject({ state: 'delayed', nextRunAt: T0 + 10_000 });
    await clock.advance(9_999);
    expect(runs).toBe(0);
    await clock.advance(1);
    expect(runs).toBe(1);
    expect(registry.get('warm-cache')).toMatchObject({ state: 'completed', nextRunAt: undefined });
    await clock.advance(60 * MINUTE);
    expect(runs).toBe(1);
  });

  it('a delayed task the app stops before its delay never runs', async () => {
    @Injectable()
    class Seeder {
      runs = 0;
      @BackgroundRoutine({ name: 'seed', initialDelay: '30s' })
      async seed(): Promise<void> {
        this.runs++;
      }
    }
    const { app, registry, close, clock } = await boot([Seeder]);
    expect(registry.get('seed').state).toBe('delayed');
    await close();
    await clock.advance(MINUTE);
    expect(app.get(Seeder).runs).toBe(0);
    expect(registry.get('seed').state).toBe('stopped');
  });
});

describe('warnings where silence misleads', () => {
  it('a background routine whose start returns at once, with no stop(), is named in a warning', async () => {
    @Injectable()
    class Poller {
      timer: NodeJS.Timeout | undefined;
      @BackgroundRoutine({ name: 'poller' })
      poll(): void {
        this.timer = setInterval(() => undefined, 60_000); // nothing would ever stop this
        clearInterval(this.timer); // (the test's own cleanup)
      }
    }
    const { logger, registry } = await boot([Poller]);
    const warnings = logger.at('warn').filter((entry) => entry.context === 'poller');
    expect(warnings.map((entry) => entry.message)).toEqual([
      expect.stringContaining(
        'start() returned at once, without a promise, and the routine has no stop()',
      ),
    ]);
    // An async routine that returns, or one with a stop(), is not warned about.
    expect(logger.at('warn').filter((entry) => entry.context === 'worker')).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(registry.get('poller').state).toBe('completed');
  });

  it('a cluster routine added at run time on the in-memory coordinator is named in a warning', async () => {
    const { registry, logger } = await boot();
    registry.add('nightly-sync', () => undefined, { interval: '1h', scope: 'cluster' });
    expect(logger.at('warn').map((entry) => entry.message)).toContainEqual(
      expect.stringContaining('nightly-sync run on the in-memory coordinator'),
    );
  });

  it('a shutdownTimeout under 100 ms is named in a warning (SHUTDOWN_TIMEOUT=10 is 10 ms)', async () => {
    const { logger } = await bootTesting({
      imports: [RoutinesModule.forRoot({ shutdownTimeout: 10 })],
      providers: [],
    });
    expect(logger.at('warn').map((entry) => entry.message)).toContainEqual(
      expect.stringContaining('shutdownTimeout is 10, that is 10 ms'),
    );
  });
});
