import { ClaimBatcher, type PendingClaim } from '../cluster/claim-batcher';
import { CoordinatorStateLostError } from '../cluster/coordination.errors';
import type { ClaimOptions, SlotClaims } from '../cluster/ports';
import type { PostgresConnection } from './postgres-connection';
import { claimSlotsSql } from './sql/claim-slots.sql';
import { pruneSlotsSql } from './sql/prune-slots.sql';
import { releaseSlotSql } from './sql/release-slot.sql';
import type { CoordinatorTables } from './sql/tables';

/** Claims sent in one statement at most; the rest go in the next. */
const MAX_BATCH = 1000;

/** Claims between two prunes of expired slot rows, per coordinator. */
const PRUNE_EVERY = 256;

interface ClaimRow extends Record<string, unknown> {
  routine: string | null;
  slot: string | null;
  since: string | null;
}

/**
 * Slot claims in the slot table: `INSERT ... ON CONFLICT DO NOTHING RETURNING 1`, with the
 * claimant's token; expired rows are pruned now and then; `releaseSlot` deletes the row if it
 * still holds the releaser's token. A slot due before the tables were created again (plus
 * the clock skew allowed) is refused: it may have run before.
 */
export class PostgresSlotClaims implements SlotClaims {
  private readonly sql: Record<'claim' | 'release' | 'prune', string>;
  private readonly batcher = new ClaimBatcher(MAX_BATCH, (claims) => void this.sendClaims(claims));
  private claimsSincePrune = 0;

  constructor(
    private readonly connection: PostgresConnection,
    tables: CoordinatorTables,
    private readonly skewMs: number,
    private readonly pruneAfterMs: number,
  ) {
    this.sql = {
      claim: claimSlotsSql(tables),
      release: releaseSlotSql(tables),
      prune: pruneSlotsSql(tables),
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
    await this.connection.query(this.sql.release, [routine, slot, token ?? null]);
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
      this.settle(first, await this.insert(asked));
    } catch (error) {
      for (const claim of asked) claim.reject(error);
    }
    this.pruneNowAndThen(claims.length);
  }

  private async insert(asked: PendingClaim[]): Promise<ClaimRow[]> {
    const result = await this.connection.query<ClaimRow>(this.sql.claim, [
      asked.map((claim) => claim.routine),
      asked.map((claim) => claim.slot),
      asked.map((claim) => claim.ttlMs),
      this.skewMs,
      asked.map((claim) => claim.token),
      asked.map((claim) => claim.backfill),
    ]);
    return result.rows;
  }

  /** Rows name the slots won; a row with `since` says when the tables were created again. */
  private settle(claims: Map<string, PendingClaim>, rows: ClaimRow[]): void {
    const won = new Set<string>();
    let since = -Infinity;
    for (const row of rows) {
      if (row.since !== null) since = Number(row.since);
      else won.add(claimKey(row.routine!, Number(row.slot)));
    }
    // Read before this answer is noted: whether the row moved on since this process saw it.
    const notice = this.connection.emptyEngineNotice(since, this.skewMs);
    this.connection.sawSince(since);
    for (const [key, claim] of claims) {
      if (!claim.backfill && claim.slot <= since + this.skewMs)
        claim.reject(
          new CoordinatorStateLostError(
            'postgres',
            claim.routine,
            since,
            'slot',
            claim.slot,
            notice,
          ),
        );
      else claim.resolve(won.has(key));
    }
  }

  /** Every PRUNE_EVERY claims, off the claims' path; a failed prune is retried next round. */
  private pruneNowAndThen(claims: number): void {
    this.claimsSincePrune += claims;
    if (this.claimsSincePrune < PRUNE_EVERY) return;
    this.claimsSincePrune = 0;
    this.connection.pool.query(this.sql.prune, [this.pruneAfterMs]).then(
      () => undefined,
      () => undefined,
    );
  }
}

function claimKey(routine: string, slot: number): string {
  return `${routine}\u0000${slot}`;
}

function byRoutineThenSlot(a: PendingClaim, b: PendingClaim): number {
  if (a.routine !== b.routine) return a.routine < b.routine ? -1 : 1;
  return a.slot - b.slot;
}
