import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  InMemoryCoordinator,
  Periodic,
  RoutinesModule,
  RoutinesRegistry,
  type Coordinator,
  type StoredControls,
} from 'nestjs-routines';
import { RoutinesCluster, RoutinesDashboardModule } from 'nestjs-routines/dashboard';
import { ManualClock } from 'nestjs-routines/testing';
import { bootTesting, closeAll } from './support/e2e';

afterEach(closeAll);

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

@Injectable()
class Ticker {
  runs = 0;

  @Periodic('1s', { name: 'ticker', scope: 'cluster' })
  tick(): void {
    this.runs++;
  }
}

/**
 * A shared engine (not the in-memory kind, which the controls never share) over an in-memory
 * coordinator, whose stored controls cannot be read `failures` times: an engine not yet
 * connected when the app boots, as an ioredis client without an offline queue is.
 */
function engineFailingReads(inner: InMemoryCoordinator, failures: number): Coordinator {
  let left = failures;
  const controls: StoredControls = {
    set: (routine, control) => inner.controls.set(routine, control),
    all: () =>
      left-- > 0 ? Promise.reject(new Error('connection is closed')) : inner.controls.all(),
  };
  return new Proxy(inner, {
    get: (target, key) =>
      key === 'kind' ? 'flaky' : key === 'controls' ? controls : Reflect.get(target, key),
  }) as Coordinator;
}

async function boot(coordinator: Coordinator, clock: ManualClock, pollControls = '1s') {
  const booted = await bootTesting({
    imports: [
      RoutinesModule.forRoot({ coordinator, clock }),
      RoutinesDashboardModule.forRoot({ replicas: { pollControls, publishEvery: '5s' } }),
    ],
    providers: [Ticker],
  });
  return { ...booted, ticker: booted.app.get(Ticker), registry: booted.app.get(RoutinesRegistry) };
}

describe('the controls kept by the coordinator, when the first read fails', () => {
  it('a cluster routine paused on every replica never runs on a replica that could not read the controls at boot', async () => {
    const clock = new ManualClock(T0);
    const inner = new InMemoryCoordinator(clock);
    const first = await boot(engineFailingReads(inner, 0), clock);
    await first.app.get(RoutinesCluster).pause('ticker', { note: 'INC-9' });
    await first.app.close();

    // The next read is 3 s later: three due times of the routine come first.
    const later = await boot(engineFailingReads(inner, 1), clock, '3s');
    for (let second = 0; second < 5; second++) await clock.advance(1000);
    expect(later.ticker.runs).toBe(0);
    expect(later.registry.get('ticker')).toMatchObject({
      state: 'paused',
      paused: expect.objectContaining({ note: 'INC-9' }),
    });
  });

  it('a routine with no pause kept is held until the controls are read, then runs', async () => {
    const clock = new ManualClock(T0);
    const inner = new InMemoryCoordinator(clock);
    const { ticker, registry, logger } = await boot(engineFailingReads(inner, 2), clock);
    await clock.advance(0);
    expect(ticker.runs).toBe(0);
    expect(registry.get('ticker').state).toBe('paused');
    expect(registry.get('ticker').paused?.note).toContain('controls');
    await clock.advance(1000); // the second read fails too
    expect(ticker.runs).toBe(0);
    await clock.advance(1000); // read: nothing kept for it
    await clock.advance(1000);
    expect(registry.get('ticker').state).toBe('running');
    expect(ticker.runs).toBeGreaterThan(0);
    const lines = logger.entries.map((entry) => String(entry.message));
    expect(lines.filter((line) => line.includes('held'))).toHaveLength(2);
  });
});
