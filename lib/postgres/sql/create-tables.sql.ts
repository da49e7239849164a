import { historyTablesSql } from './history-tables.sql';
import { migrationTablesSql } from './migration-tables.sql';
import { auditTableSql } from './audit-table.sql';
import { runTableSql } from './run-table.sql';
import type { CoordinatorTables } from './tables';

/** Serialises the first-use DDL of concurrent processes (a transaction-level lock). */
export const DDL_LOCK_KEY = '7310583945211937117';

/**
 * The coordinator's DDL, idempotent (`IF NOT EXISTS`, columns added since the first version
 * with `ADD COLUMN IF NOT EXISTS`): the schema, every table and index, and the since table's
 * row (when the tables were created). For a migration of the app's own, or run on first use.
 * No parameters (a script of several statements goes through the simple protocol).
 */
export function createTablesSql(t: CoordinatorTables): string {
  return [
    `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '${t.schemaName}') ` +
      `THEN CREATE SCHEMA "${t.schemaName}"; END IF; END $$;`,
    `CREATE TABLE IF NOT EXISTS ${t.slots} (routine text NOT NULL, slot bigint NOT NULL, ` +
      `claimed_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL, ` +
      `token text, PRIMARY KEY (routine, slot));`,
    `ALTER TABLE ${t.slots} ADD COLUMN IF NOT EXISTS token text;`,
    `CREATE INDEX IF NOT EXISTS ${t.slotExpiresIndex} ON ${t.slots} (expires_at);`,
    `CREATE TABLE IF NOT EXISTS ${t.leases} (routine text PRIMARY KEY, token text NOT NULL, ` +
      `epoch bigint NOT NULL, acquired_at timestamptz NOT NULL DEFAULT now(), ` +
      `expires_at timestamptz NOT NULL, completed_version text);`,
    `ALTER TABLE ${t.leases} ADD COLUMN IF NOT EXISTS completed_version text;`,
    `CREATE TABLE IF NOT EXISTS ${t.since} (since timestamptz NOT NULL);`,
    `CREATE TABLE IF NOT EXISTS ${t.replicas} (id text PRIMARY KEY, snapshot text NOT NULL, ` +
      `expires_at timestamptz NOT NULL);`,
    `CREATE TABLE IF NOT EXISTS ${t.controls} (routine text PRIMARY KEY, control text NOT NULL, ` +
      `updated_at timestamptz NOT NULL DEFAULT now());`,
    ...migrationTablesSql(t.migrations, t.migrationErrors, t.migrationErrorIndex),
    runTableSql(t.runs),
    ...historyTablesSql(t.history, t.historyStats),
    ...auditTableSql(t.audit, t.auditTargetIndex),
    `INSERT INTO ${t.since} (since) SELECT now() WHERE NOT EXISTS (SELECT 1 FROM ${t.since});`,
  ].join('\n');
}

/**
 * The DDL as run on first use: one simple-protocol query whose statements run in one implicit
 * transaction, which holds the advisory lock until it commits, so concurrent first uses do not
 * trip over each other. A transaction-level lock, not a session one: pooler-safe.
 */
export function lockedCreateTablesSql(t: CoordinatorTables): string {
  return `SELECT pg_advisory_xact_lock(${DDL_LOCK_KEY});\n${createTablesSql(t)}`;
}
