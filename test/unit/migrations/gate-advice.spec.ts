/**
 * The boot gate's refusal says what holds each required migration back, from what this replica
 * can read: the stored state (last measure, rate, errors) and whether it drives it here. Only
 * advice that can work: "wait longer" only while some replica is seen driving it.
 */
import { ManualClock } from '../../../lib/core/manual-clock';
import type { MigrationInfo } from '../../../lib/migrations';
import { passMigrationGate } from '../../../lib/migrations/migrations.gate';
import type { RoutinesMigrations } from '../../../lib/migrations/routines-migrations';

const NOW = Date.UTC(2026, 11, 7, 12);
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

function refusal(
  info: Partial<MigrationInfo>,
  local: { intervalMs?: number; drivenHere?: number } = { intervalMs: 1000 },
  waitMs = 0,
): Promise<string> {
  const migration: MigrationInfo = {
    id: 'fill',
    description: 'fill',
    progress: 0.25,
    direction: 'forward',
    complete: false,
    nonDestructive: false,
    declared: true,
    createdAt: NOW - 3_600_000,
    errors: [],
    ...info,
  };
  const migrations = {
    list: async () => [migration],
    local: () => local,
  } as unknown as RoutinesMigrations;
  const clock = new ManualClock(NOW);
  const gate = passMigrationGate(['fill'], waitMs, migrations, async () => undefined, clock, quiet);
  void clock.advance(waitMs + 1000);
  return gate.then(
    () => 'passed',
    (error: Error) => error.message.replace(/^.*not complete: /, ''),
  );
}

describe('the boot gate names what holds a migration back', () => {
  it('driven elsewhere: let it finish, or wait longer than its time left', async () => {
    expect(await refusal({ updatedAt: NOW - 2000, etaMs: 90_000, ratePerMinute: 0.5 })).toBe(
      "'fill' 25%, about 2m left at its recent rate; driven by another replica that declares it and holds its lease (measured 2s ago): let it finish, or wait longer than that",
    );
  });

  it('driven by none: never measured, or not lately; wait to run it here, or why waiting did not help', async () => {
    expect(await refusal({ progress: 0 })).toBe(
      "'fill' 0%; no replica drives it (never measured): no running replica that declares it holds its lease. Give RoutinesModule migrations: { wait: '10m' } to run it here first",
    );
    expect(await refusal({ updatedAt: NOW - 60_000 }, { intervalMs: 1000 }, 5000)).toMatch(
      /^'fill' 25%; no replica drives it \(last measured 1m ago\) although this one waited for its lease: another replica that declares it holds the lease and measures nothing/,
    );
  });

  it('failing: its last error, and fix the cause; a migration that still moves only notes it', async () => {
    const error = { message: 'deadlock detected', at: NOW - 5000 };
    expect(await refusal({ updatedAt: NOW - 4000, errors: [error] })).toBe(
      "'fill' 25%; last error: deadlock detected (5s ago): its batches fail, and the replica that holds its lease retries at its pace; fix the cause",
    );
    expect(
      await refusal({ updatedAt: NOW - 100, etaMs: 30_000, ratePerMinute: 1, errors: [error] }),
    ).toBe(
      "'fill' 25%, about 30s left at its recent rate; last error: deadlock detected (5s ago); driven by another replica that declares it and holds its lease (measured just now): let it finish, or wait longer than that",
    );
  });

  it('driven here when the wait ran out; not declared by this version', async () => {
    expect(
      await refusal({ updatedAt: NOW, etaMs: 30_000 }, { intervalMs: 1000, drivenHere: 42 }, 5000),
    ).toMatch(/; driven here \(lease epoch 42\): give migrations\.wait more than that$/);
    expect(await refusal({ declared: false, updatedAt: NOW - 1000 }, {})).toBe(
      "'fill' 25%; this version does not declare it, so only a replica of a version that declares it can run it; driven by another replica that declares it and holds its lease (measured 1s ago): let it finish",
    );
    expect(await refusal({ declared: false }, {})).toBe(
      "'fill' 25%; this version does not declare it, so only a replica of a version that declares it can run it, and none does now",
    );
  });
});
