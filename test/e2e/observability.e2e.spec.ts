import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  BackgroundRoutine,
  Periodic,
  RoutinesConfigurationError,
  RoutinesModule,
} from 'nestjs-routines';
import { ManualClock } from 'nestjs-routines/testing';
import { bootTesting, closeAll, createTestingApp } from './support/e2e';

afterEach(closeAll);

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
