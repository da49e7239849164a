// Type-only: an app that never constructs a PostgresCoordinator never loads pg.
import type { Pool, QueryResultRow } from 'pg';
import type { PostgresPool } from './clients';
import {
  newToken,
  type AcquireOptions,
  type ClaimOptions,
  type CompletedRoutine,
  type Coordinator,
  type Lease,
  type MigrationStateStore,
  type ReplicaDirectory,
} from '../core/coordinator';
import { PostgresMigrationStore } from './postgres-migration-store';
import { PostgresReplicaDirectory } from './postgres-replica-directory';
import { PostgresRunMarkers } from './postgres-run-markers';
import { coordinatorTables, type CoordinatorTables } from '../postgres/sql/tables';
import { claimSlotsSql } from '../postgres/sql/claim-slots.sql';
import { releaseSlotSql } from '../postgres/sql/release-slot.sql';
import { pruneSlotsSql } from '../postgres/sql/prune-slots.sql';
import { acquireLeaseSql } from '../postgres/sql/acquire-lease.sql';
import { renewLeaseSql } from '../postgres/sql/renew-lease.sql';
import { releaseLeaseSql } from '../postgres/sql/release-lease.sql';
import { completeLeaseSql } from '../postgres/sql/complete-lease.sql';
import { resetCompletionSql } from '../postgres/sql/reset-completion.sql';
import { existingTablesSql } from '../postgres/sql/existing-tables.sql';
import { createTablesSql, lockedCreateTablesSql } from '../postgres/sql/create-tables.sql';
import type { RunMarkers } from '../core/run-markers';
import { describeError } from '../core/logger';
import { ClaimBatcher, type PendingClaim } from './claim-batcher';
import { MESSAGES } from './coordination.messages';
import { CoordinatorStateLostError, describeValue, wholeMilliseconds } from './coordination.errors';
import { parseDuration, type Duration } from '../core/duration';
import { RoutinesConfigurationError, type ConfigurationProblem } from '../core/errors';

export interface PostgresCoordinatorOptions {
  /** Schema of the two tables; created if missing. Default: 'public'. */
  schema?: string;
  /** Table of claimed periodic slots. Default: 'routines_slots'. */
  slotTable?: string;
  /** Table of background leases, one row per routine. Default: 'routines_leases'. */
  leaseTable?: string;
  /** Table of live replicas, for the dashboard. Default: 'routines_replicas'. */
  replicaTable?: string;
  /** Table of routine controls set from the dashboard (a cluster-wide pause). Default: 'routines_controls'. */
  controlTable?: string;
  /** Out-of-band migrations' table (its errors go in `<name>_errors`). Default: 'routines_migrations'. */
  migrationTable?: string;
  /** Run markers of cluster periodic routines (overlap across replicas). Default: 'routines_runs'. */
  runTable?: string;
  /**
   * The most the replicas' wall clocks may differ from the database's. When the tables were
   * created again (dropped, or a database restored without them), slots due up to this long
   * after were refused, since a replica whose clock runs ahead may have claimed them before.
   * Default: '1s'.
   */
  maxClockSkew?: Duration;
  /**
   * How long a slot row is kept once its claim has expired, before it is pruned (pruning
   * runs every few hundred claims, off the claim's path). Default: '1h'.
   */
  pruneAfter?: Duration;
  /**
   * Where pool errors are reported when the pool has no `'error'` listener of its own.
   * Default: `console`.
   */
  logger?: { warn(message: string): void };
}

/** Claims sent in one statement at most; the rest go in the next. */
const MAX_BATCH = 1000;

/** Claims between two prunes of expired slot rows, per coordinator. */
const PRUNE_EVERY = 256;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** unique_violation (on pg_type), duplicate_table, duplicate_schema: a concurrent CREATE won. */
const CONCURRENT_DDL = new Set(['23505', '42P07', '42P06']);
const UNDEFINED_TABLE = '42P01';

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
 * can use tables created beforehand by a migration. Errors reject, and the runtime fails
 * closed. Give the pool a `connectionTimeoutMillis` (and the role a `statement_timeout`)
 * so calls fail rather than hang when the database is unreachable.
 *
 * @example
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 5000 });
 * RoutinesModule.forRoot({ coordinator: new PostgresCoordinator(pool) });
 */
