import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { describeError } from '../core/logger';
import type { ClaimedJob, PostgresWorkerTable } from './postgres-worker-store';

/** Thrown by a handler for a job that must not be retried: the row goes to `failed` at once. */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
}

/** What a handler gets with each row. */
export interface JobContext {
  /** The row's id, as text. */
  id: string;
  /** 1 for the first attempt. */
  attempt: number;
  /**
   * Aborts when the job must stop: shutdown past its timeout (the row goes back to queued), the
   * job's `timeout`, the `cancel` column set, or the row no longer ours (reset as stalled).
   */
  signal: AbortSignal;
}

export type JobHandler<Row> = (row: Row, job: JobContext) => Promise<void> | void;

/**
 * How a job's attempt ended: `succeeded`; `retried` (failed, due again after its backoff);
 * `failed` (for good: attempts used up, or `NonRetryableError`); `cancelled` (the `cancel`
 * column); `requeued` (handed back on shutdown, no failure counted); `lost` (the row was no
 * longer ours, or its end could not be written: the resetter hands it on).
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
    /** How long the handler ran (the final write aside). */
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
  /** Heartbeat of every running job, in one statement. Default: 5000. */
  heartbeatMs?: number;
  /** A row processing with no heartbeat for this long is reset. Default: 30000. */
  stalledAfterMs?: number;
  /** Resets before a row is failed. Default: 3. */
  maxResets?: number;
  /** Attempts before a row is failed. Default: 5. */
  maxAttempts?: number;
  /** A job running longer fails (and is retried). Default: none. */
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

/** Why a running job's signal was aborted. */
type StopCause = 'shutdown' | 'timeout' | 'cancel' | 'lost';

interface Running<Row> {
  job: ClaimedJob<Row>;
  controller: AbortController;
  cause?: StopCause;
  done: Promise<void>;
}

/**
 * Processes rows of a job table: dequeues up to `concurrency` at a time (at once again after a
 * successful dequeue, after `pollIntervalMs` otherwise, or as soon as `notify()` says a row was
 * added), heartbeats them, retries failures with backoff, resets stalled rows, and on `stop()`
 * hands unfinished rows back to queued without counting a failure.
 */
export class DbWorker<Row = Record<string, unknown>> {
  private readonly running = new Map<string, Running<Row>>();
  private readonly claim = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  private readonly o: Required<
    Omit<DbWorkerOptions, 'timeoutMs' | 'logger' | 'onEvent' | 'recorder' | 'wrap'>
  > &
    Pick<DbWorkerOptions, 'timeoutMs'>;
  private readonly onEvent: DbWorkerOptions['onEvent'];
  private readonly recorder: DbWorkerOptions['recorder'];
  private readonly wrap: DbWorkerOptions['wrap'];
  private readonly logger: NonNullable<DbWorkerOptions['logger']>;
  private stopping = false;
  private hasStarted = false;
  private dequeueFailing = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private completions: Array<{
    job: ClaimedJob<Row>;
    resolve: (done: boolean) => void;
    reject: (error: unknown) => void;
  }> = [];

  constructor(
    private readonly table: PostgresWorkerTable<Row>,
    private readonly handler: JobHandler<Row>,
    options: DbWorkerOptions,
  ) {
    this.o = {
      name: options.name,
      concurrency: options.concurrency ?? 1,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      heartbeatMs: options.heartbeatMs ?? 5000,
      stalledAfterMs: options.stalledAfterMs ?? 30_000,
      maxResets: options.maxResets ?? 3,
      maxAttempts: options.maxAttempts ?? 5,
      timeoutMs: options.timeoutMs,
      backoff: options.backoff ?? { initialMs: 10_000, maxMs: 3_600_000 },
      resetStalled: options.resetStalled ?? true,
    };
    this.logger = options.logger ?? console;
    this.onEvent = options.onEvent;
    this.recorder = options.recorder;
    this.wrap = options.wrap;
  }

  /** Whether `start()` was called: a worker runs once. */
  get started(): boolean {
    return this.hasStarted;
  }

  /** Jobs in flight here, by row id. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Starts dequeuing; the table must have been checked (`table.check()`). */
  start(): void {
    if (this.hasStarted) return;
    this.hasStarted = true;
    this.loop = this.dequeueLoop();
    // Heartbeats go on while stop() waits for jobs in flight, or they would be reset meanwhile.
    this.every(this.o.heartbeatMs, () => this.beat(), true);
    if (this.o.resetStalled)
      this.every(Math.max(1, this.o.stalledAfterMs / 2), () => this.resetStalledRows());
  }

