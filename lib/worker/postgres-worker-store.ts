// Type-only: an app that never constructs a PostgresWorkerStore never loads pg.
import type { Pool, PoolClient } from 'pg';
import type { PostgresPool } from '../postgres/postgres-pool';
import type { OutageSource } from '../core/coordinator-outage';
import { RoutinesConfigurationError, type ConfigurationProblem } from '../core/errors';
import {
  COLUMN_TYPES,
  DEFAULT_WORKER_COLUMNS,
  isIdentifier,
  qualifiedTable,
  workerTableSql,
  type WorkerColumns,
} from './worker-table';
import { quotedColumns, type JobTable } from '../postgres/sql/worker/job-table';
import { cancelJobSql } from '../postgres/sql/worker/cancel-job.sql';
import { completeJobsSql } from '../postgres/sql/worker/complete-jobs.sql';
import { countJobsSql } from '../postgres/sql/worker/count-jobs.sql';
import { dequeueJobsSql } from '../postgres/sql/worker/dequeue-jobs.sql';
import { enqueueJobSql } from '../postgres/sql/worker/enqueue-job.sql';
import { failJobSql } from '../postgres/sql/worker/fail-job.sql';
import { heartbeatJobsSql } from '../postgres/sql/worker/heartbeat-jobs.sql';
import { lockedJobsTableSql } from '../postgres/sql/worker/jobs-table.sql';
import { listenSql } from '../postgres/sql/worker/listen.sql';
import { requeueJobSql } from '../postgres/sql/worker/requeue-job.sql';
import { resetStalledJobsSql } from '../postgres/sql/worker/reset-stalled-jobs.sql';
import { tableColumnsSql } from '../postgres/sql/worker/table-columns.sql';

export { jobsTableSql } from '../postgres/sql/worker/jobs-table.sql';

/** A row this process claimed: the row as the table has it, and the claim that fences its writes. */
export interface ClaimedJob<Row = Record<string, unknown>> {
  /** The row's id, as text (the key of every later call). */
  id: string;
  row: Row;
  /** 1 for the first attempt, then failures so far + 1. */
  attempt: number;
  /** `host:pid:token.n`, written into the hostname column at dequeue: new for every dequeue. */
  claim: string;
}

/**
 * How heartbeat and completion answers name one attempt: the row's id and the claim of its
 * dequeue (one worker may hold a row again, after a reset, while its old attempt still runs).
 */
export function jobKey(job: Pick<ClaimedJob, 'id' | 'claim'>): string {
  return `${job.id}\u0000${job.claim}`;
}

/** The longest `failure_message` stored, in UTF-8 bytes; a longer one is cut and marked. */
export const MAX_FAILURE_MESSAGE_BYTES = 8192;

/**
 * A message as stored in `failure_message`: at most `maxBytes` of UTF-8, cut on a character
 * boundary and marked `… [cut: N bytes]` when longer, NUL characters (which PostgreSQL text
 * refuses) written as `\\0`.
 */
export function storedMessage(message: string, maxBytes = MAX_FAILURE_MESSAGE_BYTES): string {
  // eslint-disable-next-line no-control-regex
  const text = message.includes('\u0000') ? message.replace(/\u0000/g, '\\0') : message;
  // A UTF-8 character is at most 3 bytes per UTF-16 unit: short strings skip the count.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return text;
  let kept = Buffer.from(text).subarray(0, maxBytes).toString('utf8');
  // A character cut in the middle decodes as U+FFFD: drop it.
  if (kept.endsWith('\uFFFD')) kept = kept.slice(0, -1);
  return `${kept}… [cut: ${bytes - Buffer.byteLength(kept)} bytes]`;
}

/** Options of {@link PostgresWorkerStore.table}. */
export interface WorkerTableOptions {
  /** Column names, where the table's differ from the defaults (`state`, `queued_at`...). */
  columns?: Partial<WorkerColumns>;
  /** `ORDER BY` of the dequeue, in SQL over the table's columns. Default: oldest first (`queued_at, id`). */
  order?: string;
  /** @internal The library's job table: only this queue's rows. */
  queue?: string;
}

/** How a failed attempt ended in the table. */
export type FailOutcome = 'errored' | 'failed' | 'fenced';

/**
 * A job table on PostgreSQL: the app's own (an `uploads` table with the worker's columns) or
 * any table with them. Every statement is one round trip; the dequeue is one
 * `UPDATE ... FROM (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n)`, so its row locks last one
 * statement, and every final write is fenced by the claim and `state = 'processing'`.
 */
