import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  BackgroundRoutine,
  InMemoryCoordinator,
  Periodic,
  RoutinesModule,
  RoutinesRegistry,
} from 'nestjs-routines';
import type { RoutineContext } from '../../lib/core/run-context';
import { bootTesting, closeAll, createTestingApp, waitFor } from './support/e2e';

/** Cluster background routines that complete, through RoutinesModule: `version` and `resetCompletion`. */
describe('cluster routines in a Nest app', () => {
  afterEach(closeAll);

  const runs: Array<{ app: string; epoch?: number; held: boolean }> = [];
  beforeEach(() => (runs.length = 0));

  const replica = (app: string, coordinator: InMemoryCoordinator, version?: string) => {
    @Injectable()
    class Seeder {
      @BackgroundRoutine({
        name: 'seed',
        scope: 'cluster',
        lease: { ttl: '1s', retryEvery: '50ms' },
      })
      async seed(_signal: AbortSignal, ctx: RoutineContext): Promise<void> {
        runs.push({ app, epoch: ctx.epoch, held: ctx.holdsLease() });
      }

      @Periodic('1h', { name: 'tick', runOnStart: false })
      tick(): void {}
    }
    return bootTesting({
      imports: [RoutinesModule.forRoot({ coordinator, version })],
      providers: [Seeder],
    });
  };

  it('runs a completing cluster routine once across replicas, once per version, and again after resetCompletion', async () => {
    const coordinator = new InMemoryCoordinator();
    const a = await replica('a', coordinator, 'v1');
    const b = await replica('b', coordinator, 'v1');
    const registries = [a, b].map(({ app }) => app.get(RoutinesRegistry));
    await waitFor(
      () => registries.every((registry) => registry.get('seed').state === 'completed'),
      'both replicas completed',
    );
    expect(runs).toHaveLength(1);
    expect(runs[0].held).toBe(true);
    expect(runs[0].epoch).toBeGreaterThan(0);
    await closeAll();

    const c = await replica('c', coordinator, 'v1');
    await waitFor(
      () => c.app.get(RoutinesRegistry).get('seed').state === 'completed',
      'c completed',
    );
    expect(runs).toHaveLength(1); // same version: not again
    await c.app.get(RoutinesRegistry).resetCompletion('seed');
    await expect(c.app.get(RoutinesRegistry).resetCompletion('tick')).rejects.toThrow(
      /'tick' is not a cluster background routine/,
    );
    await closeAll();

    const d = await replica('d', coordinator, 'v1');
    await waitFor(
      () => d.app.get(RoutinesRegistry).get('seed').state === 'completed',
      'd completed',
    );
    expect(runs.map((run) => run.app)).toEqual(['a', 'd']);
    await closeAll();

    const e = await replica('e', coordinator, 'v2');
    await waitFor(
      () => e.app.get(RoutinesRegistry).get('seed').state === 'completed',
      'e completed',
    );
    expect(runs.map((run) => run.app)).toEqual(['a', 'd', 'e']);
  });

  it('refuses a version that is not a string and a lease ttl too short to renew, naming them', async () => {
    @Injectable()
    class Holder {
      @BackgroundRoutine({ name: 'holder', scope: 'cluster' })
      async hold(): Promise<void> {}
    }
    const booted = await createTestingApp({
      imports: [
        RoutinesModule.forRoot({
          version: 42 as never,
          routines: { holder: { lease: { ttl: '500ms' } } },
        }),
      ],
      providers: [Holder],
    });
    const init = booted.app.init();
    await expect(init).rejects.toThrow(/option 'version' = 42 must be a string/);
    await expect(init).rejects.toThrow(/lease\.ttl.*must be at least 1s/);
  });
});
