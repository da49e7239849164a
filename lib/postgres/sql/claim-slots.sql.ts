import type { CoordinatorTables } from './tables';

/**
 * Claims the slots due at one instant from this process, all in one statement: inserts a row
 * per claim, `ON CONFLICT DO NOTHING` (a slot claimed already by another replica is no row).
 *
 * Fails closed after the tables were created again: `lost`/`m` read the time of the latest
 * loss (the since table's row; an empty since table, after a TRUNCATE or a restore without it,
 * is a loss found now: the row is written again with now(); the statement does not see its own
 * insert, hence the union; max() if two replicas wrote it at once). Slots due up to then plus
 * the skew may have run before the loss, so they are not inserted, unless they are a backfill's.
 *
 * Parameters: $1 text[] routines, $2 bigint[] slots (epoch ms), $3 float8[] ttls (ms),
 * $4 the clock skew (ms), $5 text[] tokens, $6 boolean[] backfill flags.
 * Returns a row (routine, slot, NULL) per claim won, and one row (NULL, NULL, since): the
 * latest loss, in epoch ms.
 *
 * Safe: every time is the database's `now()`. The caller sorts the claims by routine then
 * slot, and every replica inserts the same rows at the same instant, so two batches wait on
 * each other's rows in one order instead of deadlocking. One statement, no session state and
 * no named prepared statement: pooler-safe (PgBouncer in transaction mode).
 */
export function claimSlotsSql(t: Pick<CoordinatorTables, 'slots' | 'since'>): string {
  return (
    `WITH lost AS (INSERT INTO ${t.since} (since) SELECT now() ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${t.since}) RETURNING since), ` +
    `m AS (SELECT floor(extract(epoch from max(since)) * 1000)::bigint AS since FROM ` +
    `(SELECT since FROM ${t.since} UNION ALL SELECT since FROM lost) AS s), ` +
    `won AS (INSERT INTO ${t.slots} (routine, slot, claimed_at, expires_at, token) ` +
    `SELECT c.routine, c.slot, now(), now() + c.ttl * interval '1 millisecond', c.token ` +
    `FROM unnest($1::text[], $2::bigint[], $3::float8[], $5::text[], $6::boolean[]) ` +
    `AS c(routine, slot, ttl, token, backfill) ` +
    `WHERE c.slot > (SELECT since FROM m) + $4 OR c.backfill ` +
    `ON CONFLICT DO NOTHING RETURNING routine, slot) ` +
    `SELECT routine, slot, NULL::bigint AS since FROM won UNION ALL SELECT NULL, NULL, since FROM m`
  );
}