export class PostgresCoordinator implements Coordinator {
  readonly kind = 'postgres';
  /** The tables, quoted and qualified, as the statements of ../postgres/sql name them. */
  private readonly tables: CoordinatorTables;
  /** Cluster-wide overlap of periodic runs: one row per routine in the run table. */
  readonly runs: RunMarkers;
  /** Out-of-band migrations' progress, direction and errors. */
  readonly migrations: MigrationStateStore;
  /** Live replicas and routine controls, for the dashboard. */
  readonly replicas: ReplicaDirectory;
  private skewMs = 1000;
  private readonly pruneAfterMs: number;
  private readonly sql: {
    claim: string;
    releaseSlot: string;
    prune: string;
    acquire: string;
    renew: string;
    release: string;
    complete: string;
    reset: string;
  };
  private readonly batcher = new ClaimBatcher(MAX_BATCH, (claims) => void this.sendClaims(claims));
  private ready: Promise<void> | undefined;
  private tablesReady = false;
  private claimsSincePrune = 0;

  private readonly pool: Pool;

  constructor(pool: PostgresPool, options: PostgresCoordinatorOptions = {}) {
    const problems: ConfigurationProblem[] = [];
    const poolProblem = checkPool(pool);
    if (poolProblem) {
      problems.push({
        option: 'pool',
        value: describeValue(pool),
        source: 'PostgresCoordinator',
        message: poolProblem,
      });
      throw new RoutinesConfigurationError(problems);
    }
    this.pool = pool as unknown as Pool;
    keepAliveOnPoolErrors(this.pool, options.logger ?? console);
    const identifier = (option: string, value: unknown, fallback: string): string => {
      if (value === undefined) return fallback;
      if (typeof value === 'string' && IDENTIFIER.test(value)) return value;
      problems.push({
        option,
        value,
        source: 'PostgresCoordinator',
        message: MESSAGES.notIdentifier,
      });
      return fallback;
    };
    const schemaName = identifier('schema', options.schema, 'public');
    const slotTableName = identifier('slotTable', options.slotTable, 'routines_slots');
    const leaseTableName = identifier('leaseTable', options.leaseTable, 'routines_leases');
    const replicaTableName = identifier('replicaTable', options.replicaTable, 'routines_replicas');
    const controlTableName = identifier('controlTable', options.controlTable, 'routines_controls');
    const migrationTableName = identifier(
      'migrationTable',
      options.migrationTable,
      'routines_migrations',
    );
    const runTableName = identifier('runTable', options.runTable, 'routines_runs');
    const tables = new Set<string>();
    for (const [option, name] of [
      ['slotTable', slotTableName],
      ['leaseTable', leaseTableName],
      ['replicaTable', replicaTableName],
      ['controlTable', controlTableName],
      ['migrationTable', migrationTableName],
      ['migrationTable', `${migrationTableName}_errors`],
      ['runTable', runTableName],
    ]) {
      if (tables.has(name)) {
        problems.push({
          option,
          value: name,
          source: 'PostgresCoordinator',
          message: MESSAGES.sameTables,
        });
      }
      tables.add(name);
    }
    this.pruneAfterMs = 3_600_000;
    if (options.pruneAfter !== undefined) {
      const parsed = parseDuration(options.pruneAfter, { allowZero: true });
      if ('ms' in parsed) this.pruneAfterMs = parsed.ms;
      else
        problems.push({
          option: 'pruneAfter',
          value: options.pruneAfter,
          source: 'PostgresCoordinator',
          message: parsed.problem,
        });
    }
    if (options.maxClockSkew !== undefined) {
      const parsed = parseDuration(options.maxClockSkew, { allowZero: true });
      if ('ms' in parsed) this.skewMs = parsed.ms;
      else
        problems.push({
          option: 'maxClockSkew',
          value: options.maxClockSkew,
          source: 'PostgresCoordinator',
          message: parsed.problem,
        });
    }
    if (problems.length > 0) throw new RoutinesConfigurationError(problems);

    const t = coordinatorTables({
      schema: schemaName,
      slotTable: slotTableName,
      leaseTable: leaseTableName,
      replicaTable: replicaTableName,
      controlTable: controlTableName,
      migrationTable: migrationTableName,
      runTable: runTableName,
    });
    this.tables = t;
    this.runs = new PostgresRunMarkers((text, values) => this.query(text, values), t.runs);
    this.migrations = new PostgresMigrationStore(
      (text, values) => this.query(text, values),
      t.migrations,
      t.migrationErrors,
    );
    this.replicas = new PostgresReplicaDirectory(
      (text, values) => this.query(text, values),
      t.replicas,
      t.controls,
    );
    this.sql = {
      claim: claimSlotsSql(t),
      releaseSlot: releaseSlotSql(t),
      prune: pruneSlotsSql(t),
      acquire: acquireLeaseSql(t),
      renew: renewLeaseSql(t),
      release: releaseLeaseSql(t),
      complete: completeLeaseSql(t),
      reset: resetCompletionSql(t),
    };
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
    return this.batcher.claim(routine, slot, ttlMs, token, options?.backfill === true);
  }

