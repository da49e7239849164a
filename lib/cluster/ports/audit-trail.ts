/** Who did what to which routine, worker or migration, from the dashboard: one line of the audit trail. */
export interface AuditEntry {
  /** When (wall-clock ms, the acting replica's clock). */
  at: number;
  /** What was done: 'trigger', 'pause', 'resume', 'interval', 'cancel', 'backfill', 'start', 'stop', 'restart', 'reverse', 'forward', ... */
  action: string;
  /** The routine, worker or migration acted on. */
  target: string;
  /** Who, as the dashboard's `operator` option tells it from the request; absent when unknown. */
  operator?: string;
  /** Where the action holds: kept by the coordinator for every replica, or done on the acting one only. */
  scope: 'every replica' | 'this replica';
  /** The acting replica's id (`host:pid:start`). */
  replica: string;
  /** The value before, where there is one (an interval). */
  from?: unknown;
  /** The value after, where there is one (an interval, 'paused', a migration's direction). */
  to?: unknown;
  /** A pause's note, a run's id, a backfill's range: what else an operator reads. */
  note?: string;
  /** `ok`, or the error message the action failed with. */
  outcome: string;
}

/** What {@link AuditTrail.list} reads. */
export interface AuditQuery {
  /** At most this many entries, newest first. */
  limit: number;
  /** Only the entries of this routine, worker or migration. */
  target?: string;
  /** Only the entries older than this (wall-clock ms): the next page. */
  before?: number;
}

/**
 * The dashboard's audit trail, kept by the engine so that every replica's page shows every
 * replica's actions. Bounded: the engine keeps the newest entries only (Redis and PostgreSQL
 * 10,000 by default), dropping the oldest as new ones come.
 *
 * - `append` adds one entry; `list` reads them newest first, as `query` says.
 */
export interface AuditTrail {
  /** Adds one entry (dropping the oldest past the bound). */
  append(entry: AuditEntry): Promise<void>;
  /** The newest entries first, as `query` says: copies, the caller's own. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
}

/** How many entries an engine keeps by default. */
export const AUDIT_ENTRIES_KEPT = 10_000;
