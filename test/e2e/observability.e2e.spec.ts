import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  BackgroundRoutine,
  Periodic,
  RoutinesConfigurationError,
  RoutinesModule,
} from 'nestjs-routines';
import { ManualClock } from 'nestjs-routines/testing';
import { Registry, register as promRegister } from 'prom-client';
import { bootTesting, closeAll, createTestingApp } from './support/e2e';

afterEach(closeAll);

/** Waits `ms` on the manual clock, or until `signal` aborts (shutdown). */
function sleepOn(clock: ManualClock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimer(clock.now() + ms, resolve);
    signal?.addEventListener('abort', () => resolve());
  });
}

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

@Injectable()
class Importer {
  calls = 0;

  @Periodic('1m', { name: 'importer' })
  async import(): Promise<void> {
    this.calls++;
    if (this.calls % 3 === 0) throw new Error(`row ${this.calls} is malformed`);
  }

  @BackgroundRoutine({ name: 'flaky-worker', restart: { initialDelay: '1s', maxRestarts: 10 } })
  async work(): Promise<void> {
    throw new Error('broker unreachable');
  }
}

async function boot(history?: number) {
  const clock = new ManualClock(T0);
  const booted = await bootTesting({
    imports: [RoutinesModule.forRoot({ clock, history })],
    providers: [Importer],
  });
  await clock.advance(0);
  return { ...booted, clock };
}

describe('run history, stats and health through the registry', () => {
  it('history(name) lists the last runs newest first, as JSON-safe records', async () => {
    const { registry, clock } = await boot();
    await clock.advance(5 * 60_000);
    const history = registry.history('importer');
    expect(history.map((run) => [run.id, run.status])).toEqual([
      [6, 'failed'],
      [5, 'succeeded'],
      [4, 'succeeded'],
      [3, 'failed'],
      [2, 'succeeded'],
      [1, 'succeeded'],
    ]);
    expect(history[0]).toEqual({
      id: 6,
      status: 'failed',
      dueAt: T0 + 5 * 60_000,
      startedAt: T0 + 5 * 60_000,
      durationMs: 0,
      error: { name: 'Error', message: 'row 6 is malformed' },
    });
    expect(JSON.parse(JSON.stringify(history))).toEqual(history);
    expect(registry.history('importer', { limit: 2 })).toHaveLength(2);
  });

  it('get(name) has stats over the kept runs and health flags', async () => {
    const { registry, clock } = await boot();
    await clock.advance(5 * 60_000);
    expect(registry.get('importer')).toMatchObject({
      stats: {
        runs: 6,
        succeeded: 4,
        failures: 2,
        cancelled: 0,
        skipped: {},
        durationMs: { min: 0, avg: 0, p50: 0, p95: 0, max: 0 },
      },
      health: { late: false, slow: false, consecutiveFailures: 1 },
    });
  });

  it('records background attempts with the restart delay after each failure', async () => {
    const { registry, clock } = await boot();
    await clock.advance(10_000);
    const attempts = registry.history('flaky-worker');
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.every((attempt) => attempt.status === 'failed')).toBe(true);
    expect(attempts[1].restartDelayMs).toBeGreaterThan(0);
    expect(attempts[1].error).toEqual({ name: 'Error', message: 'broker unreachable' });
    expect(registry.get('flaky-worker').health.consecutiveFailures).toBe(attempts.length);
  });

  it('history: 0 keeps nothing: no records, no stats; health still answers', async () => {
    const { registry, clock } = await boot(0);
    await clock.advance(60_000);
    expect(registry.history('importer')).toEqual([]);
    expect(registry.get('importer').stats).toBeUndefined();
    expect(registry.get('importer').health).toEqual({
      late: false,
      slow: false,
      consecutiveFailures: 0,
    });
  });

  it('keeps at most `history` runs per routine', async () => {
    const { registry, clock } = await boot(3);
    await clock.advance(10 * 60_000);
    expect(registry.history('importer').map((run) => run.id)).toEqual([11, 10, 9]);
    expect(registry.get('importer').stats?.runs).toBe(3);
  });

  it.each([-1, 1.5, '100', 10_001])(
    'refuses history = %p with the option named',
    async (history) => {
      const booted = await createTestingApp({
        imports: [RoutinesModule.forRoot({ history: history as number })],
        providers: [Importer],
      });
      const init = booted.app.init();
      await expect(init).rejects.toThrow(RoutinesConfigurationError);
      await expect(init).rejects.toThrow(
        /RoutinesModule options: option 'history' = .* must be a whole number of runs kept per routine, from 0 \(none\) to 10000/,
      );
    },
  );
});

