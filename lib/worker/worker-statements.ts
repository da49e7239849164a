import { askCancelJobsSql } from '../postgres/sql/worker/ask-cancel-jobs.sql';
import { cancelJobSql } from '../postgres/sql/worker/cancel-job.sql';
import { completeJobsSql } from '../postgres/sql/worker/complete-jobs.sql';
import { countJobsSql } from '../postgres/sql/worker/count-jobs.sql';
import { dequeueJobsSql } from '../postgres/sql/worker/dequeue-jobs.sql';
import { discardJobsSql } from '../postgres/sql/worker/discard-jobs.sql';
import { failJobSql } from '../postgres/sql/worker/fail-job.sql';
import { heartbeatJobsSql } from '../postgres/sql/worker/heartbeat-jobs.sql';
import { quotedColumns, type JobTable } from '../postgres/sql/worker/job-table';
import { listJobsSql } from '../postgres/sql/worker/list-jobs.sql';
import { pruneJobsSql } from '../postgres/sql/worker/prune-jobs.sql';
import { requeueJobSql } from '../postgres/sql/worker/requeue-job.sql';
import { resetStalledJobsSql } from '../postgres/sql/worker/reset-stalled-jobs.sql';
import { retryJobsSql } from '../postgres/sql/worker/retry-jobs.sql';
import type { WorkerColumns } from './worker-table';

/** The statements of one job table, by what they do. */
export type WorkerStatements = Record<
  | 'dequeue'
  | 'heartbeat'
  | 'complete'
  | 'fail'
  | 'cancel'
  | 'requeue'
  | 'reset'
  | 'counts'
  // An operator's: list, act on rows, and prune ended rows past their retention.
  | 'list'
  | 'retry'
  | 'discard'
  | 'askCancel'
  | 'prune',
  string
>;

/**
 * Builds a job table's statements once its check has read the id column's type: each is text
 * made from checked identifiers only (see `JobTable`), built once per table.
 */
export function workerStatements(
  table: string,
  columns: WorkerColumns,
  idType: string,
  options: { order?: string; queue?: string },
): WorkerStatements {
  const target: JobTable = {
    table,
    c: quotedColumns(columns),
    idType,
    order: options.order ?? `"${columns.queuedAt}", "${columns.id}"`,
    byQueue: options.queue !== undefined,
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
    list: listJobsSql(target),
    retry: retryJobsSql(target),
    discard: discardJobsSql(target),
    askCancel: askCancelJobsSql(target),
    prune: pruneJobsSql(target),
  };
}