  /** A row was added: look now instead of at the next poll. */
  notify(): void {
    this.wake?.();
  }

  /**
   * Stops dequeuing, waits for jobs in flight up to `timeoutMs`, then aborts the rest and hands
   * their rows back to queued (no failure counted: a deploy is not a failure).
   */
  async stop(timeoutMs: number): Promise<void> {
    if (this.stopping) return this.loop;
    this.stopping = true;
    this.wake?.();
    const all = [...this.running.values()];
    const settled = Promise.all(all.map((running) => running.done));
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      settled.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (late) {
      for (const running of this.running.values()) this.abort(running, 'shutdown');
      await Promise.all([...this.running.values()].map((running) => running.done));
    }
    for (const timer of this.timers) clearInterval(timer);
    await this.loop;
  }

  private async dequeueLoop(): Promise<void> {
    while (!this.stopping) {
      const free = this.o.concurrency - this.running.size;
      let got = 0;
      if (free > 0) {
        try {
          const jobs = await this.table.dequeue(free, this.claim);
          if (this.dequeueFailing) this.logger.log(`worker '${this.o.name}': dequeue works again`);
          this.dequeueFailing = false;
          got = jobs.length;
          for (const job of jobs) this.run(job);
        } catch (error) {
          if (!this.dequeueFailing) {
            this.logger.warn(
              `worker '${this.o.name}': dequeue failed (${describeError(error).message}); retrying every poll`,
            );
          }
          this.dequeueFailing = true;
        }
      }
      if (this.stopping) break;
      // A full dequeue may have left more due rows: look again at once. Otherwise wait for a
      // free slot, a notification, or the poll interval.
      if (got > 0 && got === free) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.o.pollIntervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private run(job: ClaimedJob<Row>): void {
    const controller = new AbortController();
    const running: Running<Row> = { job, controller, done: Promise.resolve() };
    this.running.set(job.id, running);
    this.tell('job-started', job);
    running.done = this.execute(running).finally(() => {
      this.running.delete(job.id);
      this.wake?.(); // a slot is free
    });
  }

  private async execute(running: Running<Row>): Promise<void> {
    const { job, controller } = running;
    const timeout =
      this.o.timeoutMs === undefined
        ? undefined
        : setTimeout(() => this.abort(running, 'timeout'), this.o.timeoutMs);
    let error: unknown;
    let failed = false;
    const startedAt = Date.now();
    const began = performance.now();
    try {
      const context = { id: job.id, attempt: job.attempt, signal: controller.signal };
      if (this.wrap) await this.wrap(context, async () => this.handler(job.row, context));
      else await this.handler(job.row, context);
    } catch (thrown) {
      failed = true;
      error = thrown;
    } finally {
      clearTimeout(timeout);
    }
    const durationMs = performance.now() - began;
    let outcome: JobOutcome;
    try {
      outcome = await this.settle(running, failed, error);
    } catch (writeError) {
      // The row stays processing; its heartbeat stops, so the resetter hands it on.
      this.logger.error(
        `worker '${this.o.name}': could not record the end of job ${job.id} (${describeError(writeError).message}); it will be reset as stalled`,
      );
      outcome = 'lost';
      error ??= writeError;
    }
    if (!this.recorder) return;
    if (error === undefined && running.cause && outcome !== 'succeeded')
      error = this.stopReason(running.cause);
    try {
      this.recorder.ended(job, outcome, startedAt, durationMs, error);
    } catch {
      // A recorder's failure is not the job's.
    }
  }

  /** Why a job stopped, for its record: `JobTimeout`, `JobCancelled`, `JobLost`, `JobRequeued`. */
  private stopReason(cause: StopCause): Error {
    const [name, message] = {
      timeout: ['JobTimeout', `timed out after ${this.o.timeoutMs} ms`],
      cancel: ['JobCancelled', 'canceled by an operator'],
      lost: ['JobLost', 'no longer ours (reset as stalled)'],
      shutdown: ['JobRequeued', 'handed back on shutdown'],
    }[cause];
    const error = new Error(message);
    error.name = name;
    return error;
  }

  private async settle(
    running: Running<Row>,
    failed: boolean,
    error: unknown,
  ): Promise<JobOutcome> {
    const { job } = running;
    switch (running.cause) {
      case 'lost':
        this.logger.warn(
          `worker '${this.o.name}': job ${job.id} was no longer ours (reset as stalled); its end is not recorded`,
        );
        return 'lost';
      case 'shutdown':
        if (!(await this.table.requeue(job))) return 'lost';
        this.tell('job-requeued', job);
        return 'requeued';
      case 'cancel':
        if (!(await this.table.cancelled(job, 'canceled by an operator'))) return 'lost';
        this.tell('job-cancelled', job);
        return 'cancelled';
    }
    // A job past its timeout failed, however its handler settled once the signal aborted.
    if (!failed && running.cause !== 'timeout') {
      if (!(await this.completeSoon(job))) return this.fenced(job);
      this.tell('job-succeeded', job);
      return 'succeeded';
    }
    const message =
      running.cause === 'timeout'
        ? this.stopReason('timeout').message
        : describeError(error).message;
    const outcome = await this.table.fail(job, message, {
      maxAttempts: this.o.maxAttempts,
      retryInMs: this.retryDelay(job.attempt),
      retry: !(error instanceof NonRetryableError),
    });
    if (outcome === 'fenced') return this.fenced(job);
    this.tell(outcome === 'errored' ? 'job-retried' : 'job-failed', job, error ?? message);
    return outcome === 'errored' ? 'retried' : 'failed';
  }

  private tell(
    type: WorkerEvent['type'],
    job?: ClaimedJob<Row>,
    error?: unknown,
    count?: number,
  ): void {
    if (!this.onEvent || this.onEvent.observed === false) return;
    try {
      this.onEvent({ type, id: job?.id, attempt: job?.attempt, error, count });
    } catch {
      // A listener's failure is not the job's.
    }
  }

  /**
   * Completions that end close together go in one statement: one round trip for all of them,
   * and the slots they free are refilled by one dequeue (measured, bench P8).
   */
  private completeSoon(job: ClaimedJob<Row>): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.completions.push({ job, resolve, reject });
      if (this.completions.length === 1) setImmediate(() => void this.flushCompletions());
    });
  }

  private async flushCompletions(): Promise<void> {
    const batch = this.completions.splice(0);
    try {
      const done = await this.table.completeAll(batch.map((entry) => entry.job));
      for (const entry of batch) entry.resolve(done.has(entry.job.id));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }

  private fenced(job: ClaimedJob<Row>): 'lost' {
    this.logger.warn(
      `worker '${this.o.name}': job ${job.id} was taken over before it ended; its end is not recorded`,
    );
    return 'lost';
  }

  private retryDelay(attempt: number): number {
    const { initialMs, maxMs } = this.o.backoff;
    const base = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private abort(running: Running<Row>, cause: StopCause): void {
    if (running.cause) return;
    running.cause = cause;
    running.controller.abort(this.stopReason(cause));
  }

  /** One statement for every running job; aborts those cancelled or no longer ours. */
  private async beat(): Promise<void> {
    const all = [...this.running.values()];
    if (all.length === 0) return;
    const { alive, cancel } = await this.table.heartbeat(all.map((running) => running.job));
    for (const running of all) {
      if (!this.running.has(running.job.id)) continue; // ended meanwhile
      if (!alive.has(running.job.id)) this.abort(running, 'lost');
      else if (cancel.has(running.job.id)) this.abort(running, 'cancel');
    }
  }

  /**
   * Resets this table's stalled rows once: back to queued, or failed past `maxResets`. Runs
   * every `stalledAfterMs / 2` with `resetStalled: true`; in a Nest app, the cluster routine
   * `<name>:reset-stalled` calls it, once per tick across replicas.
   */
  async resetStalledRows(): Promise<void> {
    const { reset, failed } = await this.table.resetStalled(
      this.o.stalledAfterMs,
      this.o.maxResets,
    );
    if (reset + failed > 0) {
      this.tell('job-reset', undefined, undefined, reset + failed);
      this.logger.warn(
        `worker '${this.o.name}': ${reset} stalled row(s) back to queued, ${failed} failed after too many resets`,
      );
      if (reset > 0) this.wake?.();
    }
  }

  private every(ms: number, work: () => Promise<void>, duringStop = false): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || (this.stopping && !duringStop)) return;
      busy = true;
      work()
        .catch((error: unknown) =>
          this.logger.warn(`worker '${this.o.name}': ${describeError(error).message}`),
        )
        .finally(() => (busy = false));
    }, ms);
    timer.unref?.();
    this.timers.push(timer);
  }
}
