import type { Duration } from '../../core/duration';
import type { JobState } from '../worker-table';

/**
 * Which rows `jobs()` lists: newest first (by `queued_at`, then id), `limit` at a time.
 *
 * @example
 * const page = await registry.worker('emails').jobs({ state: 'failed', limit: 20 });
 * const older = await registry.worker('emails').jobs({ state: 'failed', before: page.next });
 */
export interface JobQuery {
  /** One state or several. Default: every state. */
  state?: JobState | readonly JobState[];
  /**
   * A row's id; in the library's job table (a plain queue) also its dedupe `key`, and the
   * payload by containment: `{"to":"a@example.com"}` (JSON, `payload @> …`) or `to=a@example.com`
   * (one top-level field; a value that reads as JSON, such as `42` or `true`, matches it too).
   * An app's table is searched by id only.
   */
  search?: string;
  /** Rows in a page, 1 to 500. Default: 50. */
  limit?: number;
  /** The `next` of the page before: the rows after its last. */
  before?: string;
}

/** A job row as an operator sees it. Times are epoch milliseconds. */
export interface JobSummary {
  /** The row's id, as text. */
  id: string;
  /** The row's state: `queued`, `processing`, `completed`, `errored`, `failed`, `canceled`. */
  state: string;
  /** Attempts started: failures, resets, and the attempt running or that succeeded (or was canceled running). */
  attempts: number;
  /** The worker's `maxAttempts`, when the worker is known (a `@Worker`). */
  maxAttempts?: number;
  queuedAt: number;
  /** When the attempt running (or the last one, if it ended) started. */
  startedAt?: number;
  finishedAt?: number;
  /** Due again at (a row `queued` or `errored` with a `process_after`). */
  runAfter?: number;
  /** The last failure message, its first 2,000 characters. */
  error?: string;
  /** The dedupe key (the library's job table). */
  key?: string;
  /**
   * The payload (the library's job table); past 8 KiB of JSON, its first 8 KiB as text marked
   * `… [cut: N bytes]`.
   */
  payload?: unknown;
  /** Whether an operator (or the app) asked to cancel it. */
  cancel: boolean;
}

/** A page of {@link JobSummary}, and the cursor of the next (older) page when there is one. */
export interface JobPage {
  jobs: JobSummary[];
  /** Give it as `before` for the next page; absent on the last page. */
  next?: string;
}

/**
 * The rows an operator's action is about: these ids, or every row in these states (and
 * matching `search`, as {@link JobQuery.search}). A filter with nothing in it is refused: it
 * never means "every row".
 *
 * @example
 * await registry.worker('emails').retry({ state: 'failed', search: 'to=a@example.com' });
 * await registry.worker('emails').cancel({ ids: ['42'] });
 */
export type JobFilter =
  | { ids: readonly string[]; state?: undefined; search?: undefined }
  | { state: JobState | readonly JobState[]; search?: string; ids?: undefined };

/** What an operator's action did: the rows it changed. */
export interface JobActionResult {
  count: number;
}

/**
 * How long ended rows of a plain queue (the library's job table) are kept, by state; `false`
 * keeps them. Rows of an app's own table are never deleted by the library.
 *
 * @example
 * @Worker({ name: 'emails', retention: { completed: '1d', failed: '90d' } })
 */
export interface JobRetention {
  /** Succeeded. Default: '7d'. */
  completed?: Duration | false;
  /** Canceled. Default: '7d'. */
  canceled?: Duration | false;
  /** Failed: attempts used up, not retryable, reset too often, or discarded. Default: '30d'. */
  failed?: Duration | false;
}
