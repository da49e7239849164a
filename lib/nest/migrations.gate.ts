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
   * the app's routines start once they are complete. Default: no wait.
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
 * be read counts as incomplete. With `waitMs`, starts the runner (`startRunner`) and reads
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
    if (left <= 0) throw incomplete(pending, unreadable, waitMs);
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
): MigrationsIncompleteError {
  const waited = waitMs > 0 ? ` after waiting ${formatDuration(waitMs)}` : '';
  if (unreadable) {
    return new MigrationsIncompleteError(
      `RoutinesModule refuses to start${waited}: the state of the required out-of-band migrations could not be read (${unreadable})`,
      pending,
    );
  }
  const each = pending.map((migration) => {
    const percent = `${Math.floor(migration.progress * 100)}%`;
    const where =
      migration.direction === 'reverse'
        ? `${percent}, set to run in reverse (registry.migrations.forward('${migration.id}'))`
        : `${percent}${migration.etaMs !== undefined ? `, about ${formatDuration(Math.max(1000, Math.round(migration.etaMs / 1000) * 1000))} left at its recent rate` : ''}`;
    const error = migration.errors[0] ? `; last error: ${migration.errors[0].message}` : '';
    return `'${migration.id}' ${where}${error}`;
  });
  return new MigrationsIncompleteError(
    `RoutinesModule refuses to start${waited}: out-of-band migration(s) not complete: ${each.join('; ')}. ` +
      `Let the running version finish them, or give RoutinesModule migrations: { wait: '10m' } to run them here first`,
    pending,
  );
}