export class PostgresWorkerTable<Row = Record<string, unknown>> {
  /** How an outage of this table's database is named in the workers' logs. */
  readonly kind: string;
  /** What failed statements are reported against, once per outage: the store, shared by its tables. */
  readonly outageSource: OutageSource;
  private readonly c: WorkerColumns;
  private readonly table: string;
  private sql:
    | Record<
        'dequeue' | 'heartbeat' | 'complete' | 'fail' | 'cancel' | 'requeue' | 'reset' | 'counts',
        string
      >
    | undefined;

  private readonly pool: Pool;

  constructor(
    pool: PostgresPool,
    readonly name: string,
    private readonly options: WorkerTableOptions = {},
    outageSource?: OutageSource,
  ) {
    this.pool = pool as unknown as Pool;
    this.kind = `PostgreSQL (worker table ${name})`;
    this.outageSource = outageSource ?? this;
    this.c = { ...DEFAULT_WORKER_COLUMNS, ...options.columns };
    this.table = qualifiedTable(name) ?? '';
  }

  /**
   * Checks that the table exists with every column of the right type; a configuration error
   * names the table and each missing or mistyped column. Builds the statements on the way.
   */
  async check(source = 'PostgresWorkerStore'): Promise<void> {
    const problems: ConfigurationProblem[] = [];
    const problem = (option: string, value: unknown, message: string): void => {
      problems.push({ source, option, value, message });
    };
    if (!this.table) problem('table', this.name, 'is not a table name (table or schema.table)');
    for (const [key, column] of Object.entries(this.c)) {
      if (!isIdentifier(column)) {
        problem(`columns.${key}`, column, 'is not a column name');
      }
    }
    if (problems.length > 0) throw new RoutinesConfigurationError(problems);
    const [schema, table] = this.name.includes('.') ? this.name.split('.') : [undefined, this.name];
    const { rows } = await this.pool.query<{ column_name: string; data_type: string }>(
      tableColumnsSql(),
      [table, schema ?? null],
    );
    if (rows.length === 0) {
      problem(
        'table',
        this.name,
        `does not exist; create it, or add the worker's columns with workerTableSql('${this.name}')`,
      );
      throw new RoutinesConfigurationError(problems);
    }
    const types = new Map(rows.map((row) => [row.column_name, row.data_type]));
    const idType = types.get(this.c.id);
    if (!idType) problem('columns.id', this.c.id, `is not a column of ${this.name}`);
    for (const [key, allowed] of Object.entries(COLUMN_TYPES)) {
      const column = this.c[key as keyof WorkerColumns];
      const type = types.get(column);
      if (type === undefined) {
        problem(
          `columns.${key}`,
          column,
          `is missing from ${this.name} (workerTableSql('${this.name}') adds it)`,
        );
      } else if (!allowed.includes(type)) {
        problem(
          `columns.${key}`,
          column,
          `is ${type} in ${this.name}; it must be ${allowed.join(' or ')}`,
        );
      }
    }
    if (problems.length > 0) throw new RoutinesConfigurationError(problems);
    this.sql = this.statements(idType!);
  }

  /** Adds the worker's columns and index to the table (idempotent), then checks it. */
  async prepare(): Promise<void> {
    await this.pool.query(workerTableSql(this.name, this.c));
    await this.check();
  }

  /** Claims up to `limit` rows due now, oldest first (or in `order`), for `claim`. */
  async dequeue(limit: number, claim: string): Promise<Array<ClaimedJob<Row>>> {
    const { rows } = await this.pool.query<Record<string, unknown>>(this.statement('dequeue'), [
      limit,
      claim,
      ...this.queueParameter(),
    ]);
    return rows.map((row) => ({
      id: String(row[this.c.id]),
      row: row as Row,
      attempt: Number(row[this.c.numFailures]) + 1,
      claim,
    }));
  }

  /**
   * Marks the rows still ours as alive. Answers which are still ours and which of those an
   * operator asked to cancel, by {@link jobKey}: a job missing from `alive` was reset or taken
   * by another claim.
   */
  async heartbeat(
    jobs: ReadonlyArray<Pick<ClaimedJob, 'id' | 'claim'>>,
  ): Promise<{ alive: Set<string>; cancel: Set<string> }> {
    if (jobs.length === 0) return { alive: new Set(), cancel: new Set() };
    const { rows } = await this.pool.query<{ id: string; claim: string; cancel: boolean }>(
      this.statement('heartbeat'),
      [jobs.map((job) => job.id), jobs.map((job) => job.claim)],
    );
    return {
      alive: new Set(rows.map(jobKey)),
      cancel: new Set(rows.filter((row) => row.cancel).map(jobKey)),
    };
  }

  /** Completed, if the row is still ours; false when the fence refused the write. */
  async complete(job: ClaimedJob<Row>): Promise<boolean> {
    return (await this.completeAll([job])).has(jobKey(job));
  }

