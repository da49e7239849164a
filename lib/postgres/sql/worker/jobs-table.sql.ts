import { qualifiedTable, workerTableSql } from '../../../worker/worker-table';
import { MESSAGES } from '../../../worker/worker.messages';

/** Serialises the first-use DDL of the library's job table (a transaction-level lock). */
export const JOBS_DDL_LOCK = '7310583945211937118';

/**
 * DDL of the library's job table: a queue, a JSON payload, a deduplication key, a priority,
 * and the worker's columns (`workerTableSql`, without the announce trigger: `enqueue`
 * announces its own), with the indexes of the deduplication, the dequeue and the pruning of
 * ended rows. Idempotent.
 */
export function jobsTableSql(table = 'public.routines_jobs'): string {
  const qualified = qualifiedTable(table);
  if (!qualified) throw new RangeError(MESSAGES.ddlNotTableName('jobsTableSql', table));
  const name = table.split('.').pop()!;
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified} (id bigserial PRIMARY KEY, queue text NOT NULL, ` +
      `payload jsonb NOT NULL DEFAULT 'null', key text, priority integer NOT NULL DEFAULT 0);`,
    workerTableSql(table, {}, undefined, false),
    `CREATE UNIQUE INDEX IF NOT EXISTS "${name}_queue_key_idx" ON ${qualified} (queue, key) ` +
      `WHERE key IS NOT NULL AND state IN ('queued', 'processing', 'errored');`,
    `CREATE INDEX IF NOT EXISTS "${name}_queue_due_idx" ON ${qualified} (queue, priority DESC, queued_at, id) ` +
      `WHERE state IN ('queued', 'errored');`,
    // Ended rows by age: the retention's pruning, and an operator's list of one ended state.
    `CREATE INDEX IF NOT EXISTS "${name}_queue_ended_idx" ON ${qualified} (queue, state, finished_at) ` +
      `WHERE state IN ('completed', 'failed', 'canceled');`,
  ].join('\n');
}

/** The DDL as run on first use: under a transaction-level advisory lock (pooler-safe). */
export function lockedJobsTableSql(table: string): string {
  return `SELECT pg_advisory_xact_lock(${JOBS_DDL_LOCK});\n${jobsTableSql(table)}`;
}
