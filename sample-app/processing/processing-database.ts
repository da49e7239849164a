import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { PostgresWorkerStore, workerTableSql } from 'nestjs-routines/postgres';

/** The uploads the thumbnail worker processes: a table of the app's own, with the worker's columns. */
export const PROCESSED_UPLOADS = 'sample_app_processed_uploads';

/**
 * The PostgreSQL the DB-backed worker runs on, when DATABASE_URL is set: the table is created
 * (with the worker's columns, as a migration would) before RoutinesModule checks it.
 */
export class ProcessingDatabase implements OnApplicationShutdown {
  private constructor(
    readonly store: PostgresWorkerStore | undefined,
    readonly pool: Pool | undefined,
  ) {}

  static async fromEnvironment(): Promise<ProcessingDatabase> {
    const url = process.env.DATABASE_URL;
    if (!url) return new ProcessingDatabase(undefined, undefined);
    const { Pool } = await import('pg');
    const pool = new Pool({ connectionString: url, connectionTimeoutMillis: 5000 });
    pool.on('error', (error) => new Logger('ProcessingDatabase').warn(error.message));
    await pool.query(
      `CREATE TABLE IF NOT EXISTS ${PROCESSED_UPLOADS} (id bigserial PRIMARY KEY, path text NOT NULL)`,
    );
    await pool.query(workerTableSql(PROCESSED_UPLOADS));
    return new ProcessingDatabase(new PostgresWorkerStore(pool), pool);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.end();
  }
}
