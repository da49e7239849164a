/**
 * The members of a `pg.Pool` that the PostgreSQL coordinator and worker store use, described
 * here so that the package's type declarations never name `pg`: an app that does not use it
 * compiles without it installed (and without `skipLibCheck`). A `pg.Pool` fits this shape;
 * nothing else is supported (the constructors check at run time).
 */

/**
 * A `pg.Pool`: `new Pool({ connectionString })` from `pg`.
 *
 * @example
 * import { Pool } from 'pg';
 * new PostgresCoordinator(new Pool({ connectionString: process.env.DATABASE_URL }));
 */
export interface PostgresPool {
  query(text: string, values?: unknown[]): Promise<unknown>;
  /** A pool has these counters; a single `pg.Client` (refused) does not. */
  readonly totalCount: number;
  readonly idleCount: number;
  on(event: 'error', listener: (error: Error, ...rest: never[]) => void): unknown;
  listenerCount(event: 'error'): number;
}