  /** Completes every job still ours in one statement; answers those it completed, by {@link jobKey}. */
  async completeAll(jobs: ReadonlyArray<Pick<ClaimedJob, 'id' | 'claim'>>): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ id: string; claim: string }>(
      this.statement('complete'),
      [jobs.map((job) => job.id), jobs.map((job) => job.claim)],
    );
    return new Set(rows.map(jobKey));
  }

  /**
   * A failed attempt: `errored` and due again after `retryInMs`, or `failed` once
   * `maxAttempts` is reached or when it must not be retried.
   */
  async fail(
    job: ClaimedJob<Row>,
    message: string,
    options: { maxAttempts: number; retryInMs: number; retry: boolean },
  ): Promise<FailOutcome> {
    const { rows } = await this.pool.query<{ state: 'errored' | 'failed' }>(
      this.statement('fail'),
      [
        job.id,
        job.claim,
        options.maxAttempts,
        storedMessage(message),
        !options.retry,
        options.retryInMs,
      ],
    );
    return rows[0]?.state ?? 'fenced';
  }

  /** Canceled (an operator set the cancel column), if the row is still ours. */
  async cancelled(job: ClaimedJob<Row>, message: string): Promise<boolean> {
    return (
      (await this.pool.query(this.statement('cancel'), [job.id, job.claim, storedMessage(message)]))
        .rowCount === 1
    );
  }

  /** Back to queued with no failure counted (a shutdown is not a failure), if still ours. */
  async requeue(job: ClaimedJob<Row>): Promise<boolean> {
    return (await this.pool.query(this.statement('requeue'), [job.id, job.claim])).rowCount === 1;
  }

  /** Rows processing with no heartbeat for `stalledAfterMs`: back to queued, or failed past `maxResets`. */
  async resetStalled(
    stalledAfterMs: number,
    maxResets: number,
  ): Promise<{ reset: number; failed: number }> {
    const { rows } = await this.pool.query<{ state: string }>(this.statement('reset'), [
      stalledAfterMs,
      maxResets,
      ...this.queueParameter(),
    ]);
    const failed = rows.filter((row) => row.state === 'failed').length;
    return { reset: rows.length - failed, failed };
  }

  /** Rows by state, and the age of the oldest row due now (ms). */
  async counts(): Promise<{ byState: Record<string, number>; oldestQueuedMs?: number }> {
    const { rows } = await this.pool.query<{
      state: string;
      count: string;
      oldest_ms: string | null;
    }>(this.statement('counts'), this.queueParameter());
    const byState: Record<string, number> = {};
    let oldest: number | undefined;
    for (const row of rows) {
      byState[row.state] = Number(row.count);
      if (row.oldest_ms !== null) oldest = Math.max(oldest ?? 0, Number(row.oldest_ms));
    }
    return oldest === undefined ? { byState } : { byState, oldestQueuedMs: oldest };
  }

  private statement(name: keyof NonNullable<PostgresWorkerTable['sql']>): string {
    if (!this.sql) throw new Error(`PostgresWorkerTable(${this.name}): call check() first`);
    return this.sql[name];
  }

  private statements(idType: string): NonNullable<PostgresWorkerTable['sql']> {
    const target: JobTable = {
      table: this.table,
      c: quotedColumns(this.c),
      idType,
      order: this.options.order ?? `"${this.c.queuedAt}", "${this.c.id}"`,
      byQueue: this.options.queue !== undefined,
    };
    return {
      dequeue: dequeueJobsSql(target),
      heartbeat: heartbeatJobsSql(target),
      complete: completeJobsSql(target),
      fail: failJobSql(target),
      cancel: cancelJobSql(target),
      requeue: requeueJobSql(target),
      reset: resetStalledJobsSql(target),
      counts: countJobsSql(target),
    };
  }

  /** The queue's name as the last parameter of a statement that filters by queue, if any. */
  private queueParameter(): string[] {
    return this.options.queue === undefined ? [] : [this.options.queue];
  }
}

/** Options of {@link PostgresWorkerStore}. */
export interface PostgresWorkerStoreOptions {
  /** Schema of the library's job table (plain queues). Default: 'public'. */
  schema?: string;
  /** The library's job table, created on first use. Default: 'routines_jobs'. */
  jobsTable?: string;
  /**
   * The largest payload `enqueue` accepts, in bytes of JSON (UTF-8). A larger one is refused:
   * store the data elsewhere and enqueue its key. Default: 1 MiB.
   */
  maxPayloadBytes?: number;
}

/** The default of {@link PostgresWorkerStoreOptions.maxPayloadBytes}: 1 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** `enqueue` refused a payload over `maxPayloadBytes`. */
export class PayloadTooLargeError extends RangeError {
  override readonly name = 'PayloadTooLargeError';

