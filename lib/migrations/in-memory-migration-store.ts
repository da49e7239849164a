import {
  MIGRATION_ERRORS_KEPT,
  MIGRATION_SAMPLES,
  type MigrationStateStore,
  type StoredMigration,
  type StoredMigrationError,
} from '../cluster/ports/migration-state-store';

/**
 * Migrations' state in this process: the store used with the in-memory coordinator, right for
 * one replica and for tests. Nothing survives the process.
 */
export class InMemoryMigrationStore implements MigrationStateStore {
  private readonly migrations = new Map<string, StoredMigration>();
  private readonly errorLists = new Map<string, StoredMigrationError[]>();

  constructor(private readonly now: () => number = Date.now) {}

  async register(id: string, description: string, nonDestructive: boolean): Promise<void> {
    const known = this.migrations.get(id);
    if (known) {
      known.description = description;
      known.nonDestructive = nonDestructive;
      return;
    }
    this.migrations.set(id, {
      id,
      description,
      progress: 0,
      reverse: false,
      nonDestructive,
      createdAt: this.now(),
      epoch: 0,
      samples: [],
    });
  }

  async list(): Promise<StoredMigration[]> {
    return [...this.migrations.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((migration) => ({ ...migration, samples: migration.samples.map(([at, p]) => [at, p]) }));
  }

  async setProgress(id: string, progress: number, epoch: number): Promise<boolean> {
    const migration = this.migrations.get(id);
    if (!migration || migration.epoch > epoch) return false;
    const at = this.now();
    migration.progress = progress;
    migration.epoch = epoch;
    migration.updatedAt = at;
    migration.samples.push([at, progress]);
    if (migration.samples.length > MIGRATION_SAMPLES) migration.samples.shift();
    return true;
  }

  async addError(id: string, message: string): Promise<void> {
    const list = this.errorLists.get(id) ?? [];
    list.unshift({ message, at: this.now() });
    list.length = Math.min(list.length, MIGRATION_ERRORS_KEPT);
    this.errorLists.set(id, list);
  }

  async errors(id: string, limit = MIGRATION_ERRORS_KEPT): Promise<StoredMigrationError[]> {
    return (this.errorLists.get(id) ?? []).slice(0, limit).map((error) => ({ ...error }));
  }

  async setDirection(id: string, reverse: boolean): Promise<void> {
    const migration = this.migrations.get(id);
    if (!migration || migration.reverse === reverse) return;
    migration.reverse = reverse;
    migration.samples = []; // a new direction starts a new rate
  }
}
