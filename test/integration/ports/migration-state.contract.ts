import { MIGRATION_SAMPLES, type MigrationStateStore } from '../../../lib/core';
import { useHarness, type PortSetup } from './port-harness';

/** Generous: PostgreSQL creates its tables on the first call, on a machine that may be busy. */
const TIMEOUT = 30_000;

const EPOCH = 1_796_278_565_197_910; // 16 digits, as the coordinators issue: must survive JSON

/**
 * The behaviour every {@link MigrationStateStore} must have; run against each engine:
 * registration that keeps progress and direction, fenced progress, the 100 newest errors,
 * direction, the measures kept for the rate.
 */
export function describeMigrationStateContract(
  name: string,
  setup: PortSetup<MigrationStateStore>,
): void {
  describe(`${name}: the MigrationStateStore contract`, () => {
    const engine = useHarness(setup);
    let store: MigrationStateStore;

    beforeAll(() => {
      store = engine.harness.port();
    });

    it(
      'registers a migration once: progress and direction survive a second registration',
      async () => {
        const before = Date.now();
        await store.register('backfill', 'fill sizes', false);
        expect(await store.setProgress('backfill', 0.25, EPOCH)).toBe(true);
        await store.setDirection('backfill', true);
        await store.register('backfill', 'fill upload sizes', true);
        const [migration] = (await store.list()).filter((m) => m.id === 'backfill');
        expect(migration).toMatchObject({
          id: 'backfill',
          description: 'fill upload sizes',
          progress: 0.25,
          reverse: true,
          nonDestructive: true,
          epoch: EPOCH,
        });
        expect(migration.createdAt).toBeGreaterThanOrEqual(before - 1000);
        expect(migration.createdAt).toBeLessThanOrEqual(Date.now() + 1000);
        // A new direction starts a new rate: the measures of the other direction are gone.
        expect(migration.samples).toEqual([]);
        await store.setDirection('backfill', false);
      },
      TIMEOUT,
    );

    it(
      'refuses progress from a runner older than the last writer, and keeps the recent measures',
      async () => {
        await store.register('fenced', 'fenced writes', false);
        expect(await store.setProgress('fenced', 0.1, EPOCH)).toBe(true);
        expect(await store.setProgress('fenced', 0.2, EPOCH + 1)).toBe(true);
        expect(await store.setProgress('fenced', 0.9, EPOCH)).toBe(false); // stale runner
        expect(await store.setProgress('unknown', 0.5, EPOCH)).toBe(false);
        let [migration] = (await store.list()).filter((m) => m.id === 'fenced');
        expect(migration.progress).toBe(0.2);
        expect(migration.epoch).toBe(EPOCH + 1);
        expect(migration.samples.map(([, progress]) => progress)).toEqual([0.1, 0.2]);
        expect(migration.updatedAt).toBeGreaterThanOrEqual(migration.samples[0][0]);
        for (let i = 0; i < MIGRATION_SAMPLES + 5; i++) {
          await store.setProgress('fenced', i / 100, EPOCH + 1);
        }
        [migration] = (await store.list()).filter((m) => m.id === 'fenced');
        expect(migration.samples).toHaveLength(MIGRATION_SAMPLES);
        expect(migration.samples.at(-1)![1]).toBe((MIGRATION_SAMPLES + 4) / 100);
        expect(migration.samples[0][1]).toBe(5 / 100);
      },
      TIMEOUT,
    );

    it(
      'keeps the 100 newest errors, newest first, per migration',
      async () => {
        await store.register('failing', 'fails', false);
        await store.register('other', 'other', false);
        for (let i = 1; i <= 130; i++) await store.addError('failing', `error ${i}`);
        await store.addError('other', 'only one');
        const errors = await store.errors('failing');
        expect(errors).toHaveLength(100);
        expect(errors[0].message).toBe('error 130');
        expect(errors[99].message).toBe('error 31');
        expect(errors[0].at).toBeGreaterThan(Date.now() - 60_000);
        expect((await store.errors('failing', 3)).map((e) => e.message)).toEqual([
          'error 130',
          'error 129',
          'error 128',
        ]);
        expect((await store.errors('other')).map((e) => e.message)).toEqual(['only one']);
        expect(await store.errors('never')).toEqual([]);
      },
      TIMEOUT,
    );
  });
}
