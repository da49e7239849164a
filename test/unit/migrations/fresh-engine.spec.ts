/**
 * A brand-new PostgreSQL database: the coordinator holds every lease back for a ttl after its
 * tables were created (it cannot tell a new database from one that lost its state). That is a
 * refusal the engine answered, not an outage: logged once, however many routines share the
 * engine and whatever else answers meanwhile (here a cluster periodic routine, whose claims
 * succeed every second).
 */
import {
  InMemoryCoordinator,
  ManualClock,
  PeriodicRoutine,
  SupervisedRoutine,
} from '../../../lib/core';
import type { Coordinator } from '../../../lib/core';
import { CoordinatorStateLostError } from '../../../lib/redis';
import { InMemoryMigrationStore, MigrationRunner } from '../../../lib/migrations';
import { recordingLogger } from '../core/helpers';

const T0 = Date.UTC(2026, 11, 7, 12);
const TTL = 15_000;

/** A new database: every acquire is refused (since T0) until the ttl has passed. */
function newDatabase(clock: ManualClock): Coordinator {
  const inner = new InMemoryCoordinator(clock);
  return {
    kind: 'postgres',
    claimSlot: (routine, slot, ttl) => inner.claimSlot(routine, slot, ttl),
    acquireLease: (routine, ttl) =>
      clock.wallNow() < T0 + TTL
        ? Promise.reject(new CoordinatorStateLostError('postgres', routine, T0, 'lease', ttl))
        : inner.acquireLease(routine, ttl),
    renewLease: (lease, ttl) => inner.renewLease(lease, ttl),
    releaseLease: (lease) => inner.releaseLease(lease),
  };
}

it('logs the hold-back of a new database once, while other calls succeed, and then runs', async () => {
  const clock = new ManualClock(T0);
  const coordinator = newDatabase(clock);
  const logger = recordingLogger();
  let done = 0;
  const store = new InMemoryMigrationStore(() => clock.wallNow());
  const runner = new MigrationRunner(
    store,
    [
      {
        id: 'fill',
        description: 'fill',
        intervalMs: 1000,
        nonDestructive: true,
        migrator: { progress: () => done / 5, up: () => void done++ },
      },
    ],
    { clock, logger },
  );
  const migrations = new SupervisedRoutine(
    (signal, context) => runner.run(signal, context.epoch ?? 0),
    {
      name: 'out-of-band-migrations',
      scope: 'cluster',
      coordinator,
      clock,
      logger,
      lease: { ttl: TTL },
    },
  );
  const ticker = new PeriodicRoutine(() => undefined, {
    name: 'ticker',
    interval: '1s',
    scope: 'cluster',
    coordinator,
    clock,
    logger,
  });
  migrations.start();
  ticker.start();
  await clock.advance(TTL + 8000);
  const heldBack = logger.messages('warn').filter((line) => line.includes('lost its state'));
  expect(heldBack).toHaveLength(1);
  expect(logger.messages('log').filter((line) => line.includes('answers again'))).toHaveLength(0);
  expect(done).toBe(5); // it took the lease once the ttl had passed, and ran
  await Promise.all([migrations.stop(), ticker.stop()]);
});
