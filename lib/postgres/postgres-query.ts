/**
 * One statement through the coordinator's connection (see `PostgresConnection.query`): the
 * tables are created first if missing, and again if they were dropped. What each of the
 * coordinator's stores is given instead of the pool.
 */
export type PostgresQuery = <Row extends Record<string, unknown> = Record<string, unknown>>(
  text: string,
  values: unknown[],
) => Promise<{ rows: Row[]; rowCount: number | null }>;
