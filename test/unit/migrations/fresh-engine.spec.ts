/**
 * A brand-new PostgreSQL database: the coordinator holds every lease back for a ttl after its
 * tables were created (it cannot tell a new database from one that lost its state). That is a
 * refusal the engine answered, not an outage: said once, however many routines share the
 * engine and whatever else answers meanwhile (here a cluster periodic routine, whose claims
 * succeed every second). Since issue 25 the coordinator says an engine that holds no state
 * (new, or emptied) in one info line, not a warning; a loss it saw is still a warning.
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

const NOTICE = 'PostgreSQL (schema "routines") holds no routines state (new, or emptied) at ...';

/**
 * A new database (with `notice`, as the coordinator answers one it cannot tell from an emptied
 * one), or one whose loss this process saw (without): every acquire is refused (since T0) until
 * the ttl has passed.
 */
function newDatabase(clock: ManualClock, notice?: string): Coordinator {
  const inner = new InMemoryCoordinator(clock);
  return {
    kind: 'postgres',
    claimSlot: (routine, slot, ttl) => inner.claimSlot(routine, slot, ttl),
    acquireLease: (routine, ttl) =>
      clock.wallNow() < T0 + TTL
        ? Promise.reject(
            new CoordinatorStateLostError('postgres', routine, T0, 'lease', ttl, notice),
          )
        : inner.acquireLease(routine, ttl),
    renewLease: (lease, ttl) => inner.renewLease(lease, ttl),
    releaseLease: (lease) => inner.releaseLease(lease),
  };
}

async function runThroughHoldBack(notice?: string) {
  const clock = new ManualClock(T0);
  const coordinator = newDatabase(clock, notice);
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
  expect(logger.messages('log').filter((line) => line.includes('answers again'))).toHaveLength(0);
  expect(done).toBe(5); // it took the lease once the ttl had passed, and ran
  await Promise.all([migrations.stop(), ticker.stop()]);
  return logger;
}

it('says a new database once, in one info line, no warning, while other calls succeed, and then runs', async () => {
  const logger = await runThroughHoldBack(NOTICE);
  expect(logger.messages('log').filter((line) => line === NOTICE)).toHaveLength(1);
  expect(logger.messages('warn')).toEqual([]);
});

it('warns of a loss it saw once, while other calls succeed, and then runs', async () => {
  const logger = await runThroughHoldBack();
  const heldBack = logger.messages('warn').filter((line) => line.includes('lost its state'));
  expect(heldBack).toHaveLength(1);
});
