import {
  MIGRATION_ERRORS_KEPT,
  MIGRATION_SAMPLES,
  type MigrationStateStore,
  type StoredMigration,
  type StoredMigrationError,
} from '../core/coordinator';

type Query = <Row extends Record<string, unknown>>(
  text: string,
  values: unknown[],
) => Promise<{ rows: Row[] }>;

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

/** Sourcegraph's `out_of_band_migrations` and its errors table, in the coordinator's schema. */
export function migrationTablesSql(
  migrations: string,
  errors: string,
  errorsIndex: string,
): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${migrations} (id text PRIMARY KEY, description text NOT NULL, ` +
      `progress float8 NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1), ` +
      `reverse boolean NOT NULL DEFAULT false, non_destructive boolean NOT NULL DEFAULT false, ` +
      `created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz, ` +
      `epoch bigint NOT NULL DEFAULT 0, samples jsonb NOT NULL DEFAULT '[]');`,
    `CREATE TABLE IF NOT EXISTS ${errors} (seq bigserial PRIMARY KEY, migration text NOT NULL, ` +
      `message text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());`,
    `CREATE INDEX IF NOT EXISTS ${errorsIndex} ON ${errors} (migration, seq DESC);`,
  ];
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
    private readonly query: Query,
    migrations: string,
    errors: string,
  ) {
    const ms = (column: string) => `(extract(epoch from ${column}) * 1000)::bigint::text`;
    this.sql = {
      register:
        `INSERT INTO ${migrations} (id, description, non_destructive) VALUES ($1, $2, $3) ` +
        `ON CONFLICT (id) DO UPDATE SET description = EXCLUDED.description, non_destructive = EXCLUDED.non_destructive`,
      list:
        `SELECT id, description, progress, reverse, non_destructive, ${ms('created_at')} AS created_ms, ` +
        `${ms('updated_at')} AS updated_ms, epoch::text AS epoch, samples FROM ${migrations} ORDER BY id`,
      // Fenced: a runner with a lower epoch than the last writer's changes nothing.
      setProgress:
        `UPDATE ${migrations} SET progress = $2, epoch = $3, updated_at = now(), samples = ` +
        `(CASE WHEN jsonb_array_length(samples) >= ${MIGRATION_SAMPLES} THEN samples - 0 ELSE samples END) ` +
        `|| jsonb_build_array(jsonb_build_array((extract(epoch from now()) * 1000)::bigint, $2::float8)) ` +
        `WHERE id = $1 AND epoch <= $3`,
      // The DELETE sees the rows as they were before the INSERT: keep the newest KEPT - 1 of them.
      addError:
        `WITH added AS (INSERT INTO ${errors} (migration, message) VALUES ($1, $2)) ` +
        `DELETE FROM ${errors} WHERE migration = $1 AND seq NOT IN ` +
        `(SELECT seq FROM ${errors} WHERE migration = $1 ORDER BY seq DESC LIMIT ${MIGRATION_ERRORS_KEPT - 1})`,
      errors:
        `SELECT message, ${ms('created_at')} AS at_ms FROM ${errors} WHERE migration = $1 ` +
        `ORDER BY seq DESC LIMIT $2`,
      // A new direction starts a new rate: the measures of the other one are dropped.
      setDirection:
        `UPDATE ${migrations} SET reverse = $2, samples = CASE WHEN reverse = $2 THEN samples ELSE '[]' END ` +
        `WHERE id = $1`,
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
    const result = (await this.query(this.sql.setProgress, [id, progress, epoch])) as {
      rowCount?: number | null;
    };
    return (result.rowCount ?? 0) > 0;
  }

  async addError(id: string, message: string): Promise<void> {
    await this.query(this.sql.addError, [id, message]);
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
