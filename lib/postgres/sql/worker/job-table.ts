import type { WorkerColumns } from '../../../worker/worker-table';

/**
 * A job table as the worker's statements name it. Everything here is an identifier (checked
 * before: table and column names match `[A-Za-z_][A-Za-z0-9_]{0,62}`), a type name read from
 * `information_schema`, or the app's own `ORDER BY`: the only text the statements interpolate.
 * Every value (ids, claims, the queue's name, times) is a parameter.
 */
export interface JobTable {
  /** `"schema"."table"` or `"table"`. */
  readonly table: string;
  /** Each worker column, quoted. */
  readonly c: Readonly<Record<keyof WorkerColumns, string>>;
  /** The id column's type (`information_schema.columns.data_type`), for the parameters' casts. */
  readonly idType: string;
  /** The dequeue's `ORDER BY`, SQL over the table's columns (the app's option). */
  readonly order: string;
  /**
   * The library's job table, which holds every queue: each worker sees its own rows only, by
   * `"queue" = $n` (the queue's name is the statement's last parameter). An app's table: all rows.
   */
  readonly byQueue: boolean;
}

/** The quoted columns of `columns`. */
export function quotedColumns(columns: WorkerColumns): Record<keyof WorkerColumns, string> {
  const quoted = {} as Record<keyof WorkerColumns, string>;
  for (const key of Object.keys(columns) as Array<keyof WorkerColumns>) {
    quoted[key] = `"${columns[key]}"`;
  }
  return quoted;
}
