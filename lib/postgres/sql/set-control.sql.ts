/**
 * Sets a routine's control (a cluster-wide pause, from the dashboard).
 *
 * Parameters: $1 routine, $2 control (JSON). One statement: pooler-safe.
 */
export function setControlSql(controls: string): string {
  return (
    `INSERT INTO ${controls} (routine, control, updated_at) VALUES ($1, $2, now()) ` +
    `ON CONFLICT (routine) DO UPDATE SET control = EXCLUDED.control, updated_at = EXCLUDED.updated_at`
  );
}
