import { CoordinatorStateLostError, wholeMilliseconds } from '../cluster/coordination.errors';
import { newToken } from '../cluster/new-token';
import type { AcquireOptions, CompletedRoutine, Lease, Leases } from '../cluster/ports';
import type { PostgresConnection } from './postgres-connection';
import { acquireLeaseSql } from './sql/acquire-lease.sql';
import { completeLeaseSql } from './sql/complete-lease.sql';
import { releaseLeaseSql } from './sql/release-lease.sql';
import { renewLeaseSql } from './sql/renew-lease.sql';
import { resetCompletionSql } from './sql/reset-completion.sql';
import type { CoordinatorTables } from './sql/tables';

interface AcquireRow extends Record<string, unknown> {
  epoch: string | null;
  completed: boolean;
  held_since: string | null;
  since: string | null;
}

/**
 * Leases in the lease table, one row per routine:
 *
 * - `acquireLease`: an upsert on the routine's row that only succeeds once the previous
 *   holding has expired, and bumps the fencing epoch (1 on the first acquire);
 * - `renewLease`: an `UPDATE` guarded by the token and the expiry;
 * - `releaseLease`: expires the row (it is never deleted, so the epoch keeps growing).
 */
export class PostgresLeases implements Leases {
  private readonly sql: Record<'acquire' | 'renew' | 'release' | 'complete' | 'reset', string>;

  constructor(
    private readonly connection: PostgresConnection,
    tables: CoordinatorTables,
    /** The clock skew allowed, as the line said when the engine holds no state names it. */
    private readonly skewMs = 1000,
  ) {
    this.sql = {
      acquire: acquireLeaseSql(tables),
      renew: renewLeaseSql(tables),
      release: releaseLeaseSql(tables),
      complete: completeLeaseSql(tables),
      reset: resetCompletionSql(tables),
    };
  }

  async acquireLease(
    routine: string,
    ttlMs: number,
    options: AcquireOptions = {},
  ): Promise<Lease | CompletedRoutine | null> {
    const token = newToken();
    const version = options.version ?? '';
    const { rows } = await this.connection.query<AcquireRow>(this.sql.acquire, [
      routine,
      token,
      wholeMilliseconds(ttlMs),
      version,
    ]);
    // The latest loss, read before this answer is noted: whether the row moved on since this
    // process saw it (a loss it saw) or was never seen (an engine new to it).
    const latest = rows.find((row) => row.since !== null);
    const since = latest ? Number(latest.since) : undefined;
    const notice =
      since === undefined ? undefined : this.connection.emptyEngineNotice(since, this.skewMs);
    if (since !== undefined) this.connection.sawSince(since);
    if (rows.some((row) => row.completed)) return { completed: true, version };
    const taken = rows.find((row) => row.epoch !== null);
    if (taken) return { routine, token, epoch: Number(taken.epoch) };
    const held = rows.find((row) => row.held_since !== null);
    if (held) {
      const heldSince = Number(held.held_since);
      throw new CoordinatorStateLostError('postgres', routine, heldSince, 'lease', ttlMs, notice);
    }
    return null;
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    const result = await this.connection.query(this.sql.renew, [
      lease.routine,
      lease.token,
      wholeMilliseconds(ttlMs),
    ]);
    return result.rowCount === 1;
  }

  async releaseLease(lease: Lease): Promise<void> {
    await this.connection.query(this.sql.release, [lease.routine, lease.token]);
  }

  async completeLease(lease: Lease, version: string): Promise<boolean> {
    const result = await this.connection.query(this.sql.complete, [
      lease.routine,
      lease.token,
      version,
    ]);
    return result.rowCount === 1;
  }

  async resetCompletion(routine: string): Promise<void> {
    await this.connection.query(this.sql.reset, [routine]);
  }
}