  async releaseSlot(routine: string, slot: number, token?: string): Promise<void> {
    await this.query(this.sql.releaseSlot, [routine, slot, token ?? null]);
  }

  async acquireLease(
    routine: string,
    ttlMs: number,
    options: AcquireOptions = {},
  ): Promise<Lease | CompletedRoutine | null> {
    const token = newToken();
    const version = options.version ?? '';
    const result = await this.query<{
      epoch: string | null;
      completed: boolean;
      held_since: string | null;
    }>(this.sql.acquire, [routine, token, wholeMilliseconds(ttlMs), version]);
    const rows = result.rows;
    if (rows.some((row) => row.completed)) return { completed: true, version };
    const taken = rows.find((row) => row.epoch !== null);
    if (taken) return { routine, token, epoch: Number(taken.epoch) };
    const held = rows.find((row) => row.held_since !== null);
    if (held)
      throw new CoordinatorStateLostError(
        'postgres',
        routine,
        Number(held.held_since),
        'lease',
        ttlMs,
      );
    return null;
  }

  async completeLease(lease: Lease, version: string): Promise<boolean> {
    const result = await this.query(this.sql.complete, [lease.routine, lease.token, version]);
    return result.rowCount === 1;
  }

  async resetCompletion(routine: string): Promise<void> {
    await this.query(this.sql.reset, [routine]);
  }

  /** Every PRUNE_EVERY claims, off the claims' path; a failed prune is retried next round. */
  private pruneNowAndThen(claims: number): void {
    this.claimsSincePrune += claims;
    if (this.claimsSincePrune < PRUNE_EVERY) return;
    this.claimsSincePrune = 0;
    this.pool.query(this.sql.prune, [this.pruneAfterMs]).then(
      () => undefined,
      () => undefined,
    );
  }

  private async sendClaims(claims: PendingClaim[]): Promise<void> {
    // The same slot twice in one batch (two routine objects of one name): the first one asks.
    const first = new Map<string, PendingClaim>();
    for (const claim of claims) {
      const key = claimKey(claim.routine, claim.slot);
      if (first.has(key)) claim.resolve(false);
      else first.set(key, claim);
    }
    // Every replica inserts the same rows at the same instant: in one order, so that two
    // batches wait on each other's rows instead of deadlocking (PostgreSQL would break a
    // deadlock only after deadlock_timeout, one second, and fail one of them).
    const asked = [...first.values()].sort(byRoutineThenSlot);
    try {
      const result = await this.query<{
        routine: string | null;
        slot: string | null;
        since: string | null;
      }>(this.sql.claim, [
        asked.map((claim) => claim.routine),
        asked.map((claim) => claim.slot),
        asked.map((claim) => claim.ttlMs),
        this.skewMs,
        asked.map((claim) => claim.token),
        asked.map((claim) => claim.backfill),
      ]);
      const won = new Set<string>();
      let since = -Infinity;
      for (const row of result.rows) {
        if (row.since !== null) since = Number(row.since);
        else won.add(claimKey(row.routine!, Number(row.slot)));
      }
      for (const [key, claim] of first) {
        if (!claim.backfill && claim.slot <= since + this.skewMs)
          claim.reject(
            new CoordinatorStateLostError('postgres', claim.routine, since, 'slot', claim.slot),
          );
        else claim.resolve(won.has(key));
      }
    } catch (error) {
      for (const claim of asked) claim.reject(error);
    }
    this.pruneNowAndThen(claims.length);
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    const result = await this.query(this.sql.renew, [
      lease.routine,
      lease.token,
      wholeMilliseconds(ttlMs),
    ]);
    return result.rowCount === 1;
  }

