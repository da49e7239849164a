import type {
  AcquireOptions,
  AuditTrail,
  ClaimOptions,
  CompletedRoutine,
  Coordinator,
  Lease,
  MigrationStateStore,
  ReplicaDirectory,
  RunHistoryStore,
  RunMarkers,
  StoredControls,
} from '../cluster/ports';
import type { PostgresPool } from './postgres-pool';
import {
  checkPostgresPool,
  resolvePostgresOptions,
  type PostgresCoordinatorOptions,
} from './postgres-coordinator-options';
import { keepAliveOnPoolErrors, PostgresConnection } from './postgres-connection';
import { PostgresAuditTrail } from './postgres-audit-trail';
import { PostgresLeases } from './postgres-leases';
import { PostgresMigrationStore } from './postgres-migration-store';
import type { PostgresQuery } from './postgres-query';
import { PostgresReplicaDirectory } from './postgres-replica-directory';
import { PostgresRunHistory } from './postgres-run-history';
import { PostgresRunMarkers } from './postgres-run-markers';
import { PostgresSlotClaims } from './postgres-slot-claims';
import { PostgresStoredControls } from './postgres-stored-controls';
import { createTablesSql } from './sql/create-tables.sql';
import { coordinatorTables, type CoordinatorTables } from './sql/tables';

export type { PostgresCoordinatorOptions } from './postgres-coordinator-options';

/**
 * Cluster coordination on PostgreSQL through a `pg.Pool`. Every call is one statement (one
 * round trip) on the database clock (`now()`), never the client's:
 *
 * - `claimSlot`: `INSERT ... ON CONFLICT DO NOTHING RETURNING 1` into the slot table, with
 *   the claimant's token; expired rows are pruned now and then; `releaseSlot` deletes the row
 *   if it still holds the releaser's token;
 * - `acquireLease`: an upsert on the routine's lease row that only succeeds once the
 *   previous holding has expired, and bumps the fencing epoch (1 on the first acquire);
 * - `renewLease`: an `UPDATE` guarded by the token and the expiry;
 * - `releaseLease`: expires the row (it is never deleted, so the epoch keeps growing).
 *
 * No session advisory locks and no named prepared statements: it works with any pooled
 * client, behind PgBouncer in transaction mode too. The tables are created on first use
 * (idempotent DDL under a transaction-level advisory lock); a role without CREATE rights
 * can use tables created beforehand by a migration. Tables created (new, or dropped and
 * created again: nothing tells which) fail closed for the slots due before then plus
 * `maxClockSkew` and hold new lease holders back one lease ttl; a process that never saw the
 * tables before says so in one info line, one that saw them lost warns. A routine new to
 * tables in use runs its first slot. Errors reject, and the runtime fails closed. Give the pool a `connectionTimeoutMillis` (and the role a `statement_timeout`)
 * so calls fail rather than hang when the database is unreachable.
 *
 * @example
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 5000 });
 * RoutinesModule.forRoot({ coordinator: new PostgresCoordinator(pool) });
 */
export class PostgresCoordinator implements Coordinator {
  readonly kind = 'postgres';
  /** Cluster-wide overlap of periodic runs: one row per routine in the run table. */
  readonly runs: RunMarkers;
  /** Out-of-band migrations' progress, direction and errors. */
  readonly migrations: MigrationStateStore;
  /** Live replicas, for the dashboard. */
  readonly replicas: ReplicaDirectory;
  /** Routine controls set from the dashboard (a cluster-wide pause), in the control table. */
  readonly controls: StoredControls;
  /** Run history of every replica: raw runs and hourly and daily stats, in `historyTable`. */
  readonly history: RunHistoryStore;
  /** The dashboard's audit trail, the newest 10,000 actions, in the audit table. */
  readonly audit: AuditTrail;
  /** The tables, quoted and qualified, as the statements of ./sql name them. */
  private readonly tables: CoordinatorTables;
  private readonly connection: PostgresConnection;
  private readonly slots: PostgresSlotClaims;
  private readonly leases: PostgresLeases;

  constructor(pool: PostgresPool, options: PostgresCoordinatorOptions = {}) {
    checkPostgresPool(pool);
    keepAliveOnPoolErrors(pool, options.logger ?? console);
    const { names, skewMs, pruneAfterMs } = resolvePostgresOptions(options);
    const tables = coordinatorTables(names);
    this.tables = tables;
    const connection = new PostgresConnection(pool, tables);
    this.connection = connection;
    const query: PostgresQuery = (text, values) => connection.query(text, values);
    this.slots = new PostgresSlotClaims(connection, tables, skewMs, pruneAfterMs);
    this.leases = new PostgresLeases(connection, tables, skewMs);
    this.runs = new PostgresRunMarkers(query, tables.runs);
    this.migrations = new PostgresMigrationStore(query, tables.migrations, tables.migrationErrors);
    this.replicas = new PostgresReplicaDirectory(query, tables.replicas);
    this.controls = new PostgresStoredControls(query, tables.controls);
    this.history = new PostgresRunHistory(query, tables.history, tables.historyStats);
    this.audit = new PostgresAuditTrail(query, tables.audit);
  }

  /**
   * Claims due at the same instant (routines on one grid point) are sent together, in one
   * `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING RETURNING`: one round trip and
   * one pooled connection for all of them, instead of one each.
   */
  claimSlot(
    routine: string,
    slot: number,
    ttlMs: number,
    token?: string,
    options?: ClaimOptions,
  ): Promise<boolean> {
    return this.slots.claimSlot(routine, slot, ttlMs, token, options);
  }

  releaseSlot(routine: string, slot: number, token?: string): Promise<void> {
    return this.slots.releaseSlot(routine, slot, token);
  }

  acquireLease(
    routine: string,
    ttlMs: number,
    options?: AcquireOptions,
  ): Promise<Lease | CompletedRoutine | null> {
    return this.leases.acquireLease(routine, ttlMs, options);
  }

  renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    return this.leases.renewLease(lease, ttlMs);
  }

  releaseLease(lease: Lease): Promise<void> {
    return this.leases.releaseLease(lease);
  }

  completeLease(lease: Lease, version: string): Promise<boolean> {
    return this.leases.completeLease(lease, version);
  }

  resetCompletion(routine: string): Promise<void> {
    return this.leases.resetCompletion(routine);
  }

  /**
   * Creates the schema and tables if they are missing. Called on first use; call it at boot
   * to surface a connection or permission problem early.
   */
  ensureTables(): Promise<void> {
    return this.connection.ensureTables();
  }

  /** The DDL this coordinator runs on first use, for a migration of your own. */
  tablesSql(): string {
    return createTablesSql(this.tables);
  }
}
