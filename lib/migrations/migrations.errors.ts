import type { MigrationInfo } from './migration-info';

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

/** A batch or a measure past the migration's `timeout`. */
export class MigrationTimeoutError extends Error {
  override readonly name = 'MigrationTimeoutError';
}

/** A newer runner (a higher lease epoch) stored progress: this one must stop. */
export class MigrationFencedError extends Error {
  override readonly name = 'MigrationFencedError';
}