  async releaseLease(lease: Lease): Promise<void> {
    await this.query(this.sql.release, [lease.routine, lease.token]);
  }

  /**
   * Creates the schema and tables if they are missing. Called on first use; call it at boot
   * to surface a connection or permission problem early.
   */
  ensureTables(): Promise<void> {
    if (this.tablesReady) return Promise.resolve();
    this.ready ??= this.createTables().then(
      () => {
        this.tablesReady = true;
      },
      (error: unknown) => {
        this.ready = undefined; // try again on the next call
        throw error;
      },
    );
    return this.ready;
  }

  /** The DDL this coordinator runs on first use, for a migration of your own. */
  tablesSql(): string {
    return createTablesSql(this.tables);
  }

  private async createTables(): Promise<void> {
    const existing = await this.pool.query<{
      slots: string | null;
      since: string | null;
      replicas: string | null;
      controls: string | null;
      migrations: string | null;
      errors: string | null;
      runs: string | null;
      completion: boolean;
      slot_token: boolean;
    }>(existingTablesSql(), [
      this.tables.slots,
      this.tables.leases,
      this.tables.since,
      this.tables.replicas,
      this.tables.controls,
      this.tables.migrations,
      this.tables.migrationErrors,
      this.tables.runs,
    ]);
    const row = existing.rows[0];
    if (
      row?.slots &&
      row.since &&
      row.replicas &&
      row.controls &&
      row.migrations &&
      row.errors &&
      row.runs &&
      row.completion &&
      row.slot_token
    )
      return;
    // One simple-protocol query under a transaction-level advisory lock (see the module).
    const ddl = lockedCreateTablesSql(this.tables);
    try {
      await this.pool.query(ddl);
    } catch (error) {
      if (!CONCURRENT_DDL.has(codeOf(error))) throw error;
      await this.pool.query(ddl);
    }
  }

  private async query<Row extends QueryResultRow = QueryResultRow>(
    text: string,
    values: unknown[],
  ): Promise<{ rows: Row[]; rowCount: number | null }> {
    if (!this.tablesReady) await this.ensureTables();
    try {
      return await this.pool.query<Row>(text, values);
    } catch (error) {
      if (codeOf(error) !== UNDEFINED_TABLE) throw error;
      // The tables were dropped under us: create them again, once.
      this.tablesReady = false;
      this.ready = undefined;
      await this.ensureTables();
      return await this.pool.query<Row>(text, values);
    }
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function claimKey(routine: string, slot: number): string {
  return `${routine}\u0000${slot}`;
}

function byRoutineThenSlot(a: PendingClaim, b: PendingClaim): number {
  if (a.routine !== b.routine) return a.routine < b.routine ? -1 : 1;
  return a.slot - b.slot;
}

/** Why `pool` cannot serve as the coordinator's pool, if it cannot. */
function checkPool(pool: unknown): string | undefined {
  const candidate = pool as Partial<Pool> | null;
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.query !== 'function')
    return MESSAGES.notPool;
  if (typeof candidate.totalCount !== 'number' || typeof candidate.idleCount !== 'number')
    return MESSAGES.singleClient;
  return undefined;
}

/**
 * A pg.Pool emits 'error' when PostgreSQL ends an idle connection (a restart, a failover,
 * pg_terminate_backend); with no listener, Node turns that into an uncaught exception and
 * the process exits. Listen when the app did not, and say so once per burst.
 */
function keepAliveOnPoolErrors(pool: Pool, logger: { warn(message: string): void }): void {
  if (typeof pool.on !== 'function' || typeof pool.listenerCount !== 'function') return;
  if (pool.listenerCount('error') > 0) return;
  let lastWarning = 0;
  pool.on('error', (error: unknown) => {
    const now = Date.now();
    if (now - lastWarning < 60_000) return;
    lastWarning = now;
    logger.warn(MESSAGES.idleConnectionFailed(describeError(error).message));
  });
}
