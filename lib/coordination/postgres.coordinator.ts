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
import { migrationTablesSql, PostgresMigrationStore } from './postgres-migration-store';
import { PostgresReplicaDirectory } from './postgres-replica-directory';
import { PostgresRunMarkers, runTableSql } from './postgres-run-markers';
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
/** Serialises the first-use DDL of concurrent processes (a transaction-level lock: pooler-safe). */
const DDL_LOCK_KEY = '7310583945211937117';
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
  private readonly schemaName: string;
  private readonly slots: string;
  private readonly leases: string;
  private readonly replicaTable: string;
  private readonly controlTable: string;
  private readonly migrationTable: string;
  private readonly migrationErrorTable: string;
  private readonly migrationErrorIndex: string;
  private readonly runTable: string;
  /** Cluster-wide overlap of periodic runs: one row per routine in the run table. */
  readonly runs: RunMarkers;
  /** Out-of-band migrations' progress, direction and errors. */
  readonly migrations: MigrationStateStore;
  /** Live replicas and routine controls, for the dashboard. */
  readonly replicas: ReplicaDirectory;
  /** One row: when the tables were created. A loss of the tables shows as a newer time. */
  private readonly since: string;
  private skewMs = 1000;
  private readonly slotTableName: string;
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
    this.schemaName = identifier('schema', options.schema, 'public');
    this.slotTableName = identifier('slotTable', options.slotTable, 'routines_slots');
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
      ['slotTable', this.slotTableName],
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

    this.since = `${quote(this.schemaName)}.${quote(`${leaseTableName}_since`.slice(0, 63))}`;
    this.slots = `${quote(this.schemaName)}.${quote(this.slotTableName)}`;
    this.leases = `${quote(this.schemaName)}.${quote(leaseTableName)}`;
    this.replicaTable = `${quote(this.schemaName)}.${quote(replicaTableName)}`;
    this.controlTable = `${quote(this.schemaName)}.${quote(controlTableName)}`;
    this.migrationTable = `${quote(this.schemaName)}.${quote(migrationTableName)}`;
    this.migrationErrorTable = `${quote(this.schemaName)}.${quote(`${migrationTableName}_errors`.slice(0, 63))}`;
    this.migrationErrorIndex = quote(`${migrationTableName}_errors_idx`.slice(0, 63));
    this.runTable = `${quote(this.schemaName)}.${quote(runTableName)}`;
    this.runs = new PostgresRunMarkers((text, values) => this.query(text, values), this.runTable);
    this.migrations = new PostgresMigrationStore(
      (text, values) => this.query(text, values),
      this.migrationTable,
      this.migrationErrorTable,
    );
    this.replicas = new PostgresReplicaDirectory(
      (text, values) => this.query(text, values),
      this.replicaTable,
      this.controlTable,
    );
    const ttl = `($3::float8 * interval '1 millisecond')`;
    // Epochs are at least the server's time in µs: above every epoch issued before, even when
    // the lease table was dropped and created again (as long as the server's clock holds).
    const clockEpoch = `floor(extract(epoch from clock_timestamp()) * 1000000)::bigint`;
    // The time of the latest loss, in ms. An empty since table (a TRUNCATE, a restore without
    // it) is a loss found now: the row is written again with now(), so the call fails closed
    // (counted and logged, as after a dropped table) and later slots run. The statement does
    // not see its own insert, hence the union; max() if two replicas wrote it at once.
    const lostSince =
      `lost AS (INSERT INTO ${this.since} (since) SELECT now() ` +
      `WHERE NOT EXISTS (SELECT 1 FROM ${this.since}) RETURNING since), ` +
      `m AS (SELECT floor(extract(epoch from max(since)) * 1000)::bigint AS since FROM ` +
      `(SELECT since FROM ${this.since} UNION ALL SELECT since FROM lost) AS s)`;
    this.sql = {
      // Every claim due at one instant from this process goes in one statement (see flush).
      // Fails closed after the tables were created again: slots due before then (+ skew) may
      // have run, so they are not inserted (but a backfill's are), and the statement says since
      // when ($4 is the skew).
      claim:
        `WITH ${lostSince}, ` +
        `won AS (INSERT INTO ${this.slots} (routine, slot, claimed_at, expires_at, token) ` +
        `SELECT c.routine, c.slot, now(), now() + c.ttl * interval '1 millisecond', c.token ` +
        `FROM unnest($1::text[], $2::bigint[], $3::float8[], $5::text[], $6::boolean[]) ` +
        `AS c(routine, slot, ttl, token, backfill) ` +
        `WHERE c.slot > (SELECT since FROM m) + $4 OR c.backfill ` +
        `ON CONFLICT DO NOTHING RETURNING routine, slot) ` +
        `SELECT routine, slot, NULL::bigint AS since FROM won UNION ALL SELECT NULL, NULL, since FROM m`,
      // With a token ($3), only the claim made with it.
      releaseSlot: `DELETE FROM ${this.slots} WHERE routine = $1 AND slot = $2 AND ($3::text IS NULL OR token = $3)`,
      prune: `DELETE FROM ${this.slots} WHERE expires_at < now() - ($1::float8 * interval '1 millisecond')`,
      // One statement: takes the lease unless it is held or the routine completed under $4.
      // ... and held back for a ttl after the tables were created (again).
      acquire:
        `WITH done AS (SELECT 1 FROM ${this.leases} WHERE routine = $1 AND completed_version = $4), ` +
        `${lostSince}, ` +
        `held AS (SELECT since FROM m WHERE now() < to_timestamp(since / 1000.0) + ${ttl}), ` +
        `taken AS (INSERT INTO ${this.leases} AS l (routine, token, epoch, acquired_at, expires_at) ` +
        `SELECT $1, $2, ${clockEpoch}, now(), now() + ${ttl} ` +
        `WHERE NOT EXISTS (SELECT 1 FROM done) AND NOT EXISTS (SELECT 1 FROM held) ` +
        `ON CONFLICT (routine) DO UPDATE SET token = EXCLUDED.token, ` +
        `epoch = GREATEST(l.epoch + 1, ${clockEpoch}), ` +
        `acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at ` +
        `WHERE l.expires_at <= now() AND l.completed_version IS DISTINCT FROM $4 RETURNING epoch) ` +
        `SELECT epoch, false AS completed, NULL::bigint AS held_since FROM taken ` +
        `UNION ALL SELECT NULL, true, NULL FROM done UNION ALL SELECT NULL, false, since FROM held`,
      renew:
        `UPDATE ${this.leases} SET expires_at = now() + ${ttl} ` +
        `WHERE routine = $1 AND token = $2 AND expires_at > now()`,
      // The token goes too: a renewal already waiting on the row lock when the release commits
      // re-checks the row, and must not find it still ours (its now() may be older than ours).
      release:
        `UPDATE ${this.leases} SET expires_at = '-infinity', token = '' ` +
        `WHERE routine = $1 AND token = $2`,
      complete:
        `UPDATE ${this.leases} SET expires_at = '-infinity', token = '', completed_version = $3 ` +
        `WHERE routine = $1 AND token = $2 AND expires_at > now()`,
      reset: `UPDATE ${this.leases} SET completed_version = NULL WHERE routine = $1`,
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
    const schema = this.schemaName;
    return [
      `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '${schema}') ` +
        `THEN CREATE SCHEMA ${quote(schema)}; END IF; END $$;`,
      `CREATE TABLE IF NOT EXISTS ${this.slots} (routine text NOT NULL, slot bigint NOT NULL, ` +
        `claimed_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL, ` +
        `token text, PRIMARY KEY (routine, slot));`,
      `ALTER TABLE ${this.slots} ADD COLUMN IF NOT EXISTS token text;`,
      `CREATE INDEX IF NOT EXISTS ${quote(`${this.slotTableName}_expires_at_idx`.slice(0, 63))} ` +
        `ON ${this.slots} (expires_at);`,
      `CREATE TABLE IF NOT EXISTS ${this.leases} (routine text PRIMARY KEY, token text NOT NULL, ` +
        `epoch bigint NOT NULL, acquired_at timestamptz NOT NULL DEFAULT now(), ` +
        `expires_at timestamptz NOT NULL, completed_version text);`,
      `ALTER TABLE ${this.leases} ADD COLUMN IF NOT EXISTS completed_version text;`,
      `CREATE TABLE IF NOT EXISTS ${this.since} (since timestamptz NOT NULL);`,
      `CREATE TABLE IF NOT EXISTS ${this.replicaTable} (id text PRIMARY KEY, snapshot text NOT NULL, ` +
        `expires_at timestamptz NOT NULL);`,
      `CREATE TABLE IF NOT EXISTS ${this.controlTable} (routine text PRIMARY KEY, control text NOT NULL, ` +
        `updated_at timestamptz NOT NULL DEFAULT now());`,
      ...migrationTablesSql(
        this.migrationTable,
        this.migrationErrorTable,
        this.migrationErrorIndex,
      ),
      runTableSql(this.runTable),
      `INSERT INTO ${this.since} (since) SELECT now() WHERE NOT EXISTS (SELECT 1 FROM ${this.since});`,
    ].join('\n');
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
    }>(
      'SELECT to_regclass($1)::text AS slots, to_regclass($3)::text AS since, to_regclass($8)::text AS runs, ' +
        'to_regclass($4)::text AS replicas, to_regclass($5)::text AS controls, ' +
        'to_regclass($6)::text AS migrations, to_regclass($7)::text AS errors, EXISTS (SELECT 1 FROM pg_attribute ' +
        "WHERE attrelid = to_regclass($2) AND attname = 'completed_version' AND NOT attisdropped) AS completion, " +
        "EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'token' AND NOT attisdropped) AS slot_token",
      [
        this.slots,
        this.leases,
        this.since,
        this.replicaTable,
        this.controlTable,
        this.migrationTable,
        this.migrationErrorTable,
        this.runTable,
      ],
    );
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
    // One simple-protocol query: its statements run in one implicit transaction, which holds
    // the advisory lock until it commits, so concurrent first uses do not trip over each other.
    const ddl = `SELECT pg_advisory_xact_lock(${DDL_LOCK_KEY});\n${this.tablesSql()}`;
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

function quote(identifier: string): string {
  return `"${identifier}"`;
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
