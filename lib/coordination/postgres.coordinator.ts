// Type-only: an app that never constructs a PostgresCoordinator never loads pg.
import type { Pool, QueryResultRow } from 'pg';
import { newToken, type Coordinator, type Lease } from '../core/coordinator';
import { parseDuration, type Duration } from '../core/duration';
import { RoutinesConfigurationError, type ConfigurationProblem } from '../core/errors';

export interface PostgresCoordinatorOptions {
  /** Schema of the two tables; created if missing. Default: 'public'. */
  schema?: string;
  /** Table of claimed periodic slots. Default: 'routines_slots'. */
  slotTable?: string;
  /** Table of background leases, one row per routine. Default: 'routines_leases'. */
  leaseTable?: string;
  /**
   * How long a slot row is kept once its claim has expired, before it is pruned (pruning
   * runs every few hundred claims, off the claim's path). Default: '1h'.
   */
  pruneAfter?: Duration;
}

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
 * - `claimSlot`: `INSERT ... ON CONFLICT DO NOTHING RETURNING 1` into the slot table;
 *   expired rows are pruned now and then;
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
  private readonly slotTableName: string;
  private readonly pruneAfterMs: number;
  private readonly sql: {
    claim: string;
    prune: string;
    acquire: string;
    renew: string;
    release: string;
  };
  private ready: Promise<void> | undefined;
  private tablesReady = false;
  private claimsSincePrune = 0;

  constructor(
    private readonly pool: Pool,
    options: PostgresCoordinatorOptions = {},
  ) {
    if (pool === null || typeof pool !== 'object' || typeof pool.query !== 'function') {
      throw new TypeError('PostgresCoordinator: expected a pg Pool');
    }
    const problems: ConfigurationProblem[] = [];
    const identifier = (option: string, value: unknown, fallback: string): string => {
      if (value === undefined) return fallback;
      if (typeof value === 'string' && IDENTIFIER.test(value)) return value;
      problems.push({
        option,
        value,
        source: 'PostgresCoordinator',
        message:
          'must be a plain SQL identifier: a letter or underscore, then letters, digits or underscores (at most 63)',
      });
      return fallback;
    };
    this.schemaName = identifier('schema', options.schema, 'public');
    this.slotTableName = identifier('slotTable', options.slotTable, 'routines_slots');
    const leaseTableName = identifier('leaseTable', options.leaseTable, 'routines_leases');
    if (this.slotTableName === leaseTableName) {
      problems.push({
        option: 'leaseTable',
        value: leaseTableName,
        source: 'PostgresCoordinator',
        message: 'must differ from slotTable',
      });
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
    if (problems.length > 0) throw new RoutinesConfigurationError(problems);

    this.slots = `${quote(this.schemaName)}.${quote(this.slotTableName)}`;
    this.leases = `${quote(this.schemaName)}.${quote(leaseTableName)}`;
    const ttl = `($3::float8 * interval '1 millisecond')`;
    this.sql = {
      claim:
        `INSERT INTO ${this.slots} (routine, slot, claimed_at, expires_at) ` +
        `VALUES ($1, $2, now(), now() + ${ttl}) ON CONFLICT DO NOTHING RETURNING 1`,
      prune: `DELETE FROM ${this.slots} WHERE expires_at < now() - ($1::float8 * interval '1 millisecond')`,
      acquire:
        `INSERT INTO ${this.leases} AS l (routine, token, epoch, acquired_at, expires_at) ` +
        `VALUES ($1, $2, 1, now(), now() + ${ttl}) ` +
        `ON CONFLICT (routine) DO UPDATE SET token = EXCLUDED.token, epoch = l.epoch + 1, ` +
        `acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at ` +
        `WHERE l.expires_at <= now() RETURNING epoch`,
      renew:
        `UPDATE ${this.leases} SET expires_at = now() + ${ttl} ` +
        `WHERE routine = $1 AND token = $2 AND expires_at > now()`,
      release:
        `UPDATE ${this.leases} SET expires_at = now() ` +
        `WHERE routine = $1 AND token = $2 AND expires_at > now()`,
    };
  }

  async claimSlot(routine: string, slot: number, ttlMs: number): Promise<boolean> {
    const result = await this.query(this.sql.claim, [routine, slot, milliseconds(ttlMs)]);
    if (++this.claimsSincePrune >= PRUNE_EVERY) {
      this.claimsSincePrune = 0;
      // Off the claim's path; a failed prune is retried at the next round.
      this.pool.query(this.sql.prune, [this.pruneAfterMs]).then(
        () => undefined,
        () => undefined,
      );
    }
    return result.rowCount === 1;
  }

  async acquireLease(routine: string, ttlMs: number): Promise<Lease | null> {
    const token = newToken();
    const result = await this.query<{ epoch: string | number }>(this.sql.acquire, [
      routine,
      token,
      milliseconds(ttlMs),
    ]);
    const row = result.rows[0];
    if (!row) return null;
    return { routine, token, epoch: Number(row.epoch) };
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    const result = await this.query(this.sql.renew, [
      lease.routine,
      lease.token,
      milliseconds(ttlMs),
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
        `PRIMARY KEY (routine, slot));`,
      `CREATE INDEX IF NOT EXISTS ${quote(`${this.slotTableName}_expires_at_idx`.slice(0, 63))} ` +
        `ON ${this.slots} (expires_at);`,
      `CREATE TABLE IF NOT EXISTS ${this.leases} (routine text PRIMARY KEY, token text NOT NULL, ` +
        `epoch bigint NOT NULL, acquired_at timestamptz NOT NULL DEFAULT now(), ` +
        `expires_at timestamptz NOT NULL);`,
    ].join('\n');
  }

  private async createTables(): Promise<void> {
    const existing = await this.pool.query<{ slots: string | null; leases: string | null }>(
      'SELECT to_regclass($1)::text AS slots, to_regclass($2)::text AS leases',
      [this.slots, this.leases],
    );
    const row = existing.rows[0];
    if (row?.slots && row.leases) return;
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

function milliseconds(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`invalid ttl: ${ttlMs} ms`);
  return Math.max(1, Math.ceil(ttlMs));
}
