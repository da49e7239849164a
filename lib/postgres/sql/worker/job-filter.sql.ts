import type { JobTable } from './job-table';

/**
 * The rows an operator's list or action is about, as a `WHERE` fragment (not a statement: the
 * list and each action put it in their own). Every value is a parameter, from `$first`:
 * ids (array of the id's type, or NULL), states (text[] or NULL), a search text matched against
 * the id, and in the library's job table the dedupe key (or NULL), and payloads one of which
 * the row's must contain (jsonb[] or NULL; always NULL for an app's table, which has no
 * payload). A NULL leaves its part out; the caller refuses a filter with nothing in it.
 */
export function jobFilterSql({ c, idType, byQueue }: JobTable, first: number): string {
  const [ids, states, search, contains] = [first, first + 1, first + 2, first + 3].map(
    (n) => `$${n}`,
  );
  const matches = byQueue
    ? `${c.id}::text = ${search}::text OR "key" = ${search}::text`
    : `${c.id}::text = ${search}::text`;
  const payload = byQueue ? `"payload" @> ANY(${contains}::jsonb[])` : 'false';
  return (
    `(${ids}::${idType}[] IS NULL OR ${c.id} = ANY(${ids}::${idType}[])) ` +
    `AND (${states}::text[] IS NULL OR ${c.state} = ANY(${states}::text[])) ` +
    `AND (${search}::text IS NULL OR ${matches}) ` +
    `AND (${contains}::jsonb[] IS NULL OR ${payload})`
  );
}

/** The library's job table holds every queue: its statements see the worker's own rows only. */
export function queueFilterSql({ byQueue }: JobTable, parameter: number): string {
  return byQueue ? `"queue" = $${parameter}` : 'true';
}