  constructor(
    readonly queue: string,
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(
      `queue '${queue}': the payload is ${bytes} bytes of JSON, over maxPayloadBytes (${maxBytes}) of PostgresWorkerStore; ` +
        'store large data elsewhere and enqueue its key, or raise maxPayloadBytes',
    );
  }
}

/** Options of {@link PostgresWorkerStore.enqueue}. */
export interface EnqueueOptions {
  /** Not before this time (a `Date` or epoch ms). Default: now. */
  runAt?: Date | number;
  /** Deduplication: while a job with this key is queued, running or waiting to retry, another is not added. */
  key?: string;
  /** Higher first. Default: 0. */
  priority?: number;
  /** A `pg` client inside the app's transaction: the job exists only if it commits. */
  client?: { query(text: string, values?: unknown[]): Promise<unknown> };
}

/** The channel a new row is announced on: the worker that reads that table or queue looks at once. */
export const WORKER_CHANNEL = 'routines_worker';
const QUEUE_NAME = /^[A-Za-z0-9_.:-]{1,200}$/;

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
  /** Ends the current LISTEN connection's wait. */
  private hangUp: (() => void) | undefined;
  private readonly listeners = new Map<string, Set<() => void>>();
  private listening: Promise<void> | undefined;
  private closed = false;

  constructor(pool: PostgresPool, options: PostgresWorkerStoreOptions = {}) {
    this.pool = pool as unknown as Pool;
    const schema = options.schema ?? 'public';
    const table = options.jobsTable ?? 'routines_jobs';
    const qualified = qualifiedTable(`${schema}.${table}`);
    if (!qualified) {
      throw new RoutinesConfigurationError([
        {
          source: 'PostgresWorkerStore',
          option: 'jobsTable',
          value: `${schema}.${table}`,
          message: 'is not a table name',
        },
      ]);
    }
    this.jobsName = `${schema}.${table}`;
    this.enqueueSql = enqueueJobSql(qualified, WORKER_CHANNEL);
    const max = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RoutinesConfigurationError([
        {
          source: 'PostgresWorkerStore',
          option: 'maxPayloadBytes',
          value: options.maxPayloadBytes,
          message: 'must be a whole number of bytes, at least 1',
        },
      ]);
    }
    this.maxPayloadBytes = max;
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
    const json = JSON.stringify(payload ?? null);
    // A string's JSON is at least its length in bytes: most payloads skip the count.
    if (json.length > this.maxPayloadBytes / 3) {
      const bytes = Buffer.byteLength(json);
      if (bytes > this.maxPayloadBytes)
        throw new PayloadTooLargeError(queue, bytes, this.maxPayloadBytes);
    }
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
    const set = this.listeners.get(tableOrQueue) ?? new Set();
    set.add(onRow);
    this.listeners.set(tableOrQueue, set);
    this.listening ??= this.listen();
    return () => set.delete(onRow);
  }

  /** Releases the LISTEN connection (RoutinesModule does it on shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    this.hangUp?.();
    await this.listening?.catch(() => undefined);
    this.listening = undefined;
  }

  private async listen(): Promise<void> {
    while (!this.closed) {
      let client: PoolClient | undefined;
      try {
        let ended!: Promise<void>;
        client = await new Promise<PoolClient>((resolve, reject) => {
          // The callback form: its listeners are on the client in the same tick as the pool
          // hands it over. With `await pool.connect()` they would come a microtask later, and
          // an 'error' read in the same socket chunk as the connection's readiness (a
          // pg_terminate_backend, a failover) would have no listener and end the process.
          this.pool.connect((error, connected) => {
            if (error || !connected) return reject(error ?? new Error('no client'));
            ended = new Promise<void>((done) => {
              this.hangUp = done;
              connected.on('error', () => done());
              connected.on('end', () => done());
            });
            resolve(connected);
          });
        });
        client.on('notification', (message) => {
          for (const onRow of this.listeners.get(message.payload ?? '') ?? []) onRow();
        });
        if (!this.closed) {
          await Promise.race([client.query(listenSql(WORKER_CHANNEL)), ended]);
          await ended;
        }
      } catch {
        // Unreachable for now: the workers poll meanwhile; try again shortly.
      } finally {
        this.hangUp = undefined;
        client?.release(true); // never back to the pool: it may still be listening
      }
      if (!this.closed) await new Promise((resolve) => setTimeout(resolve, 1000).unref?.());
    }
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

/** A row of the library's job table. */
export interface JobRow<Payload = unknown> {
  id: string;
  queue: string;
  payload: Payload;
  key: string | null;
  priority: number;
}

function checkQueueName(name: string): void {
  if (!QUEUE_NAME.test(name)) {
    throw new RangeError(`'${name}' is not a queue name (letters, digits, '_', '.', ':', '-')`);
  }
}
