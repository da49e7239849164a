import { describeMigration, type MigrationInfo } from './migration-info';
import type { MigrationBatchRecord } from './migration-runner';
import type { BuiltMigrations } from './migrations.factory';
import { MESSAGES } from './migrations.messages';
import { RoutineActionError, RoutineNotFoundError } from '../nest/routines.errors';

/** Errors listed per migration by `list()`; `get(id)` gives up to all 100 kept. */
const LISTED_ERRORS = 5;

/**
 * The app's out-of-band migrations, steered by id: `registry.migrations`. Reads go to the
 * coordinator's engine, so every replica sees the same progress and direction.
 *
 * @example
 * const [backfill] = await registry.migrations.list();
 * console.log(`${Math.floor(backfill.progress * 100)}%, done in ${backfill.etaMs} ms`);
 * await registry.migrations.reverse('backfill-upload-size'); // every replica, and the next deploy
 */
export class RoutinesMigrations {
  private built: BuiltMigrations | undefined;

  /** @internal */
  bind(built: BuiltMigrations): void {
    this.built = built;
  }

  /** The ids of the migrations this app declares (none before bootstrap). */
  get declared(): string[] {
    return this.built?.definitions.map((definition) => definition.id) ?? [];
  }

  /** @internal The cluster routines that drive the migrations declared here, one each. */
  get routines(): string[] {
    return [...(this.built?.routines.values() ?? [])];
  }

  /**
   * @internal What this replica knows of a migration that the store does not say: its pace,
   * and the lease epoch while this replica drives it.
   */
  local(id: string): { intervalMs?: number; drivenHere?: number } {
    const definition = this.built?.definitions.find((candidate) => candidate.id === id);
    return { intervalMs: definition?.intervalMs, drivenHere: this.built?.drivenHere(id) };
  }

  /**
   * Every migration declared here or stored by an earlier version, by id: progress, direction,
   * last update, rate, time to completion, and the newest errors (`errors`, default 5).
   */
  async list(options: { errors?: number } = {}): Promise<MigrationInfo[]> {
    const { store, definitions } = this.ready();
    const declared = new Set(definitions.map((definition) => definition.id));
    const stored = await store.list();
    const limit = options.errors ?? LISTED_ERRORS;
    const errors = await Promise.all(
      stored.map((migration) => (limit > 0 ? store.errors(migration.id, limit) : [])),
    );
    const listed = stored.map((migration, i) =>
      describeMigration(migration, errors[i], declared.has(migration.id)),
    );
    // Declared but not stored yet (the runner registers them as it starts): shown at 0.
    for (const definition of definitions) {
      if (stored.some((migration) => migration.id === definition.id)) continue;
      listed.push(
        describeMigration(
          {
            id: definition.id,
            description: definition.description,
            progress: 0,
            reverse: false,
            nonDestructive: definition.nonDestructive,
            createdAt: Date.now(),
            epoch: 0,
            samples: [],
          },
          [],
          true,
        ),
      );
    }
    return listed.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** One migration, with up to `errors` (default all 100 kept) of its newest errors. Throws {@link RoutineNotFoundError}. */
  async get(id: string, options: { errors?: number } = {}): Promise<MigrationInfo> {
    const all = await this.list({ errors: 0 });
    const found = all.find((migration) => migration.id === id);
    if (!found) {
      throw new RoutineNotFoundError(
        String(id),
        all.map((migration) => migration.id),
      );
    }
    // Only this one's errors, not every migration's hundred.
    found.errors = await this.ready().store.errors(id, options.errors ?? 100);
    return found;
  }

  /**
   * The last batches of a migration that this replica's runner ran (the last 100), newest
   * first: direction, outcome, start, duration, the progress after it, the lease epoch, the
   * error. Empty on a replica that has not run it (another replica holds its lease).
   */
  history(id: string, options: { limit?: number } = {}): MigrationBatchRecord[] {
    const built = this.ready();
    if (!built.definitions.some((definition) => definition.id === id)) {
      throw new RoutineNotFoundError(
        String(id),
        built.definitions.map((definition) => definition.id),
      );
    }
    return built.history(id, options.limit);
  }

  /**
   * Runs a migration backwards (`down`) until its progress is 0; stored, so every replica and
   * the next deploy agree. A migration without `down` is a {@link RoutineActionError}.
   */
  async reverse(id: string): Promise<void> {
    await this.setDirection(id, true);
  }

  /** Runs a migration forward again (`up`) until its progress is 1. */
  async forward(id: string): Promise<void> {
    await this.setDirection(id, false);
  }

  private async setDirection(id: string, reverse: boolean): Promise<void> {
    const { store, definitions } = this.ready();
    const definition = definitions.find((candidate) => candidate.id === id);
    if (!definition) {
      const known = (await store.list()).map((migration) => migration.id);
      if (!known.includes(id)) throw new RoutineNotFoundError(String(id), known);
    } else {
      if (reverse && typeof definition.migrator.down !== 'function') {
        throw new RoutineActionError(id, 'reverse', MESSAGES.noDown(id));
      }
      await store.register(definition.id, definition.description, definition.nonDestructive);
    }
    await store.setDirection(id, reverse);
    this.built!.wake();
  }

  private ready(): BuiltMigrations {
    if (!this.built)
      throw new RoutineActionError('migrations', 'list', MESSAGES.migrationsNotReady);
    return this.built;
  }
}
