import { describeError, RoutinesConfigurationError, type Clock, type RoutineLogger } from '../core';
import type { MigrationInfo } from './migration-info';
import { ADVICE, MESSAGES } from './migrations.messages';
import { MigrationsIncompleteError } from './migrations.errors';
import type { RoutinesMigrations } from './routines-migrations';

/** How often the waiting gate reads the migrations' state again. */
const POLL_MS = 250;

/**
 * Resolves once every required migration is complete forward. Fails closed: state that cannot
 * be read counts as incomplete. With `waitMs`, starts the migrations' routines here (`startRunner`) and reads
 * again every 250 ms until the deadline.
 */
export async function passMigrationGate(
  required: readonly string[],
  waitMs: number,
  migrations: RoutinesMigrations,
  startRunner: () => Promise<void>,
  clock: Clock,
  logger: RoutineLogger,
): Promise<void> {
  if (required.length === 0) return;
  const deadline = clock.now() + waitMs;
  let runnerStarted = false;
  for (;;) {
    let pending: MigrationInfo[] = [];
    let unreadable: string | undefined;
    try {
      pending = await pendingOf(required, migrations);
    } catch (error) {
      if (error instanceof RoutinesConfigurationError) throw error;
      unreadable = describeError(error).message;
    }
    if (!unreadable && pending.length === 0) return;
    const left = deadline - clock.now();
    if (left <= 0) throw incomplete(pending, unreadable, waitMs, migrations, clock.wallNow());
    if (!runnerStarted) {
      runnerStarted = true;
      logger.log(MESSAGES.waiting(waitMs, required));
      await startRunner();
    }
    await new Promise<void>((resolve) =>
      clock.setTimer(clock.now() + Math.min(POLL_MS, left), resolve),
    );
  }
}

/** The required migrations not complete forward; one no one knows is a configuration error. */
async function pendingOf(
  required: readonly string[],
  migrations: RoutinesMigrations,
): Promise<MigrationInfo[]> {
  const all = await migrations.list({ errors: 1 });
  const byId = new Map(all.map((migration) => [migration.id, migration]));
  const unknown = required.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    throw new RoutinesConfigurationError(
      unknown.map((id) => ({
        source: 'RoutinesModule options',
        option: 'migrations.require',
        value: id,
        message: MESSAGES.unknownRequired([...byId.keys()]),
      })),
    );
  }
  return required
    .map((id) => byId.get(id)!)
    .filter((migration) => migration.direction !== 'forward' || !migration.complete);
}

function incomplete(
  pending: MigrationInfo[],
  unreadable: string | undefined,
  waitMs: number,
  migrations: RoutinesMigrations,
  now: number,
): MigrationsIncompleteError {
  if (unreadable) {
    return new MigrationsIncompleteError(MESSAGES.unreadable(waitMs, unreadable), pending);
  }
  const each = pending.map((migration) =>
    MESSAGES.pending(
      migration.id,
      migration.progress,
      heldBackBy(migration, waitMs > 0, migrations.local(migration.id), now),
    ),
  );
  return new MigrationsIncompleteError(MESSAGES.notComplete(waitMs, each), pending);
}

/** Below this, a migration measured this recently is being driven by some replica. */
const DRIVEN_WITHIN_MS = 10_000;
/** The longest retry backoff of a failing migration (the runner's default cap). */
const MAX_BACKOFF_MS = 60_000;

/**
 * What holds a required migration back, as this replica can tell, and what would help. Each
 * migration has a lease of its own that only replicas declaring it compete for, so a replica
 * that waits takes a lease no one holds at once: "wait longer" is given only while some
 * replica is seen driving it.
 */
function heldBackBy(
  migration: MigrationInfo,
  waited: boolean,
  local: { intervalMs?: number; drivenHere?: number },
  now: number,
): string {
  if (migration.direction === 'reverse') return ADVICE.reversed(migration.id);
  const moving = migration.etaMs !== undefined;
  const eta = moving ? ADVICE.eta(migration.etaMs!) : '';
  const interval = local.intervalMs ?? 0;
  // A failing migration is retried at most a backoff apart: its last error is that recent.
  const [error] = migration.errors;
  const failing =
    error !== undefined && now - error.at <= 2 * Math.max(MAX_BACKOFF_MS, interval) + 1000;
  if (failing && !moving) return ADVICE.failing(error, now);
  const lastError = ADVICE.lastError(failing ? error : undefined, now);
  const measured = migration.updatedAt;
  const drivenElsewhere =
    measured !== undefined && now - measured <= Math.max(DRIVEN_WITHIN_MS, 3 * interval);
  const elsewhere = drivenElsewhere ? ADVICE.elsewhere(measured, now) : undefined;
  if (!migration.declared) return ADVICE.undeclared(`${eta}${lastError}`, elsewhere);
  if (local.drivenHere !== undefined) {
    return ADVICE.drivenHere(`${eta}${lastError}`, local.drivenHere, moving);
  }
  if (elsewhere) return ADVICE.drivenElsewhere(`${eta}${lastError}`, elsewhere, moving);
  const when = ADVICE.measured(measured, now);
  return waited ? ADVICE.undrivenAfterWait(lastError, when) : ADVICE.undriven(lastError, when);
}
