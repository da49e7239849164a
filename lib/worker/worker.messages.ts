/**
 * What the DB-backed worker says: its log lines (each prefixed `worker '<name>':`), why a job
 * stopped, the errors of its tables and store, and its configuration problems (completed by the
 * worker, option and value; see `RoutinesConfigurationError`). Kept in one place so their
 * wording stays consistent and tests can refer to them.
 */
export const MESSAGES = {
  // Log lines of a running worker.
  stoppedWithStuck: (worker: string, count: number, jobs: string) =>
    `worker '${worker}': stopped with ${count} handler(s) still running that ignored their signal (${jobs}); their rows were already written`,
  blockedByStuck: (worker: string, count: number, jobs: string) =>
    `worker '${worker}': ${count} handler(s) ignored their signal and still run (${jobs}); no row is dequeued until some settle`,
  handBackFailed: (worker: string, id: string, reason: string) =>
    `worker '${worker}': could not hand job ${id} back (${reason}); it will be reset as stalled`,
  endNotWritten: (worker: string, id: string, reason: string) =>
    `worker '${worker}': could not record the end of job ${id} (${reason}); it will be reset as stalled`,
  stuck: (worker: string, id: string, attempt: number, since: string, cause: string) =>
    `worker '${worker}': job ${id} (attempt ${attempt}) is stuck: its handler has not settled ${since} after its signal aborted (${cause}), and its row was already written; it is counted in inFlight until it settles`,
  stuckSettled: (worker: string, id: string) =>
    `worker '${worker}': stuck job ${id}'s handler settled`,
  lostNotRecorded: (worker: string, id: string, why: string | undefined) =>
    `worker '${worker}': job ${id} ${why ?? 'was no longer ours'}; its signal aborted and its end is not recorded`,
  fenced: (worker: string, id: string) =>
    `worker '${worker}': job ${id} was taken over before it ended; its end is not recorded`,
  outage: (worker: string, what: string, reason: string, renewWithin: string) =>
    `worker '${worker}': ${what} failed (${reason}); retrying; a running row whose heartbeat cannot be renewed within ${renewWithin} is aborted; further failures are counted, not logged`,
  outageCall: (what: string, worker: string) => `${what} of worker '${worker}'`,
  answersAgain: (worker: string, after: string) =>
    `worker '${worker}': the database answers again (${after})`,
  stalledReset: (worker: string, reset: number, failed: number) =>
    `worker '${worker}': ${reset} stalled row(s) back to queued, ${failed} failed after too many resets`,
  periodicFailed: (worker: string, reason: string) => `worker '${worker}': ${reason}`,
  jobList: (ids: readonly string[]) => ids.map((id) => `job ${id}`).join(', '),

  // Why a job's signal aborted, as its record and its signal's reason say it.
  timedOut: (timeoutMs: number | undefined) => `timed out after ${timeoutMs} ms`,
  cancelled: 'canceled by an operator',
  lostDefault: 'no longer ours (reset as stalled)',
  handedBack: 'handed back on shutdown',
  notOurs: 'was no longer ours (reset as stalled, or taken by another)',
  heartbeatExpired: (cause: string, stalledAfter: string) =>
    `could not renew its heartbeat in time (${cause}); aborted before another worker may reset it after stalledAfter (${stalledAfter})`,

  // Tables and the store.
  notTableName: 'is not a table name',
  notQualifiedTableName: 'is not a table name (table or schema.table)',
  notColumnName: 'is not a column name',
  tableMissing: (table: string) =>
    `does not exist; create it, or add the worker's columns with workerTableSql('${table}')`,
  notAColumnOf: (table: string) => `is not a column of ${table}`,
  columnMissing: (table: string) => `is missing from ${table} (workerTableSql('${table}') adds it)`,
  columnMistyped: (type: string, table: string, allowed: readonly string[]) =>
    `is ${type} in ${table}; it must be ${allowed.join(' or ')}`,
  notChecked: (table: string) => `PostgresWorkerTable(${table}): call check() first`,
  ddlNotTableName: (helper: string, table: string) => `${helper}: '${table}' is not a table name`,
  badMaxPayloadBytes: 'must be a whole number of bytes, at least 1',
  payloadTooLarge: (queue: string, bytes: number, maxBytes: number) =>
    `queue '${queue}': the payload is ${bytes} bytes of JSON, over maxPayloadBytes (${maxBytes}) of PostgresWorkerStore; ` +
    'store large data elsewhere and enqueue its key, or raise maxPayloadBytes',
  notQueueName: (name: string) =>
    `'${name}' is not a queue name (letters, digits, '_', '.', ':', '-')`,
  noClient: 'no client',

  // An operator's list and actions: each completes "<call>: option 'o' = value ...".
  badJobArgument: (call: string, option: string, value: string, message: string) =>
    `${call}: option '${option}' = ${value} ${message}`,
  notJobState: (states: readonly string[]) => `is not a job state (${states.join(', ')})`,
  notLimit: (max: number) => `must be a whole number from 1 to ${max}`,
  notCursor: "is not a cursor: give the 'next' of the page before",
  notSearch: 'must be a string',
  noPayloadSearch: (table: string) =>
    `searches payloads, and ${table} has none (an app's table): search by id`,
  notPayloadJson: 'is not a JSON object (search payloads as {"field":"value"} or field=value)',
  notIds: (max: number) => `must be a non-empty array of ids (strings), at most ${max}`,
  notIdOfType: (type: string) => `holds an id that is not of the id column's type (${type})`,
  emptyFilter: 'is empty: give ids, or a state (and a search); an action never means "every row"',
  idsAndState: 'gives both ids and a state: give one',
  searchWithoutState: 'needs a state: give the states to search (one or several)',
  keyTaken: (call: string, reason: string) =>
    `${call}: a job with the same key was enqueued meanwhile (${reason}); nothing was retried, try again`,
  pruned: (worker: string, count: number) =>
    `worker '${worker}': pruned ${count} ended job(s) past their retention`,
  pruneFailed: (worker: string, reason: string) =>
    `worker '${worker}': pruning ended jobs failed (${reason}); trying again at the next round`,
  retentionForAppTable: (table: string) =>
    `applies to plain queues only: the rows of ${table} are the app's, and the library never deletes them`,
  notRetention: 'must be false or { completed, canceled, failed }, each a duration or false',

  // Option problems: each completes "DbWorker (routine 'x'): option 'o' = value ...".
  notName: 'must be a name',
  notMilliseconds: 'must be a positive, finite number of milliseconds',
  pastLongestTimer: (max: number) => `must be at most ${max} ms (24.8 days)`,
  notBackoff: 'must be { initialMs, maxMs }',
  notWholeNumber: (min: number) => `must be a whole number, at least ${min}`,
  heartbeatTooSlow: (stalledAfterMs: number, renewWithinMs: number) =>
    `must be under two thirds of stalledAfterMs (${stalledAfterMs} ms → under ${renewWithinMs} ms): a row whose heartbeat is not renewed for that long is aborted, before another worker may reset it`,
  stalledAfterTooShort: (heartbeatMs: number) =>
    `must be more than 1.5 × heartbeat (${heartbeatMs} ms): a running row whose heartbeat is not renewed within two thirds of stalledAfter is aborted, before another replica may reset it`,
  noWorkerStore:
    '@Worker needs a store: RoutinesModule.forRoot({ workerStore: new PostgresWorkerStore(pool) })',

  // The routines a worker runs as, in a Nest app.
  workerDescription: (table: string | undefined) => `processes rows of ${table}`,
  resetStalledDescription: (worker: string, stalledAfterMs: number) =>
    `resets ${worker}'s rows stalled for ${stalledAfterMs} ms (once per tick across replicas)`,
};
