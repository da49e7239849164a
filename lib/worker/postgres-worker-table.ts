// Type-only: an app that never constructs a PostgresWorkerStore never loads pg.
import type { Pool } from 'pg';
import type { PostgresPool } from '../postgres/postgres-pool';
import type { OutageSource } from '../cluster/coordinator-outage';
import { jobKey, type ClaimedJob, type FailOutcome } from './claimed-job';
import type { WorkerTableOptions } from './interfaces/worker-store-options.interface';
import type {
  JobActionResult,
  JobFilter,
  JobPage,
  JobQuery,
} from './interfaces/job-list.interface';
import { actionFilter, jobCursor, listParameters, type QueryTarget } from './job-query';
import { jobSummary, type ListedRow } from './job-summary';
import type { ResolvedRetention } from './job-retention';
import { storedMessage } from './stored-message';
import { checkWorkerTable } from './worker-table-check';
import {
  DEFAULT_WORKER_COLUMNS,
  qualifiedTable,
  workerTableSql,
  type WorkerColumns,
} from './worker-table';
import { workerStatements, type WorkerStatements } from './worker-statements';
import { MESSAGES } from './worker.messages';

/**
 * A job table on PostgreSQL: the app's own (an `uploads` table with the worker's columns) or
 * any table with them. Every statement is one round trip; the dequeue is one
 * `UPDATE ... FROM (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n)`, so its row locks last one
 * statement, and every final write is fenced by the claim and `state = 'processing'`.
 *
 * Apps check, prepare and count it. The statements of a row's life (dequeue, heartbeat, the
 * fenced final writes) are the worker's alone: internal, out of the public declarations.
 */
export class PostgresWorkerTable<Row = Record<string, unknown>> {
  /** @internal How an outage of this table's database is named in the workers' logs. */
  readonly kind: string;
  /** @internal What failed statements are reported against, once per outage: the store, shared by its tables. */
  readonly outageSource: OutageSource;
  private readonly c: WorkerColumns;
  private readonly table: string;
  private sql: WorkerStatements | undefined;
  /** The id column's type, read by `check()`. */
  private idType = 'text';
  private readonly pool: Pool;

  constructor(
    pool: PostgresPool,
    /** The table, as `table` or `schema.table`. */
    readonly name: string,
    private readonly options: WorkerTableOptions = {},
    /** What an outage is reported against (the store, shared by its tables). Default: the table. */
    outageSource?: { readonly kind: string },
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
    const idType = await checkWorkerTable(this.pool, this.name, this.table, this.c, source);
    this.idType = idType;
    this.sql = workerStatements(this.table, this.c, idType, this.options);
  }

  /** Adds the worker's columns and index to the table (idempotent), then checks it. */
  async prepare(): Promise<void> {
    await this.pool.query(workerTableSql(this.name, this.c));
    await this.check();
  }

  /** @internal Claims up to `limit` rows due now, oldest first (or in `order`), for `claim`. */
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
   * @internal
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

  /** @internal Completed, if the row is still ours; false when the fence refused the write. */
  async complete(job: ClaimedJob<Row>): Promise<boolean> {
    return (await this.completeAll([job])).has(jobKey(job));
  }

