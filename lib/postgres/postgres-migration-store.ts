import {
  MIGRATION_ERRORS_KEPT,
  MIGRATION_SAMPLES,
  type MigrationStateStore,
  type StoredMigration,
  type StoredMigrationError,
} from '../cluster/ports';
import { addMigrationErrorSql } from './sql/add-migration-error.sql';
import { listMigrationsSql } from './sql/list-migrations.sql';
import { migrationErrorsSql } from './sql/migration-errors.sql';
import { registerMigrationSql } from './sql/register-migration.sql';
import { setMigrationDirectionSql } from './sql/set-migration-direction.sql';
import { setMigrationProgressSql } from './sql/set-migration-progress.sql';
import type { PostgresQuery } from './postgres-query';

interface MigrationRow extends Record<string, unknown> {
  id: string;
  description: string;
  progress: number;
  reverse: boolean;
  non_destructive: boolean;
  created_ms: string;
  updated_ms: string | null;
  epoch: string;
  samples: Array<[number, number]>;
}

/**
 * Out-of-band migrations' state in two tables of the PostgreSQL coordinator's schema, created
 * with its other tables. Every write is one statement; times are the database's.
 */
export class PostgresMigrationStore implements MigrationStateStore {
  private readonly sql: Record<
    'register' | 'list' | 'setProgress' | 'addError' | 'errors' | 'setDirection',
    string
  >;

  constructor(
    private readonly query: PostgresQuery,
    migrations: string,
    errors: string,
  ) {
    this.sql = {
      register: registerMigrationSql(migrations),
      list: listMigrationsSql(migrations),
      setProgress: setMigrationProgressSql(migrations),
      addError: addMigrationErrorSql(errors),
      errors: migrationErrorsSql(errors),
      setDirection: setMigrationDirectionSql(migrations),
    };
  }

  async register(id: string, description: string, nonDestructive: boolean): Promise<void> {
    await this.query(this.sql.register, [id, description, nonDestructive]);
  }

  async list(): Promise<StoredMigration[]> {
    const { rows } = await this.query<MigrationRow>(this.sql.list, []);
    return rows.map((row) => {
      const migration: StoredMigration = {
        id: row.id,
        description: row.description,
        progress: Number(row.progress),
        reverse: row.reverse,
        nonDestructive: row.non_destructive,
        createdAt: Number(row.created_ms),
        epoch: Number(row.epoch),
        samples: row.samples.map(([at, progress]) => [Number(at), Number(progress)]),
      };
      if (row.updated_ms !== null) migration.updatedAt = Number(row.updated_ms);
      return migration;
    });
  }

  async setProgress(id: string, progress: number, epoch: number): Promise<boolean> {
    const result = (await this.query(this.sql.setProgress, [
      id,
      progress,
      epoch,
      MIGRATION_SAMPLES,
    ])) as {
      rowCount?: number | null;
    };
    return (result.rowCount ?? 0) > 0;
  }

  async addError(id: string, message: string): Promise<void> {
    await this.query(this.sql.addError, [id, message, MIGRATION_ERRORS_KEPT - 1]);
  }

  async errors(id: string, limit = MIGRATION_ERRORS_KEPT): Promise<StoredMigrationError[]> {
    const { rows } = await this.query<{ message: string; at_ms: string }>(this.sql.errors, [
      id,
      limit,
    ]);
    return rows.map((row) => ({ message: row.message, at: Number(row.at_ms) }));
  }

  async setDirection(id: string, reverse: boolean): Promise<void> {
    await this.query(this.sql.setDirection, [id, reverse]);
  }
}
