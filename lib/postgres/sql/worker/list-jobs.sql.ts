import { jobFilterSql, queueFilterSql } from './job-filter.sql';
import type { JobTable } from './job-table';

/** The most of a payload a list reads, in characters (at least its 8 KiB of UTF-8 shown). */
export const LISTED_PAYLOAD_CHARS = 8192;

/** The longest error message a list shows of each row, in characters (the row keeps 8 KB). */
export const LISTED_ERROR_CHARS = 2000;

/**
 * A page of rows for an operator, newest first (`queued_at DESC, id DESC`; in the library's
 * job table `id DESC`, the order of enqueue), after the keyset cursor `(queued_at, id)` of the
 * last row of the page before: a page costs its own rows, not the rows skipped, and rows added
 * meanwhile do not shift it.
 *
 * Parameters: $1-$4 the filter (`jobFilterSql`), $5 the cursor's `queued_at` in microseconds
 * since the epoch (bigint) or NULL, $6 the cursor's id (text) or NULL, $7 the page's size, $8
 * the queue's name (the library's job table only). Returns each row's fields for a
 * `JobSummary`, its `queued_at` in microseconds for the next cursor and, in the library's
 * table, its payload as JSON text and the payload's size in bytes.
 *
 * Microseconds from whole seconds plus the second's microseconds: exact on every version
 * (`extract(epoch)` is a double before PostgreSQL 14). A plain read: pooler-safe.
 */
export function listJobsSql(target: JobTable): string {
  const { table, c, idType, byQueue } = target;
  const micros =
    `(extract(epoch from date_trunc('second', ${c.queuedAt}))::bigint * 1000000 + ` +
    `extract(microseconds from ${c.queuedAt})::bigint % 1000000)`;
  // A plain queue's ids are a bigserial, in the order of enqueue: its primary key pages it
  // without a sort (by queued_at, 760 ms for a page of 500,000 rows). An app's id may be a
  // uuid: by queued_at, then id.
  const after = byQueue
    ? `($5::bigint IS NULL OR job.${c.id} < $6::text::${idType})`
    : `($5::bigint IS NULL OR (job.${c.queuedAt}, job.${c.id}) < ` +
      `(timestamptz 'epoch' + $5::bigint * interval '1 microsecond', $6::text::${idType}))`;
  // Qualified: the output column `id` (the id as text) would otherwise be what sorts.
  const order = byQueue ? `job.${c.id} DESC` : `job.${c.queuedAt} DESC, job.${c.id} DESC`;
  const payload = byQueue
    ? `, "key" AS key, "payload"::text AS payload, octet_length("payload"::text) AS payload_bytes`
    : '';
  return (
    `SELECT ${c.id}::text AS id, ${c.state} AS state, ${c.numFailures} AS num_failures, ` +
    `${c.numResets} AS num_resets, ${c.queuedAt} AS queued_at, ${c.startedAt} AS started_at, ` +
    `${c.finishedAt} AS finished_at, ${c.processAfter} AS process_after, ` +
    `left(${c.failureMessage}, ${LISTED_ERROR_CHARS}) AS error, ${c.cancel} AS cancel, ` +
    `${micros}::text AS cursor${payload} ` +
    `FROM ${table} AS job WHERE ${queueFilterSql(target, 8)} AND ${jobFilterSql(target, 1)} ` +
    `AND ${after} ORDER BY ${order} LIMIT $7`
  );
}
