/**
 * What the PostgreSQL coordinator says: configuration problems (completed by the class, option
 * and value; see `RoutinesConfigurationError`) and warnings.
 */
export const MESSAGES = {
  // Configuration problems.
  notPool: 'must be a pg.Pool (new Pool({ connectionString }))',
  singleClient:
    'must be a pg.Pool, not a single pg.Client: one connection serialises every claim, and when it drops (a restart, a failover) it never comes back. Pass new Pool({ connectionString })',
  notIdentifier:
    'must be a plain SQL identifier: a letter or underscore, then letters, digits or underscores (at most 63)',
  sameTables:
    'must differ from the other tables (slotTable, leaseTable, replicaTable, controlTable)',

  // Warnings.
  idleConnectionFailed: (reason: string) =>
    `PostgresCoordinator: an idle pool connection failed (${reason}); the pool opens a new one on demand. Add pool.on('error', ...) to handle this yourself.`,
} as const;