  /** @internal Completes every job still ours in one statement; answers those it completed, by {@link jobKey}. */
  async completeAll(jobs: ReadonlyArray<Pick<ClaimedJob, 'id' | 'claim'>>): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ id: string; claim: string }>(
      this.statement('complete'),
      [jobs.map((job) => job.id), jobs.map((job) => job.claim)],
    );
    return new Set(rows.map(jobKey));
  }

  /**
   * @internal
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

  /** @internal Canceled (an operator set the cancel column), if the row is still ours. */
  async cancelled(job: ClaimedJob<Row>, message: string): Promise<boolean> {
    return (
      (await this.pool.query(this.statement('cancel'), [job.id, job.claim, storedMessage(message)]))
        .rowCount === 1
    );
  }

  /** @internal Back to queued with no failure counted (a shutdown is not a failure), if still ours. */
  async requeue(job: ClaimedJob<Row>): Promise<boolean> {
    return (await this.pool.query(this.statement('requeue'), [job.id, job.claim])).rowCount === 1;
  }

  /** @internal Rows processing with no heartbeat for `stalledAfterMs`: back to queued, or failed past `maxResets`. */
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

  /**
   * A page of rows for an operator, newest first (by `queued_at`, then id), with the cursor of
   * the next page (`next`, for `before`) when there is one. Searches ids, and in a plain queue
   * dedupe keys and payloads (see {@link JobQuery.search}). A bad query is a `RangeError`
   * naming the option and its value.
   *
   * @example
   * const { jobs, next } = await uploads.jobs({ state: ['failed', 'errored'], limit: 20 });
   */
  async jobs(query: JobQuery = {}): Promise<JobPage> {
    const parameters = listParameters(this.queryTarget('jobs'), query);
    const limit = Number(parameters[parameters.length - 1]) - 1;
    const { rows } = await this.pool.query<ListedRow>(this.statement('list'), [
      ...parameters,
      ...this.queueParameter(),
    ]);
    const page: JobPage = { jobs: rows.slice(0, limit).map(jobSummary) };
    const last = rows[limit - 1];
    if (rows.length > limit && last) page.next = jobCursor(last.cursor, last.id);
    return page;
  }

  /**
   * Back to `queued`, due now: the rows of `filter` that are `failed`, `canceled` or `errored`
   * (never one `processing`). The count of attempts is kept and a row that used them all gets
   * one more (as Sidekiq and Oban retry a dead job); give the worker's `maxAttempts` and
   * `maxResets` (default 5 and 3). In a plain queue, a row whose dedupe key another pending
   * job holds is left alone.
   *
   * @example
   * const { count } = await uploads.retry({ state: 'failed' }, { maxAttempts: 5 });
   */
  async retry(
    filter: JobFilter,
    options: { maxAttempts?: number; maxResets?: number } = {},
  ): Promise<JobActionResult> {
    const call = 'retry';
    const parameters = actionFilter(this.queryTarget(call), filter);
    const limits = [options.maxAttempts ?? 5, options.maxResets ?? 3];
    try {
      return await this.act('retry', [...parameters, ...limits]);
    } catch (error) {
      // Another job with a key a retried row has was enqueued between the check and the write.
      if ((error as { code?: unknown }).code !== '23505') throw error;
      throw new Error(MESSAGES.keyTaken(this.callName(call), String((error as Error).message)));
    }
  }

  /**
   * Ends the rows of `filter` still waiting for an attempt (`queued`, `errored`) as `failed`,
   * the dead-letter state, the failure message saying they were discarded. A `processing` row
   * is left to its handler: cancel it instead.
   *
   * @example
   * await uploads.discard({ ids: ['42', '43'] });
   */
  async discard(filter: JobFilter): Promise<JobActionResult> {
    return this.act('discard', actionFilter(this.queryTarget('discard'), filter));
  }

  /**
   * Cancels the rows of `filter` not ended yet: one waiting for an attempt ends `canceled` at
   * once; one `processing` gets its cancel flag, and its worker aborts the handler's signal at
   * its next heartbeat and writes `canceled`.
   *
   * @example
   * await uploads.cancel({ state: 'queued', search: '42' });
   */
  async cancel(filter: JobFilter): Promise<JobActionResult> {
    return this.act('askCancel', actionFilter(this.queryTarget('cancel'), filter));
  }

  /**
   * @internal
   * Deletes one batch of at most `batchSize` ended rows past `retention`; answers how many.
   */
  async pruneBatch(retention: ResolvedRetention, batchSize: number): Promise<number> {
    const ages = [retention.completed, retention.canceled, retention.failed];
    const { rowCount } = await this.pool.query(this.statement('prune'), [
      ...ages.map((age) => age ?? null),
      batchSize,
      ...this.queueParameter(),
    ]);
    return rowCount ?? 0;
  }

  private async act(
    name: 'retry' | 'discard' | 'askCancel',
    parameters: unknown[],
  ): Promise<JobActionResult> {
    const { rowCount } = await this.pool.query(this.statement(name), [
      ...parameters,
      ...this.queueParameter(),
    ]);
    return { count: rowCount ?? 0 };
  }

  /** What a list or an action needs to read its query, and how its errors name it. */
  private queryTarget(call: string): QueryTarget {
    this.statement('list'); // checked first: the id's type is known
    return {
      call: this.callName(call),
      byQueue: this.options.queue !== undefined,
      idType: this.idType,
      table: this.name,
    };
  }

  private callName(call: string): string {
    return this.options.queue === undefined
      ? `PostgresWorkerTable(${this.name}).${call}`
      : `queue '${this.options.queue}' ${call}`;
  }

  private statement(name: keyof WorkerStatements): string {
    if (!this.sql) throw new Error(MESSAGES.notChecked(this.name));
    return this.sql[name];
  }

  /** The queue's name as the last parameter of a statement that filters by queue, if any. */
  private queueParameter(): string[] {
    return this.options.queue === undefined ? [] : [this.options.queue];
  }
}
