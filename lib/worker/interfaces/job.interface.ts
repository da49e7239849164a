import type { Clock } from '../../core/clock';

/** What a handler gets with each row. */
export interface JobContext {
  /** The row's id, as text. */
  id: string;
  /** 1 for the first attempt. */
  attempt: number;
  /**
   * Aborts when the job must stop: its heartbeat could not be renewed in time (a third of
   * `stalledAfter` before another worker may reset the row), the row no longer ours, the job's
   * `timeout`, the `cancel` column set, or shutdown past its grace (the row goes back to queued).
   */
  signal: AbortSignal;
  /**
   * Whether the row is certainly still this attempt's: its last heartbeat (or the dequeue) was
   * sent less than two thirds of `stalledAfter` ago, on the monotonic clock, and the attempt has
   * not ended. Synchronous: check it just before a write only the row's holder may make. A
   * process paused past the deadline (SIGSTOP, a frozen VM) reads false on waking, before any
   * timer of the worker's has run.
   */
  holdsRow(): boolean;
  /**
   * The claim written into the row at this dequeue (`worker_hostname`): new for every dequeue,
   * so a write fenced by it (`... WHERE id = $1 AND worker_hostname = $token AND state =
   * 'processing'`) is refused once the row was reset, even if this same worker took it again.
   */
  token: string;
}

export type JobHandler<Row> = (row: Row, job: JobContext) => Promise<void> | void;

/**
 * How a job's attempt ended: `succeeded`; `retried` (failed, due again after its backoff);
 * `failed` (for good: attempts used up, or `NonRetryableError`); `cancelled` (the `cancel`
 * column); `requeued` (handed back on shutdown, no failure counted); `lost` (the row was no
 * longer ours, its heartbeat could not be renewed in time, or its end could not be written:
 * the resetter hands it on).
 */
export type JobOutcome = 'succeeded' | 'retried' | 'failed' | 'cancelled' | 'requeued' | 'lost';

/** Every job outcome, in a fixed order (metrics and stats index by it). */
export const JOB_OUTCOMES: readonly JobOutcome[] = [
  'succeeded',
  'retried',
  'failed',
  'cancelled',
  'requeued',
  'lost',
];

/** Told of every job attempt once it ended and its end was written (or could not be). */
export interface JobRecorder {
  ended(
    job: { id: string; attempt: number },
    outcome: JobOutcome,
    /** Wall-clock ms the handler was called. */
    startedAt: number,
    /** How long the handler ran (the final write aside), or until its row was written without it. */
    durationMs: number,
    /** What the handler threw, or why it stopped (timeout, cancel, lost). */
    error: unknown,
  ): void;
}

/**
 * Calls a job's handler inside something of the caller's (a tracing span): `run` must be called
 * once and its promise returned.
 */
export type JobWrapper = (
  job: { id: string; attempt: number; signal: AbortSignal },
  run: () => Promise<void>,
) => Promise<void>;

/** Options of a {@link DbWorker}, in milliseconds. */
export interface DbWorkerOptions {
  name: string;
  /** Jobs in flight at once in this process. Default: 1. */
  concurrency?: number;
  /** How long to wait before looking again when no row was due. Default: 1000. */
  pollIntervalMs?: number;
  /** Heartbeat of every running job, in one statement; under two thirds of `stalledAfterMs`. Default: 5000. */
  heartbeatMs?: number;
  /**
   * A row processing with no heartbeat for this long is reset. A running row whose heartbeat
   * could not be renewed for two thirds of it is aborted here first. Default: 30000.
   */
  stalledAfterMs?: number;
  /** Resets before a row is failed. Default: 3. */
  maxResets?: number;
  /** Attempts before a row is failed. Default: 5. */
  maxAttempts?: number;
  /**
   * A job running longer fails (and is retried): its signal aborts and its row is written as a
   * timeout at once, even if the handler never settles. Default: none.
   */
  timeoutMs?: number;
  /** Retry delay: `initialMs · 2^(attempt-1)`, at most `maxMs`, with ±20% jitter. Default: 10 s, 1 h. */
  backoff?: { initialMs: number; maxMs: number };
  /** Whether this worker also resets stalled rows (in a Nest app, one replica does). Default: true. */
  resetStalled?: boolean;
  /**
   * Told of every job's start and end: `job-started`, `job-succeeded`, `job-retried` (failed,
   * due again), `job-failed`, `job-cancelled`, `job-requeued`. While its `observed` flag is
   * false no event is built, as with a routine's listener.
   */
  onEvent?: WorkerEventListener;
  /** Told of every attempt's end, with its outcome and duration: the job history and metrics. */
  recorder?: JobRecorder;
  /** Wraps every handler call: one tracing span per job. */
  wrap?: JobWrapper;
  /** The time the worker's timers and row holds follow (tests pass a `ManualClock`). Default: the system clock. */
  clock?: Clock;
  logger?: {
    log(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  };
}

/** Receives a worker's events; `observed` (read before each event, a getter works) says whether anyone listens. */
export interface WorkerEventListener {
  (event: WorkerEvent): void;
  readonly observed?: boolean;
}

/** What {@link DbWorkerOptions.onEvent} receives. */
export interface WorkerEvent {
  type:
    | 'job-started'
    | 'job-succeeded'
    | 'job-retried'
    | 'job-failed'
    | 'job-cancelled'
    | 'job-requeued'
    | 'job-reset';
  id?: string;
  attempt?: number;
  /** `job-reset`: rows reset. */
  count?: number;
  error?: unknown;
}

/** A handler still running after its row was written without it (it ignored its signal). */
export interface StuckJob {
  id: string;
  attempt: number;
  token: string;
  /** Why its signal aborted. */
  cause: StopCause;
  /** Monotonic ms since its signal aborted. */
  forMs: number;
}

/** Why a running job's signal was aborted. */
export type StopCause = 'shutdown' | 'timeout' | 'cancel' | 'lost';
