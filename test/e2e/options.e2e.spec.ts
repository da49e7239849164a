import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { CronExpression } from '@nestjs/schedule';
import {
  BackgroundRoutine,
  Periodic,
  RoutinesConfigurationError,
  RoutinesModule,
} from 'nestjs-routines';
import { ManualClock } from 'nestjs-routines/testing';
import {
  bootstraps,
  bootTesting,
  closeAll,
  createTestingApp,
  nextEvent,
  sleep,
  waitFor,
} from './support/e2e';

afterEach(closeAll);

/** Rejects with the signal's reason once it aborts; rejects with 'no abort' after `ms`. */
function untilAborted(signal: AbortSignal, ms = 1000): Promise<void> {
  return new Promise((_, reject) => {
    const timer = setTimeout(() => reject(new Error('no abort')), ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

describe('option precedence: module options > decorator > defaults', () => {
  @Injectable()
  class Tuned {
    intervalRuns = 0;
    runStarts = 0;
    offRuns = 0;
    onRuns = 0;
    fragileStarts = 0;

    @Periodic('1h', { name: 'tuned-interval', runOnStart: false })
    everyHourByDecorator(): void {
      this.intervalRuns++;
    }

    @Periodic('1h', { name: 'tuned-run', runOnStart: false, concurrency: 1, timeout: '1h' })
    async slow(signal: AbortSignal): Promise<void> {
      this.runStarts++;
      await untilAborted(signal);
    }

    @Periodic(20, { name: 'switched-off' })
    off(): void {
      this.offRuns++;
    }

    @Periodic(20, { name: 'switched-on', enabled: false })
    on(): void {
      this.onRuns++;
    }

    @BackgroundRoutine({
      name: 'fragile',
      restart: { maxRestarts: 10, within: '1m', initialDelay: 5, maxDelay: 5 },
    })
    async fragile(): Promise<void> {
      this.fragileStarts++;
      throw new Error('fragile failed');
    }
  }

  @Injectable()
  class Decorated {
    defaultRuns = 0;
    decoratedRuns = 0;

    @Periodic('1h', { name: 'defaults' })
    withDefaults(): void {
      this.defaultRuns++;
    }

    @Periodic('1h', { name: 'decorated', runOnStart: false, concurrency: 2 })
    async decorated(): Promise<void> {
      this.decoratedRuns++;
      await sleep(50);
    }
  }

  const overrides = RoutinesModule.forRoot({
    routines: {
      'tuned-interval': { interval: 25 },
      'tuned-run': { concurrency: 3, timeout: 30 },
      'switched-off': { enabled: false },
      'switched-on': { enabled: true },
      fragile: { restart: false },
    },
  });

  it('module interval overrides the decorator’s: intervalMs and actual runs follow it', async () => {
    const { app, registry } = await bootTesting({ imports: [overrides], providers: [Tuned] });

    expect(registry.get('tuned-interval')).toMatchObject({
      intervalMs: 25,
      schedule: 'every 25ms',
      state: 'running',
    });
    await waitFor(() => app.get(Tuned).intervalRuns >= 3, 'three runs 25 ms apart');
  });

  it('module concurrency and timeout override the decorator’s', async () => {
    const { app, registry } = await bootTesting({ imports: [overrides], providers: [Tuned] });
    expect(registry.get('tuned-run').concurrency).toBe(3);

    const startedAt = Date.now();
    // Concurrency 3 (decorator: 1): three runs at once, the fourth is skipped as busy.
    const runs = [1, 2, 3].map(() => registry.trigger('tuned-run'));
    const fourth = await registry.trigger('tuned-run');
    expect(fourth).toMatchObject({ status: 'skipped', reason: 'busy' });
    expect(app.get(Tuned).runStarts).toBe(3);

    // Timeout 30 ms (decorator: 1h): each run's signal aborts with a TimeoutError.
    const outcomes = await Promise.all(runs);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatchObject({ name: 'TimeoutError' });
    }
    // Nowhere near the decorator's 1h: 30 ms runs, with a margin for a busy machine (900 ms
    // held on a quiet one).
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });

  it('module `enabled` overrides the decorator’s, both ways', async () => {
    const { app, registry } = await bootTesting({ imports: [overrides], providers: [Tuned] });
    const tuned = app.get(Tuned);

    expect(registry.get('switched-off')).toMatchObject({ state: 'disabled', enabled: false });
    expect(registry.get('switched-on')).toMatchObject({ state: 'running', enabled: true });
    await waitFor(() => tuned.onRuns >= 3, 'switched-on to run on its own');
    expect(tuned.offRuns).toBe(0);
  });

  it('module `restart: false` overrides the decorator’s restart policy', async () => {
    const { app, registry } = await createTestingApp({ imports: [overrides], providers: [Tuned] });
    const failed = nextEvent(registry, (e) => e.routine === 'fragile' && e.type === 'failed');
    await app.init();

    await failed;
    await sleep(40); // the decorator's policy would have restarted it several times by now
    expect(app.get(Tuned).fragileStarts).toBe(1);
    expect(registry.get('fragile')).toMatchObject({
      state: 'failed',
      counters: { failures: 1, restarts: 0 },
    });
  });

  it('decorator options override the defaults', async () => {
    const bootedAt = Date.now();
    const { app, registry } = await bootTesting({
      imports: [RoutinesModule.forRoot()],
      providers: [Decorated],
    });
    const decorated = app.get(Decorated);

    // Defaults: runOnStart true (runs at boot), concurrency 1.
    await waitFor(() => decorated.defaultRuns === 1, 'the default first run');
    expect(registry.get('defaults')).toMatchObject({ concurrency: 1, intervalMs: 3_600_000 });

    // Decorated: runOnStart false (first run one interval away), concurrency 2.
    expect(decorated.decoratedRuns).toBe(0);
    const info = registry.get('decorated');
    expect(info.concurrency).toBe(2);
    expect(info.nextRunAt! - bootedAt).toBeGreaterThanOrEqual(3_600_000 - 1000);
    const two = [registry.trigger('decorated'), registry.trigger('decorated')];
    await expect(registry.trigger('decorated')).resolves.toMatchObject({
      status: 'skipped',
      reason: 'busy',
    });
    for (const outcome of await Promise.all(two)) expect(outcome.status).toBe('succeeded');
  });
});

describe('interval from configuration', () => {
  @Injectable()
  class Janitor {
    runs: number[] = [];
    @Periodic({ name: 'janitor' })
    sweep(): void {
      this.runs.push(Date.now());
    }
  }

  it.each(bootstraps)(
    'forRootAsync with ConfigModule/ConfigService supplies the interval (%s)',
    async (_label, boot) => {
      const { app, registry } = await boot({
        imports: [
          RoutinesModule.forRootAsync({
            imports: [
              ConfigModule.forRoot({
                ignoreEnvFile: true,
                load: [() => ({ JANITOR_INTERVAL: '250ms' })],
              }),
            ],
            inject: [ConfigService],
            useFactory: (config: ConfigService) => ({
              routines: { janitor: { interval: config.getOrThrow<string>('JANITOR_INTERVAL') } },
            }),
          }),
        ],
        providers: [Janitor],
      });

      const info = registry.get('janitor');
      expect(info).toMatchObject({ intervalMs: 250, schedule: 'every 250ms', state: 'running' });
      await waitFor(() => app.get(Janitor).runs.length >= 1, 'the first run');
      const first = registry.get('janitor');
      // On the 250 ms grid: one interval on, more if a busy machine made a tick late (it is
      // skipped), give or take the wall-clock offset (see the note in decorators.e2e.spec.ts).
      const apart = first.nextRunAt! - first.lastRun!.dueAt;
      expect(Math.round(apart / 250)).toBeGreaterThanOrEqual(1);
      expect(Math.abs(apart - Math.round(apart / 250) * 250)).toBeLessThan(1.5);
    },
  );

  it('@Periodic({ name }) without an interval takes it from the module options', async () => {
    const { app, registry } = await bootTesting({
      imports: [RoutinesModule.forRoot({ routines: { janitor: { interval: 30 } } })],
      providers: [Janitor],
    });
    expect(registry.get('janitor').intervalMs).toBe(30);
    await waitFor(() => app.get(Janitor).runs.length >= 3, 'three runs');
  });

  it('module options take what the decorator takes: an interval and a concurrency as functions', async () => {
    // RoutineOverrides once declared `interval` and `concurrency` narrower than PeriodicOptions
    // (no functions), although the module passed them on as the decorator's: now one type.
    let reads = 0;
    const { app, registry } = await bootTesting({
      imports: [
        RoutinesModule.forRoot({
          routines: {
            janitor: { interval: () => (reads++, 30), concurrency: () => 2, overlap: 'allow' },
          },
        }),
      ],
      providers: [Janitor],
    });
    await waitFor(() => app.get(Janitor).runs.length >= 2, 'two runs');
    expect(reads).toBeGreaterThan(0);
    expect(registry.get('janitor').state).toBe('running');
  });

  it('@Periodic({ name }) with no interval anywhere fails bootstrap with a clear error', async () => {
    const { app } = await createTestingApp({
      imports: [RoutinesModule.forRoot()],
      providers: [Janitor],
    });
    const error = await app.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RoutinesConfigurationError);
    const message = (error as Error).message;
    expect(message).toContain('Janitor.sweep');
    expect(message).toContain("routine 'janitor'");
    expect(message).toContain("option 'interval'");
    expect(message).toContain('is missing');
    expect(app.get(Janitor).runs).toHaveLength(0);
  });
});

describe('disabled routines', () => {
  @Injectable()
  class Dormant {
    byDecorator = 0;
    byModule = 0;

    @Periodic(20, { name: 'off-by-decorator', enabled: false })
    one(): void {
      this.byDecorator++;
    }

    @Periodic(20, { name: 'off-by-module' })
    two(): void {
      this.byModule++;
    }
  }

  it('are listed as disabled, never run on their own, and still run on trigger()', async () => {
    const { app, registry } = await bootTesting({
      imports: [RoutinesModule.forRoot({ routines: { 'off-by-module': { enabled: false } } })],
      providers: [Dormant],
    });
    const dormant = app.get(Dormant);

    for (const name of ['off-by-decorator', 'off-by-module']) {
      expect(registry.list().find((info) => info.name === name)).toMatchObject({
        state: 'disabled',
        enabled: false,
        nextRunAt: undefined,
      });
    }
    await sleep(100); // five intervals
    expect(dormant.byDecorator).toBe(0);
    expect(dormant.byModule).toBe(0);
    expect(registry.get('off-by-module').counters.runs).toBe(0);

    await expect(registry.trigger('off-by-decorator')).resolves.toMatchObject({
      status: 'succeeded',
    });
    await expect(registry.trigger('off-by-module')).resolves.toMatchObject({
      status: 'succeeded',
    });
    expect(dormant.byDecorator).toBe(1);
    expect(dormant.byModule).toBe(1);
    expect(registry.get('off-by-module')).toMatchObject({
      state: 'disabled',
      counters: { runs: 1 },
    });
    await sleep(60);
    expect(dormant.byDecorator + dormant.byModule).toBe(2); // a trigger does not start the schedule
  });
});

describe('cron schedules', () => {
  @Injectable()
  class EverySecond {
    runs = 0;
    @Periodic({ cron: CronExpression.EVERY_SECOND }, { name: 'every-second' })
    tick(): void {
      this.runs++;
    }
  }

  it('accepts CronExpression constants from @nestjs/schedule and runs on second boundaries', async () => {
    const { app, registry } = await createTestingApp({
      imports: [RoutinesModule.forRoot()],
      providers: [EverySecond],
    });
    const ran = nextEvent(
      registry,
      (e) => e.routine === 'every-second' && e.type === 'run-succeeded',
    );
    const bootedAt = Date.now();
    await app.init();

    const info = registry.get('every-second');
    expect(info.schedule).toBe(`cron ${CronExpression.EVERY_SECOND}`);
    expect(info.schedule).toBe('cron * * * * * *');
    expect(info.nextRunAt! % 1000).toBe(0);
    expect(info.nextRunAt!).toBeGreaterThan(bootedAt);
    expect(info.nextRunAt!).toBeLessThanOrEqual(Date.now() + 1000);
    expect(app.get(EverySecond).runs).toBe(0); // cron does not run on start

    const event = await ran;
    expect(event.outcome!.dueAt % 1000).toBe(0);
    expect(app.get(EverySecond).runs).toBe(1);
  });
});

describe('module options that say less than they seem to', () => {
  @Injectable()
  class Sweeper {
    @Periodic('2m', { name: 'sweeper', runOnStart: false })
    sweep(): void {}
  }

  it('an override that is undefined (an unset environment variable) keeps the decorator value', async () => {
    const { registry } = await bootTesting({
      imports: [
        RoutinesModule.forRoot({
          routines: { sweeper: { interval: process.env.NO_SUCH_VARIABLE_XYZ } },
        }),
      ],
      providers: [Sweeper],
    });
    expect(registry.get('sweeper').intervalMs).toBe(120_000);
  });

  it('importing RoutinesModule twice in one app is refused instead of running every routine twice', async () => {
    @Module({ imports: [RoutinesModule.forRoot({ shutdownTimeout: '1s' })] })
    class FeatureModule {}
    const booted = await createTestingApp({
      imports: [RoutinesModule.forRoot(), FeatureModule],
      providers: [Sweeper],
    });
    const failure = await booted.app.init().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RoutinesConfigurationError);
    const message = String((failure as Error).message);
    expect(message).toMatch(/RoutinesModule.*forRoot\/forRootAsync imported twice/);
    expect(message).not.toMatch(/Sweeper/); // names the module, not a provider
  });

  it('one provider instance in two apps, one after the other, runs in each (a shared test fixture)', async () => {
    const runs: string[] = [];
    @Injectable()
    class Fixture {
      label = 'first';
      @Periodic('1h', { name: 'fixture-routine', runOnStart: false })
      run(): void {
        runs.push(this.label);
      }
    }
    const shared = new Fixture();
    const first = await bootTesting({
      imports: [RoutinesModule.forRoot()],
      providers: [{ provide: Fixture, useValue: shared }],
    });
    await first.registry.trigger('fixture-routine');
    await first.close();
    shared.label = 'second';
    const second = await bootTesting({
      imports: [RoutinesModule.forRoot()],
      providers: [{ provide: Fixture, useValue: shared }],
    });
    await expect(second.registry.trigger('fixture-routine')).resolves.toMatchObject({
      status: 'succeeded',
    });
    expect(runs).toEqual(['first', 'second']);
    await second.close();
  });

  it('forRoot({ clock }) drives every routine from a ManualClock: no waiting in tests', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const seen: number[] = [];
    let attempts = 0;
    @Injectable()
    class Clocked {
      @Periodic('1m', { name: 'every-minute', runOnStart: false })
      tick(): void {
        seen.push(clock.wallNow());
      }

      @BackgroundRoutine({
        name: 'flaky',
        restart: { maxRestarts: 5, within: '5m', initialDelay: '10s', maxDelay: '10s' },
      })
      async flaky(): Promise<void> {
        attempts++;
        throw new Error('down');
      }
    }
    const { registry, close } = await bootTesting({
      imports: [RoutinesModule.forRoot({ clock })],
      providers: [Clocked],
    });
    expect(registry.get('every-minute').nextRunAt).toBe(Date.UTC(2026, 0, 1, 12, 1, 0));
    await clock.advance(3 * 60_000);
    expect(seen).toEqual([1, 2, 3].map((m) => Date.UTC(2026, 0, 1, 12, m, 0)));
    // Restarts waited out on the manual clock: the first start, 5 restarts, then failed.
    expect(attempts).toBe(6);
    expect(registry.get('flaky').state).toBe('failed');
    await close();
  });

  it('a clock that is not a Clock is a configuration error naming the option', async () => {
    const booted = await createTestingApp({
      imports: [RoutinesModule.forRoot({ clock: {} as never })],
      providers: [Sweeper],
    });
    const failure = await booted.app.init().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RoutinesConfigurationError);
    expect(String((failure as Error).message)).toMatch(/option 'clock'.*must implement the Clock/);
  });
});
