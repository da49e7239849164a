/**
 * DDL of the out-of-band migrations' tables (Sourcegraph's `out_of_band_migrations` and its
 * errors table) and the errors' index, in the coordinator's schema. Idempotent; one statement
 * a string. The names are quoted, the tables qualified.
 */
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
