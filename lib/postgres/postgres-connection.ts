// Type-only: an app that never constructs a PostgresCoordinator never loads pg.
import type { Pool, QueryResultRow } from 'pg';
import { MESSAGES } from './postgres.messages';
import { MESSAGES as COORDINATION } from '../cluster/coordination.messages';
import { describeError } from '../core/logger';
import { lockedCreateTablesSql } from './sql/create-tables.sql';
import { existingTablesSql } from './sql/existing-tables.sql';
import type { CoordinatorTables } from './sql/tables';

/** unique_violation (on pg_type), duplicate_table, duplicate_schema: a concurrent CREATE won. */
const CONCURRENT_DDL = new Set(['23505', '42P07', '42P06']);
const UNDEFINED_TABLE = '42P01';

interface ExistingTables {
  slots: string | null;
  since: string | null;
  replicas: string | null;
  controls: string | null;
  migrations: string | null;
  errors: string | null;
  runs: string | null;
  audit: string | null;
  completion: boolean;
  slot_token: boolean;
}

/**
 * The coordinator's pool and tables: every statement goes through `query`, which creates the
 * tables on first use (idempotent DDL under a transaction-level advisory lock, so that many
 * replicas starting at once create them once) and again when they were dropped under it.
 */
export class PostgresConnection {
  private ready: Promise<void> | undefined;
  private tablesReady = false;
  /** The latest time of the since table's row this process saw (epoch ms). */
  private seenSince: number | undefined;
  /** Whether this process found the tables gone under it and created them again. */
  private recreated = false;

  constructor(
    readonly pool: Pool,
    private readonly tables: CoordinatorTables,
  ) {}

  /** Creates the schema and tables if they are missing; once, unless it failed. */
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

  async query<Row extends QueryResultRow = QueryResultRow>(
    text: string,
    values: unknown[],
  ): Promise<{ rows: Row[]; rowCount: number | null }> {
    if (!this.tablesReady) await this.ensureTables();
    try {
      return await this.pool.query<Row>(text, values);
    } catch (error) {
      if (codeOf(error) !== UNDEFINED_TABLE) throw error;
      // The tables were dropped under us: create them again, once.
      this.recreated = true;
      this.tablesReady = false;
      this.ready = undefined;
      await this.ensureTables();
      return await this.pool.query<Row>(text, values);
    }
  }

  /**
   * What a refusal since `since` (the since table's row) is: a loss this process saw (it found
   * the tables gone under it, or the row moved on since it read it): undefined, a warning per
   * loss; else the engine holds no state from before `since`, new or emptied, which nothing in
   * it tells apart: the one line to say for the engine (info, once).
   */
  emptyEngineNotice(since: number, skewMs: number): string | undefined {
    if (this.recreated || (this.seenSince !== undefined && since > this.seenSince))
      return undefined;
    return COORDINATION.emptyEngine(
      `PostgreSQL (schema "${this.tables.schemaName}")`,
      new Date(since).toISOString(),
      new Date(since + skewMs).toISOString(),
    );
  }

  /** Notes the since table's row as a statement answered it. */
  sawSince(since: number): void {
    if (Number.isFinite(since) && (this.seenSince === undefined || since > this.seenSince))
      this.seenSince = since;
  }

  private async createTables(): Promise<void> {
    if (await this.tablesExist()) return;
    // One simple-protocol query under a transaction-level advisory lock (see the module).
    const ddl = lockedCreateTablesSql(this.tables);
    try {
      await this.pool.query(ddl);
    } catch (error) {
      if (!CONCURRENT_DDL.has(codeOf(error))) throw error;
      await this.pool.query(ddl);
    }
  }

  /** Whether every table, and every column added since the first version, is there. */
  private async tablesExist(): Promise<boolean> {
    const t = this.tables;
    const existing = await this.pool.query<ExistingTables>(existingTablesSql(), [
      t.slots,
      t.leases,
      t.since,
      t.replicas,
      t.controls,
      t.migrations,
      t.migrationErrors,
      t.runs,
      t.audit,
    ]);
    const row = existing.rows[0];
    return Boolean(
      row?.slots &&
      row.since &&
      row.replicas &&
      row.controls &&
      row.migrations &&
      row.errors &&
      row.runs &&
      row.audit &&
      row.completion &&
      row.slot_token,
    );
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * A pg.Pool emits 'error' when PostgreSQL ends an idle connection (a restart, a failover,
 * pg_terminate_backend); with no listener, Node turns that into an uncaught exception and
 * the process exits. Listen when the app did not, and say so once per burst.
 */
export function keepAliveOnPoolErrors(pool: Pool, logger: { warn(message: string): void }): void {
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