describe('Prometheus metrics (metrics option)', () => {
  @Injectable()
  class Jobs {
    calls = 0;
    @Periodic('1m', { name: 'importer' })
    async import(signal: AbortSignal): Promise<void> {
      this.calls++;
      await sleepOn(this.clock, 1_500, signal);
      if (this.calls % 3 === 0) throw new Error('malformed row');
    }
    @Periodic('10s', { name: 'busy', runOnStart: true })
    async busy(signal: AbortSignal): Promise<void> {
      await sleepOn(this.clock, 25_000, signal);
    }
    /** Fails every attempt: restarted 3 times within the hour, then failed for good. */
    @BackgroundRoutine({
      name: 'worker',
      restart: { initialDelay: '1s', maxRestarts: 3, within: '1h' },
    })
    async work(): Promise<void> {
      throw new Error('no broker');
    }
    constructor(readonly clock: ManualClock) {}
  }

  async function bootWithMetrics(metrics: unknown) {
    const clock = new ManualClock(T0);
    const booted = await bootTesting({
      imports: [RoutinesModule.forRoot({ clock, metrics: metrics as true })],
      providers: [Jobs, { provide: ManualClock, useValue: clock }],
    });
    await clock.advance(0);
    return { ...booted, clock };
  }

  /** Every sample of the text exposition, parsed: `name{labels} value`. */
  async function samples(registry: Registry): Promise<Map<string, number>> {
    const text = await registry.metrics();
    const parsed = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`unparsable exposition line: ${line}`);
      parsed.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
    }
    return parsed;
  }

  it('counts runs by outcome, durations, skips by reason, restarts, and reads gauges at scrape', async () => {
    const registry = new Registry();
    const { clock } = await bootWithMetrics({ registry });
    await clock.advance(3 * 60_000 + 1_500);
    const m = await samples(registry);
    expect(m.get('routines_runs_total{routine="importer",status="succeeded"}')).toBe(3);
    expect(m.get('routines_runs_total{routine="importer",status="failed"}')).toBe(1);
    expect(
      m.get('routines_run_duration_seconds_count{routine="importer",status="succeeded"}'),
    ).toBe(3);
    expect(m.get('routines_run_duration_seconds_sum{routine="importer",status="succeeded"}')).toBe(
      4.5,
    );
    expect(
      m.get('routines_run_duration_seconds_bucket{le="2.5",routine="importer",status="succeeded"}'),
    ).toBe(3);
    expect(
      m.get('routines_run_duration_seconds_bucket{le="1",routine="importer",status="succeeded"}'),
    ).toBe(0);
    // 'busy' runs 25 s every 10 s: of the 18 ticks after its first, 12 found it busy.
    expect(m.get('routines_skipped_total{routine="busy",reason="busy"}')).toBe(12);
    expect(m.get('routines_in_flight{routine="busy"}')).toBe(1);
    expect(m.get('routines_state{routine="importer",state="running"}')).toBe(1);
    expect(m.get('routines_state{routine="importer",state="paused"}')).toBe(0);
    expect(m.get('routines_restarts_total{routine="worker"}')).toBe(3);
    expect(m.get('routines_runs_total{routine="worker",status="failed"}')).toBe(4);
    expect(m.get('routines_state{routine="worker",state="failed"}')).toBe(1);
    expect(m.get('routines_last_run_timestamp_seconds{routine="importer",status="failed"}')).toBe(
      (T0 + 2 * 60_000 + 1_500) / 1000,
    );
    // Never an error message or a slot in a label.
    expect(await registry.metrics()).not.toMatch(/malformed|no broker/);
  });

  it('a routine removed at run time leaves no series behind', async () => {
    const registry = new Registry();
    const { clock, registry: routines } = await bootWithMetrics({ registry });
    routines.add('tenant-7-sync', () => undefined, { interval: '1m' });
    await clock.advance(0);
    expect(await registry.metrics()).toContain('routine="tenant-7-sync"');
    await routines.remove('tenant-7-sync');
    expect(await registry.metrics()).not.toContain('tenant-7-sync');
  });

  it('metrics: true registers in the default registry, and closing the app takes them out', async () => {
    const first = await bootWithMetrics(true);
    expect(promRegister.getSingleMetric('routines_runs_total')).toBeDefined();
    await first.close();
    expect(promRegister.getSingleMetric('routines_runs_total')).toBeUndefined();
    const second = await bootWithMetrics(true); // a later app registers again
    expect(promRegister.getSingleMetric('routines_runs_total')).toBeDefined();
    await second.close();
  });

  it('two apps on one registry at once is a clear error; a prefix separates them', async () => {
    const registry = new Registry();
    await bootWithMetrics({ registry });
    await expect(bootWithMetrics({ registry })).rejects.toThrow(
      /option 'metrics' .* cannot register 'routines_runs_total': that registry has it already .* Give each app its own \{ registry \} or \{ prefix \}/,
    );
    await bootWithMetrics({ registry, prefix: 'second_' });
    expect(registry.getSingleMetric('second_runs_total')).toBeDefined();
  });

  it.each([
    [{ prefix: 'has-dash' }, "option 'metrics.prefix' = 'has-dash'"],
    [{ registry: {} }, "option 'metrics.registry' = 'object' must be a prom-client Registry"],
    ['yes', "option 'metrics' = 'yes' must be true, false or an object of metrics settings"],
  ])('refuses metrics = %p', async (metrics, message) => {
    await expect(bootWithMetrics(metrics)).rejects.toThrow(message);
  });
});
