import type { CoordinatorTables } from './tables';

/**
 * Takes a routine's lease in one statement: an upsert on its row that succeeds only once the
 * previous holding expired, unless the routine completed under this version (`done`), or the
 * tables were created again less than a ttl ago (`held`: a lease issued before the loss may
 * still be held; `lost`/`m` read the time of the loss as in `claimSlotsSql`).
 *
 * The fencing epoch is the larger of the stored one plus one and the server's clock in µs, so
 * it grows above every epoch issued before, even when the table was dropped and created again
 * (as long as the server's clock holds).
 *
 * Parameters: $1 routine, $2 the new holder's token, $3 ttl (ms), $4 the caller's version.
 * Returns (epoch, false, NULL, NULL) when taken; (NULL, true, NULL, NULL) when completed under
 * $4; (NULL, false, since, NULL) when held back after a loss; no such row when someone holds
 * it; and always one row (NULL, false, NULL, since): the latest loss, in epoch ms, so that a
 * caller can tell a loss it saw happen (the row moved on since it read it) from tables it
 * never saw before.
 *
 * Safe: the row lock of the upsert serialises concurrent acquires; every time is the
 * database's. One statement, no session state: pooler-safe.
 */
export function acquireLeaseSql(t: Pick<CoordinatorTables, 'leases' | 'since'>): string {
  return (
    `WITH done AS (SELECT 1 FROM ${t.leases} WHERE routine = $1 AND completed_version = $4), ` +
    `lost AS (INSERT INTO ${t.since} (since) SELECT now() ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${t.since}) RETURNING since), ` +
    `m AS (SELECT floor(extract(epoch from max(since)) * 1000)::bigint AS since FROM ` +
    `(SELECT since FROM ${t.since} UNION ALL SELECT since FROM lost) AS s), ` +
    `held AS (SELECT since FROM m WHERE now() < to_timestamp(since / 1000.0) + ($3::float8 * interval '1 millisecond')), ` +
    `taken AS (INSERT INTO ${t.leases} AS l (routine, token, epoch, acquired_at, expires_at) ` +
    `SELECT $1, $2, floor(extract(epoch from clock_timestamp()) * 1000000)::bigint, now(), now() + ($3::float8 * interval '1 millisecond') ` +
    `WHERE NOT EXISTS (SELECT 1 FROM done) AND NOT EXISTS (SELECT 1 FROM held) ` +
    `ON CONFLICT (routine) DO UPDATE SET token = EXCLUDED.token, ` +
    `epoch = GREATEST(l.epoch + 1, floor(extract(epoch from clock_timestamp()) * 1000000)::bigint), ` +
    `acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at ` +
    `WHERE l.expires_at <= now() AND l.completed_version IS DISTINCT FROM $4 RETURNING epoch) ` +
    `SELECT epoch, false AS completed, NULL::bigint AS held_since, NULL::bigint AS since FROM taken ` +
    `UNION ALL SELECT NULL, true, NULL, NULL FROM done UNION ALL SELECT NULL, false, since, NULL FROM held ` +
    `UNION ALL SELECT NULL, false, NULL, since FROM m`
  );
}
