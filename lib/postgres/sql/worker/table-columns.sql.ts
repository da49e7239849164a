/**
 * A table's columns and their types, to check a job table before its statements are built.
 *
 * Parameters: $1 the table's name, $2 its schema, or NULL for the current schema.
 * A catalog read: pooler-safe.
 */
export function tableColumnsSql(): string {
  return (
    'SELECT column_name, data_type FROM information_schema.columns ' +
    'WHERE table_name = $1 AND table_schema = COALESCE($2, current_schema())'
  );
}
