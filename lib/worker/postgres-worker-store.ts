// Type-only: an app that never constructs a PostgresWorkerStore never loads pg.
import type { Pool } from 'pg';
import type { PostgresPool } from '../postgres/postgres-pool';
import { systemClock } from '../core/clock';
import { RoutinesConfigurationError } from '../core/errors';
import { enqueueJobSql } from '../postgres/sql/worker/enqueue-job.sql';
import { lockedJobsTableSql } from '../postgres/sql/worker/jobs-table.sql';
import { AnnouncementListener, WORKER_CHANNEL } from './announcement-listener';
import type {
  EnqueueOptions,
  JobRow,
  PostgresWorkerStoreOptions,
  WorkerTableOptions,
} from './interfaces/worker-store-options.interface';
import { PostgresWorkerTable } from './postgres-worker-table';
import { checkQueueName, DEFAULT_MAX_PAYLOAD_BYTES, payloadJson } from './queue-payload';
import { qualifiedTable } from './worker-table';
import { MESSAGES } from './worker.messages';

/**
 * Job tables on the app's PostgreSQL, through its `pg.Pool`: the app's own tables, and the
 * library's `routines_jobs` for plain queues.
 *
 * @example
 * const store = new PostgresWorkerStore(pool);
 * const uploads = store.table<UploadRow>('uploads');
 * await uploads.check(); // a missing column is a configuration error naming it
 */
export class PostgresWorkerStore {
  /** How an outage of the store's database is named in the workers' logs. */
  readonly kind = 'PostgreSQL (worker store)';
  private readonly pool: Pool;
  private readonly maxPayloadBytes: number;
  /** `schema.table`. */
  private readonly jobsName: string;
  private readonly enqueueSql: string;
  private jobsReady: Promise<void> | undefined;
  private readonly announcements: AnnouncementListener;

  constructor(pool: PostgresPool, options: PostgresWorkerStoreOptions = {}) {
    this.pool = pool as unknown as Pool;
    const schema = options.schema ?? 'public';
    const table = options.jobsTable ?? 'routines_jobs';
    const qualified = qualifiedTable(`${schema}.${table}`);
    if (!qualified) {
      throw storeProblem('jobsTable', `${schema}.${table}`, MESSAGES.notTableName);
    }
    this.jobsName = `${schema}.${table}`;
    this.enqueueSql = enqueueJobSql(qualified, WORKER_CHANNEL);
    const max = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw storeProblem('maxPayloadBytes', options.maxPayloadBytes, MESSAGES.badMaxPayloadBytes);
    }
    this.maxPayloadBytes = max;
    this.announcements = new AnnouncementListener(this.pool, options.clock ?? systemClock);
  }

  /** A job table of the app's own, with the worker's columns. */
  table<Row = Record<string, unknown>>(
    name: string,
    options: WorkerTableOptions = {},
  ): PostgresWorkerTable<Row> {
    return new PostgresWorkerTable<Row>(this.pool, name, options, this);
  }

  /** One queue of the library's job table (created on first use): rows `{ id, queue, payload, key, priority, ... }`. */
  async queue<Payload = unknown>(name: string): Promise<PostgresWorkerTable<JobRow<Payload>>> {
    checkQueueName(name);
    await this.ensureJobsTable();
    return new PostgresWorkerTable<JobRow<Payload>>(
      this.pool,
      this.jobsName,
      { queue: name, order: '"priority" DESC, "queued_at", "id"' },
      this,
    );
  }

  /**
   * Adds a job to a plain queue and announces it (on commit, inside the app's transaction with
   * `client`). Resolves with its id, or undefined when a job with the same `key` is pending.
   * A payload over `maxPayloadBytes` (JSON) is refused with a {@link PayloadTooLargeError}.
   *
   * @example
   * await store.enqueue('emails', { to: 'a@example.com' }, { key: 'welcome:42', client: trx });
   */
  async enqueue(
    queue: string,
    payload: unknown,
    options: EnqueueOptions = {},
  ): Promise<string | undefined> {
    checkQueueName(queue);
    const json = payloadJson(queue, payload, this.maxPayloadBytes);
    await this.ensureJobsTable();
    const runAt = options.runAt === undefined ? null : new Date(options.runAt);
    const client = options.client ?? this.pool;
    const result = (await client.query(this.enqueueSql, [
      queue,
      json,
      options.key ?? null,
      options.priority ?? 0,
      runAt,
    ])) as { rows: Array<{ id: string }> };
    return result.rows[0]?.id;
  }

  /**
   * Calls `onRow` when a row is announced for `tableOrQueue` (a plain queue's name, or an app
   * table with the trigger of `workerTableSql`), through one LISTEN connection per store. The
   * worker still polls: a notification lost while the connection was down costs a poll interval.
   */
  onAnnounced(tableOrQueue: string, onRow: () => void): () => void {
    return this.announcements.on(tableOrQueue, onRow);
  }

  /** Releases the LISTEN connection (RoutinesModule does it on shutdown). */
  close(): Promise<void> {
    return this.announcements.close();
  }

  private ensureJobsTable(): Promise<void> {
    this.jobsReady ??= this.pool.query(lockedJobsTableSql(this.jobsName)).then(
      () => undefined,
      (error: unknown) => {
        this.jobsReady = undefined;
        throw error;
      },
    );
    return this.jobsReady;
  }
}

/** A bad option of the store's constructor, as a configuration error naming it. */
function storeProblem(option: string, value: unknown, message: string): RoutinesConfigurationError {
  return new RoutinesConfigurationError([
    { source: 'PostgresWorkerStore', option, value, message },
  ]);
}
