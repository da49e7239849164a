import {
  describeError,
  formatDuration,
  RoutinesConfigurationError,
  type Clock,
  type RoutineLogger,
} from '../core';
import { MESSAGES } from './nest.messages';
import type { MigrationInfo } from '../migrations';
import type { RoutinesMigrations } from './routines.migrations';

/** Module option `migrations`. */
export interface MigrationsModuleOptions {
  /**
   * Out-of-band migrations that must be complete (forward, progress 1) before this version
   * starts: the app refuses to bootstrap while one is not, as Sourcegraph refuses to start a
   * version whose deprecated migrations are unfinished.
   */
  require?: string[];
  /**
   * Instead of refusing at once, run the migrations here and wait for them up to this long;
   * the app's routines start once they are complete. Each migration has a lease of its own,
   * held by one of the replicas that declare it: a migration this version adds is run here at
   * once, whatever an older version holds. Default: no wait.
   */
  wait?: string | number;
}

/** Bootstrap refused: required out-of-band migrations are not complete (or their state could not be read). */
export class MigrationsIncompleteError extends Error {
  override readonly name = 'MigrationsIncompleteError';

  constructor(
    message: string,
    /** The required migrations that are not complete, as they were last read. */
    readonly migrations: MigrationInfo[],
  ) {
    super(message);
  }
}

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
      pending = required
        .map((id) => byId.get(id)!)
        .filter((migration) => migration.direction !== 'forward' || !migration.complete);
    } catch (error) {
      if (error instanceof RoutinesConfigurationError) throw error;
      unreadable = describeError(error).message;
    }
    if (!unreadable && pending.length === 0) return;
    const left = deadline - clock.now();
    if (left <= 0) throw incomplete(pending, unreadable, waitMs, migrations, clock.wallNow());
    if (!runnerStarted) {
      runnerStarted = true;
      logger.log(
        `waiting up to ${formatDuration(waitMs)} for out-of-band migration(s) ${required.map((id) => `'${id}'`).join(', ')}; running them here meanwhile`,
      );
      await startRunner();
    }
    await new Promise<void>((resolve) =>
      clock.setTimer(clock.now() + Math.min(POLL_MS, left), resolve),
    );
  }
}

function incomplete(
  pending: MigrationInfo[],
  unreadable: string | undefined,
  waitMs: number,
  migrations: RoutinesMigrations,
  now: number,
): MigrationsIncompleteError {
  const waited = waitMs > 0 ? ` after waiting ${formatDuration(waitMs)}` : '';
  if (unreadable) {
    return new MigrationsIncompleteError(
      `RoutinesModule refuses to start${waited}: the state of the required out-of-band migrations could not be read (${unreadable})`,
      pending,
    );
  }
  const each = pending.map(
    (migration) =>
      `'${migration.id}' ${Math.floor(migration.progress * 100)}%${heldBackBy(migration, waitMs > 0, migrations.local(migration.id), now)}`,
  );
  return new MigrationsIncompleteError(
    `RoutinesModule refuses to start${waited}: out-of-band migration(s) not complete: ${each.join('; ')}`,
    pending,
  );
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
  const { id } = migration;
  if (migration.direction === 'reverse') {
    return `, set to run in reverse (registry.migrations.forward('${id}'))`;
  }
  const moving = migration.etaMs !== undefined;
  const eta = moving
    ? `, about ${formatDuration(Math.max(1000, Math.round(migration.etaMs! / 1000) * 1000))} left at its recent rate`
    : '';
  const ago = (at: number) =>
    now - at < 1000 ? 'just now' : `${formatDuration(Math.round((now - at) / 1000) * 1000)} ago`;
  const interval = local.intervalMs ?? 0;
  // A failing migration is retried at most a backoff apart: its last error is that recent.
  const [error] = migration.errors;
  const failing =
    error !== undefined && now - error.at <= 2 * Math.max(MAX_BACKOFF_MS, interval) + 1000;
  if (failing && !moving) {
    return `; last error: ${error.message} (${ago(error.at)}): its batches fail, and the replica that holds its lease retries at its pace; fix the cause`;
  }
  const lastError = failing ? `; last error: ${error.message} (${ago(error.at)})` : '';
  const measured = migration.updatedAt;
  const drivenElsewhere =
    measured !== undefined && now - measured <= Math.max(DRIVEN_WITHIN_MS, 3 * interval);
  const elsewhere = `driven by another replica that declares it and holds its lease (measured ${ago(measured ?? now)})`;
  if (!migration.declared) {
    return `${eta}${lastError}; this version does not declare it, so only a replica of a version that declares it can run it${drivenElsewhere ? `; ${elsewhere}: let it finish` : ', and none does now'}`;
  }
  if (local.drivenHere !== undefined) {
    return `${eta}${lastError}; driven here (lease epoch ${local.drivenHere}): ${moving ? 'give migrations.wait more than that' : 'give migrations.wait more time'}`;
  }
  if (drivenElsewhere) {
    return `${eta}${lastError}; ${elsewhere}: let it finish${moving ? ', or wait longer than that' : ''}`;
  }
  const when = measured === undefined ? 'never measured' : `last measured ${ago(measured)}`;
  return waited
    ? `${lastError}; no replica drives it (${when}) although this one waited for its lease: another replica that declares it holds the lease and measures nothing (a batch that hangs: give the migration a timeout), or the engine holds leases back (see the log)`
    : `${lastError}; no replica drives it (${when}): no running replica that declares it holds its lease. Give RoutinesModule migrations: { wait: '10m' } to run it here first`;
}
