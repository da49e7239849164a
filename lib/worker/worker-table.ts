import { MESSAGES } from './worker.messages';

/**
 * The columns a worker needs on the app's own table (Sourcegraph's dbworker contract), each
 * name remappable, and the DDL that adds them for the app's own migration tool.
 */
export interface WorkerColumns {
  id: string;
  state: string;
  failureMessage: string;
  queuedAt: string;
  startedAt: string;
  lastHeartbeatAt: string;
  finishedAt: string;
  processAfter: string;
  numResets: string;
  numFailures: string;
  /** Holds the claim: `host:pid:token`, written at dequeue; every final write checks it. */
  workerHostname: string;
  cancel: string;
}

export const DEFAULT_WORKER_COLUMNS: Readonly<WorkerColumns> = Object.freeze({
  id: 'id',
  state: 'state',
  failureMessage: 'failure_message',
  queuedAt: 'queued_at',
  startedAt: 'started_at',
  lastHeartbeatAt: 'last_heartbeat_at',
  finishedAt: 'finished_at',
  processAfter: 'process_after',
  numResets: 'num_resets',
  numFailures: 'num_failures',
  workerHostname: 'worker_hostname',
  cancel: 'cancel',
});

/**
 * A job row's states. `failed` is the dead-letter state: attempts used up, not retryable,
 * reset too often, or discarded by an operator (the failure message tells which); it stays
 * until retried or pruned.
 */
export type JobState = 'queued' | 'processing' | 'completed' | 'errored' | 'failed' | 'canceled';

/** Every {@link JobState}, in a row's order of life. */
export const JOB_STATES: readonly JobState[] = Object.freeze([
  'queued',
  'processing',
  'errored',
  'completed',
  'failed',
  'canceled',
]);

/** What each column must be, as `information_schema.columns.data_type` names it (id: any type). */
export const COLUMN_TYPES: Readonly<Record<Exclude<keyof WorkerColumns, 'id'>, readonly string[]>> =
  {
    state: ['text', 'character varying'],
    failureMessage: ['text', 'character varying'],
    queuedAt: ['timestamp with time zone'],
    startedAt: ['timestamp with time zone'],
    lastHeartbeatAt: ['timestamp with time zone'],
    finishedAt: ['timestamp with time zone'],
    processAfter: ['timestamp with time zone'],
    numResets: ['integer', 'bigint', 'smallint'],
    numFailures: ['integer', 'bigint', 'smallint'],
    workerHostname: ['text', 'character varying'],
    cancel: ['boolean'],
  };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && IDENTIFIER.test(value);
}

/** `"schema"."table"` from `table` or `schema.table`, or undefined when it is not one. */
export function qualifiedTable(table: string): string | undefined {
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every(isIdentifier)) return undefined;
  return parts.map((part) => `"${part}"`).join('.');
}

/**
 * The DDL that gives `table` the worker's columns and the index the dequeue uses, idempotent:
 * paste it into a migration, or let `PostgresWorkerStore.prepareTable()` run it.
 *
 * @example
 * await queryRunner.query(workerTableSql('uploads'));
 */
export function workerTableSql(
  table: string,
  columns: Partial<WorkerColumns> = {},
  indexName?: string,
  /** Whether inserts are announced to workers (LISTEN). The library's job table announces its own. */
  announce = true,
): string {
  const c = { ...DEFAULT_WORKER_COLUMNS, ...columns };
  const target = qualifiedTable(table);
  if (!target) throw new RangeError(MESSAGES.ddlNotTableName('workerTableSql', table));
  const add = (column: string, type: string): string =>
    `ALTER TABLE ${target} ADD COLUMN IF NOT EXISTS "${column}" ${type};`;
  const index = indexName ?? `${table.split('.').pop()}_worker_dequeue_idx`.slice(0, 63);
  return [
    add(c.state, "text NOT NULL DEFAULT 'queued'"),
    add(c.failureMessage, 'text'),
    add(c.queuedAt, 'timestamptz NOT NULL DEFAULT now()'),
    add(c.startedAt, 'timestamptz'),
    add(c.lastHeartbeatAt, 'timestamptz'),
    add(c.finishedAt, 'timestamptz'),
    add(c.processAfter, 'timestamptz'),
    add(c.numResets, 'integer NOT NULL DEFAULT 0'),
    add(c.numFailures, 'integer NOT NULL DEFAULT 0'),
    add(c.workerHostname, 'text'),
    add(c.cancel, 'boolean NOT NULL DEFAULT false'),
    `CREATE INDEX IF NOT EXISTS "${index}" ON ${target} ("${c.state}", "${c.processAfter}") ` +
      `WHERE "${c.state}" IN ('queued', 'errored', 'processing');`,
    ...(announce ? announceSql(target, table, index) : []),
  ].join('\n');
}

/** New rows are announced (LISTEN routines_worker), so a worker picks them up in milliseconds. */
function announceSql(target: string, table: string, index: string): string[] {
  return [
    `CREATE OR REPLACE FUNCTION routines_worker_announce() RETURNS trigger LANGUAGE plpgsql AS ` +
      `$$ BEGIN PERFORM pg_notify('routines_worker', TG_ARGV[0]); RETURN NULL; END $$;`,
    `DROP TRIGGER IF EXISTS "${index}_announce" ON ${target};`,
    `CREATE TRIGGER "${index}_announce" AFTER INSERT ON ${target} FOR EACH STATEMENT ` +
      `EXECUTE FUNCTION routines_worker_announce(${sqlLiteral(table)});`,
  ];
}

/** A string as a SQL literal (standard_conforming_strings, the default since PostgreSQL 9.1). */
export function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
