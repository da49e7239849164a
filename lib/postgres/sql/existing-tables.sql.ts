/**
 * Which of the coordinator's tables exist, and whether the columns added since their first
 * version are there: the check before the first-use DDL, so that a role without CREATE rights
 * can use tables a migration created.
 *
 * Parameters (each a `"schema"."table"`): $1 slots, $2 leases, $3 since, $4 replicas,
 * $5 controls, $6 migrations, $7 migration errors, $8 run markers, $9 audit trail.
 * Returns one row: each table's regclass text (NULL when missing), `completion` (the leases'
 * `completed_version`) and `slot_token` (the slots' `token`).
 *
 * Safe: reads the catalog only. One statement: pooler-safe.
 */
export function existingTablesSql(): string {
  return (
    'SELECT to_regclass($1)::text AS slots, to_regclass($3)::text AS since, to_regclass($8)::text AS runs, ' +
    'to_regclass($9)::text AS audit, ' +
    'to_regclass($4)::text AS replicas, to_regclass($5)::text AS controls, ' +
    'to_regclass($6)::text AS migrations, to_regclass($7)::text AS errors, EXISTS (SELECT 1 FROM pg_attribute ' +
    "WHERE attrelid = to_regclass($2) AND attname = 'completed_version' AND NOT attisdropped) AS completion, " +
    "EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'token' AND NOT attisdropped) AS slot_token"
  );
}
