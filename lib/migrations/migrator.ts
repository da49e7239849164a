/** What a migration's batch is given. */
export interface MigrationContext {
  /** The migration's id. */
  id: string;
  /**
   * The fencing epoch of the migration's lease: it only grows across runners. Write it with the
   * batch's rows (or compare it in the batch's transaction) to refuse a stale runner's writes.
   */
  epoch: number;
  /** Which way this batch goes. */
  direction: MigrationDirection;
}

export type MigrationDirection = 'forward' | 'reverse';

/**
 * A long data migration in small, idempotent batches, run in the background while the app
 * serves traffic: Sourcegraph's `oobmigration.Migrator`.
 *
 * @example
 * class BackfillUploadSize implements Migrator {
 *   async progress() { return this.db.one('SELECT count(size_bytes)::float / greatest(count(*), 1) AS p FROM uploads'); }
 *   async up(signal: AbortSignal) { await this.db.query('UPDATE uploads SET size_bytes = ... WHERE id IN (SELECT id FROM uploads WHERE size_bytes IS NULL LIMIT 500 FOR UPDATE SKIP LOCKED)'); }
 *   async down(signal: AbortSignal) { await this.db.query('UPDATE uploads SET size_bytes = NULL WHERE id IN (SELECT id FROM uploads WHERE size_bytes IS NOT NULL LIMIT 500 FOR UPDATE SKIP LOCKED)'); }
 * }
 */
export interface Migrator {
  /** How far it is, from 0 (nothing migrated) to 1 (done), always measured forward. */
  progress(signal: AbortSignal, context: MigrationContext): Promise<number> | number;
  /** One batch forward. Must be safe to run again (a runner may die mid-batch). */
  up(signal: AbortSignal, context: MigrationContext): Promise<void> | void;
  /** One batch backwards; may be left out by a migration declared `nonDestructive`. */
  down?(signal: AbortSignal, context: MigrationContext): Promise<void> | void;
}

/** A migration as the runner drives it. */
export interface MigrationDefinition {
  id: string;
  description: string;
  /** The pace: one batch per interval, in ms. */
  intervalMs: number;
  /** A batch (or a measure) running longer is aborted and counted as an error, in ms. */
  timeoutMs?: number;
  nonDestructive: boolean;
  migrator: Migrator;
}
