import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from '../core/clock';
import {
  reportCoordinatorFailure,
  reportCoordinatorSuccess,
  type OutageSource,
} from '../core/coordinator-outage';
import { formatDuration } from '../core/duration';
import { Hold, HoldExpiredError, renewDeadline } from '../core/hold';
import { describeError } from '../core/logger';
import { jobKey, type ClaimedJob, type PostgresWorkerTable } from './postgres-worker-store';
import {
  type DbWorkerOptions,
  type JobContext,
  type JobHandler,
  type JobOutcome,
  type StopCause,
  type StuckJob,
  type WorkerEvent,
} from './interfaces/job.interface';
import { isNonRetryable } from './non-retryable.error';
import { validateWorkerOptions } from './worker-options';

// The worker's public types and errors, from where they were first written.
export * from './interfaces/job.interface';
export * from './non-retryable.error';

interface Running<Row> {
  job: ClaimedJob<Row>;
  controller: AbortController;
  /** The row's hold: ttl `stalledAfterMs`, renewed by each heartbeat that answered. */
  hold: Hold;
  cause?: StopCause;
  /** Why the row was lost, for its record and log. */
  lostWhy?: string;
  /** Monotonic time the signal aborted. */
  abortedAt?: number;
  /** Ends the wait for the handler: called when the signal aborts. */
  cut: () => void;
  handlerSettled: boolean;
  /** Called once the handler settles after its row was written (see `linger`). */
  onSettled?: () => void;
  /** The attempt's end was written (or could not be): the slot is free. */
  done: Promise<void>;
}

/**
 * How long stop() waits for the hand-back writes after its grace: a quarter of the grace (what a
 * Nest app's shutdown timeout leaves it), at least 100 ms and at most a second.
 */
function handBackMs(graceMs: number): number {
  return Math.min(1000, Math.max(100, Math.floor(graceMs / 4)));
}
/** A handler not settled this long after its signal aborted (its row already written) is logged as stuck. */
const STUCK_AFTER_MS = 1000;

/**
 * Processes rows of a job table: dequeues up to `concurrency` at a time (at once again after a
 * successful dequeue, after `pollIntervalMs` otherwise, or as soon as `notify()` says a row was
 * added), heartbeats them, retries failures with backoff, resets stalled rows, and on `stop()`
 * hands unfinished rows back to queued without counting a failure.
 *
 * Each running row is held as the core's one holder discipline holds a lease (core/hold.ts):
 * ttl `stalledAfterMs`, taken when the dequeue was sent, renewed when a heartbeat sent at a
 * given time answered; two thirds of the ttl after the last renewal sent that succeeded, the
 * row's signal aborts, a third of `stalledAfterMs` before any other worker may reset it.
 */
export class DbWorker<Row = Record<string, unknown>> {
  /** Rows running here, each in its slot (one dequeue's attempt each: a row may come back). */
  private readonly running = new Set<Running<Row>>();
  /** Handlers whose row was written without them (timeout, cancel, shutdown, lost), still running. */
  private readonly lingering = new Set<Running<Row>>();
  private readonly claimPrefix = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  private dequeues = 0;
  private readonly o: Required<
    Omit<DbWorkerOptions, 'timeoutMs' | 'logger' | 'onEvent' | 'recorder' | 'wrap' | 'clock'>
  > &
    Pick<DbWorkerOptions, 'timeoutMs'>;
  private readonly clock: Clock;
  private readonly onEvent: DbWorkerOptions['onEvent'];
  private readonly recorder: DbWorkerOptions['recorder'];
  private readonly wrap: DbWorkerOptions['wrap'];
  private readonly logger: NonNullable<DbWorkerOptions['logger']>;
  /** Where failed statements are reported, once per outage: the store (shared by its workers). */
  private readonly outageSource: OutageSource;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private hasStarted = false;
  private blockedByStuck = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly timers = new Set<{ handle?: TimerHandle }>();
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
    validateWorkerOptions(this.o);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? console;
    this.onEvent = options.onEvent;
    this.recorder = options.recorder;
    this.wrap = options.wrap;
    this.outageSource = table.outageSource ?? table;
  }

  /** Whether `start()` was called: a worker runs once. */
  get started(): boolean {
    return this.hasStarted;
  }

  /**
   * Handlers running here: those in their slot, and those stuck after their row was written
   * without them (see {@link stuck}).
   */
  get inFlight(): number {
    return this.running.size + this.lingering.size;
  }

  /**
   * Handlers that ignored their signal: their row was already written (a timeout, a cancel, a
   * hand-back, a lost row) but they have not settled. They no longer take a slot; while they and
   * the rows running reach twice `concurrency`, nothing more is dequeued.
   */
  get stuck(): StuckJob[] {
    const now = this.clock.now();
    return [...this.lingering].map(({ job, cause, abortedAt }) => ({
      id: job.id,
      attempt: job.attempt,
      token: job.claim,
      cause: cause!,
      forMs: now - (abortedAt ?? now),
    }));
  }

  /** Starts dequeuing; the table must have been checked (`table.check()`). */
  start(): void {
    if (this.hasStarted) return;
    this.hasStarted = true;
    this.loop = this.dequeueLoop();
    // Heartbeats go on while stop() waits for jobs in flight, or they would be reset meanwhile.
    // One hung heartbeat must not stop the next ones for long: after the renew deadline another
    // goes out (the rows it carried are aborted by then).
    this.every(this.o.heartbeatMs, () => this.beat(), true, renewDeadline(this.o.stalledAfterMs));
    if (this.o.resetStalled)
      this.every(Math.max(1, Math.floor(this.o.stalledAfterMs / 2)), () => this.resetStalledRows());
  }

  /** A row was added: look now instead of at the next poll. */
  notify(): void {
    this.wake?.();
  }

  /**
   * Stops dequeuing (rows of a dequeue still in flight are handed back as they arrive), waits
   * for jobs in flight up to `timeoutMs`, then aborts the rest and hands their rows back to
   * queued (no failure counted: a deploy is not a failure) without waiting for their handlers
   * to settle. Returns within `timeoutMs`, plus a quarter of it (100 ms to 1 s) for the hand-back
   * writes.
   */
  stop(timeoutMs: number): Promise<void> {
    if (!this.stopped) {
      this.stopping = true;
      this.wake?.();
      this.stopped = this.shutDown(timeoutMs);
    }
    return this.stopped;
  }

  private async shutDown(graceMs: number): Promise<void> {
    await this.within(
      graceMs,
      Promise.all([...[...this.running].map((running) => running.done), this.loop]),
    );
    const left = [...this.running];
    for (const running of left) this.abort(running, 'shutdown');
    await this.within(
      handBackMs(graceMs),
      Promise.all([...left.map((running) => running.done), this.loop]),
    );
    for (const timer of this.timers) if (timer.handle) this.clock.clearTimer(timer.handle);
    this.timers.clear();
    for (const running of this.running) running.hold.release();
    if (this.lingering.size > 0) {
      this.logger.warn(
        `worker '${this.o.name}': stopped with ${this.lingering.size} handler(s) still running that ignored their signal (${this.stuck
          .map((job) => `job ${job.id}`)
          .join(', ')}); their rows were already written`,
      );
    }
  }

  /** Waits for `work`, at most `ms` (on the worker's clock). */
  private async within(ms: number, work: Promise<unknown>): Promise<void> {
    let timer: TimerHandle | undefined;
    await Promise.race([
      work,
      new Promise<void>((resolve) => (timer = this.clock.setTimer(this.clock.now() + ms, resolve))),
    ]);
    if (timer) this.clock.clearTimer(timer);
  }

  /** Slots free: `concurrency` minus the rows running, fewer once stuck handlers pile up. */
  private freeSlots(): number {
    const c = this.o.concurrency;
    const free = Math.min(c - this.running.size, 2 * c - this.running.size - this.lingering.size);
    const blocked = free <= 0 && this.running.size < c;
    if (blocked && !this.blockedByStuck) {
      this.logger.warn(
        `worker '${this.o.name}': ${this.lingering.size} handler(s) ignored their signal and still run (${this.stuck
          .map((job) => `job ${job.id}`)
          .join(', ')}); no row is dequeued until some settle`,
      );
    }
    this.blockedByStuck = blocked;
    return free;
  }

  private async dequeueLoop(): Promise<void> {
    while (!this.stopping) {
      const free = this.freeSlots();
      let got = 0;
      if (free > 0) {
        const claim = `${this.claimPrefix}.${(++this.dequeues).toString(36)}`;
        const sentAt = this.clock.now();
        try {
          const jobs = await this.table.dequeue(free, claim);
          this.reportSuccess();
          for (const job of jobs) {
            const ref: { running?: Running<Row> } = {};
            const hold = new Hold(this.clock, this.o.stalledAfterMs, (cause) => {
              if (ref.running) this.holdLost(ref.running, cause);
            });
            hold.renewed(sentAt);
            // Stop began while the dequeue was in flight, or it answered past the renew
            // deadline: the row is handed back at once, never started and forgotten.
            if (this.stopping || !hold.holds()) {
              hold.release();
              await this.handBack(job);
            } else {
              ref.running = this.run(job, hold);
              got++;
            }
          }
        } catch (error) {
          this.reportFailure('dequeue', error);
        }
      }
      if (this.stopping) break;
      // A full dequeue may have left more due rows: look again at once. Otherwise wait for a
      // free slot, a notification, or the poll interval.
      if (got > 0 && got === free) continue;
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimer(this.clock.now() + this.o.pollIntervalMs, resolve);
        this.wake = () => {
          this.clock.clearTimer(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** A row dequeued that will not run here: back to queued, no failure counted. */
  private async handBack(job: ClaimedJob<Row>): Promise<void> {
    try {
      if (await this.table.requeue(job)) this.tell('job-requeued', job);
    } catch (error) {
      this.logger.warn(
        `worker '${this.o.name}': could not hand job ${job.id} back (${describeError(error).message}); it will be reset as stalled`,
      );
    }
  }

  private run(job: ClaimedJob<Row>, hold: Hold): Running<Row> {
    const running: Running<Row> = {
      job,
      hold,
      controller: new AbortController(),
      cut: () => undefined,
      handlerSettled: false,
      done: Promise.resolve(),
    };
    this.running.add(running);
    this.tell('job-started', job);
    running.done = this.execute(running).finally(() => {
      running.hold.release();
      this.running.delete(running);
      this.wake?.(); // a slot is free
    });
    return running;
  }

  private async execute(running: Running<Row>): Promise<void> {
    const { job, controller } = running;
    const began = this.clock.now();
    const timeout =
      this.o.timeoutMs === undefined
        ? undefined
        : this.clock.setTimer(began + this.o.timeoutMs, () => this.abort(running, 'timeout'));
    const context: JobContext = {
      id: job.id,
      attempt: job.attempt,
      signal: controller.signal,
      holdsRow: () => running.hold.holds(),
      token: job.claim,
    };
    // The handler's end, or its signal aborting: a handler that ignores its signal does not
    // keep its row (see `settle`). One promise per job for both (measured: a race costs more).
    const result = await new Promise<{ failed: boolean; error?: unknown } | undefined>(
      (resolve) => {
        running.cut = () => resolve(undefined);
        void this.invoke(job.row, context).then((settled) => {
          running.handlerSettled = true;
          running.onSettled?.();
          resolve(settled);
        });
      },
    );
    if (timeout) this.clock.clearTimer(timeout);
    const durationMs = this.clock.now() - began;
    const failed = result?.failed ?? false;
    let error = result?.error;
    let outcome: JobOutcome;
    try {
      outcome = await this.settle(running, failed, error, result !== undefined);
    } catch (writeError) {
      // The row stays processing; its heartbeat stops, so the resetter hands it on.
      this.logger.error(
        `worker '${this.o.name}': could not record the end of job ${job.id} (${describeError(writeError).message}); it will be reset as stalled`,
      );
      outcome = 'lost';
      error ??= writeError;
    }
    if (!running.handlerSettled) this.linger(running);
    if (!this.recorder) return;
    if (error === undefined && running.cause && outcome !== 'succeeded')
      error = this.stopReason(running.cause, running.lostWhy);
    try {
      this.recorder.ended(job, outcome, this.clock.wallOf(began), durationMs, error);
    } catch {
      // A recorder's failure is not the job's.
    }
  }

  /** Calls the handler (inside `wrap`); never rejects. */
  private async invoke(
    row: Row,
    context: JobContext,
  ): Promise<{ failed: boolean; error?: unknown }> {
    try {
      if (this.wrap) {
        const { id, attempt, signal } = context;
        await this.wrap({ id, attempt, signal }, async () => this.handler(row, context));
      } else await this.handler(row, context);
      return { failed: false };
    } catch (error) {
      return { failed: true, error };
    }
  }

  /** A handler still running after its row was written: counted, and named once it is stuck. */
  private linger(running: Running<Row>): void {
    this.lingering.add(running);
    const timer: { handle?: TimerHandle } = {};
    let named = false;
    timer.handle = this.clock.setTimer(this.clock.now() + STUCK_AFTER_MS, () => {
      this.timers.delete(timer);
      if (!this.lingering.has(running)) return;
      named = true;
      this.logger.warn(
        `worker '${this.o.name}': job ${running.job.id} (attempt ${running.job.attempt}) is stuck: its handler has not settled ${formatDuration(this.clock.now() - (running.abortedAt ?? this.clock.now()))} after its signal aborted (${running.cause}), and its row was already written; it is counted in inFlight until it settles`,
      );
    });
    this.timers.add(timer);
    running.onSettled = () => {
      this.lingering.delete(running);
      if (timer.handle) this.clock.clearTimer(timer.handle);
      this.timers.delete(timer);
      if (named)
        this.logger.log(`worker '${this.o.name}': stuck job ${running.job.id}'s handler settled`);
      this.wake?.();
    };
  }

  /** Why a job stopped, for its record: `JobTimeout`, `JobCancelled`, `JobLost`, `JobRequeued`. */
  private stopReason(cause: StopCause, lostWhy?: string): Error {
    const [name, message] = {
      timeout: ['JobTimeout', `timed out after ${this.o.timeoutMs} ms`],
      cancel: ['JobCancelled', 'canceled by an operator'],
      lost: ['JobLost', lostWhy ?? 'no longer ours (reset as stalled)'],
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
    /** The handler settled before its signal's abort cut the wait. */
    settled: boolean,
  ): Promise<JobOutcome> {
    const { job } = running;
    // A handler that had finished when shutdown aborted it: its end is written, not handed back.
    const cause = running.cause === 'shutdown' && settled ? undefined : running.cause;
    switch (cause) {
      case 'lost':
        this.logger.warn(
          `worker '${this.o.name}': job ${job.id} ${running.lostWhy ?? 'was no longer ours'}; its signal aborted and its end is not recorded`,
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
    if (!failed && cause !== 'timeout') {
      if (!(await this.completeSoon(job))) return this.fenced(job);
      this.tell('job-succeeded', job);
      return 'succeeded';
    }
    const message =
      cause === 'timeout' ? this.stopReason('timeout').message : describeError(error).message;
    const outcome = await this.table.fail(job, message, {
      maxAttempts: this.o.maxAttempts,
      retryInMs: this.retryDelay(job.attempt),
      retry: cause === 'timeout' || !isNonRetryable(error),
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
    try {
      if (!this.onEvent || this.onEvent.observed === false) return;
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
      for (const entry of batch) entry.resolve(done.has(jobKey(entry.job)));
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

  /**
   * Aborts a running job's signal, once. Its hold ends first, so that `holdsRow()` already
   * reads false in the signal's listeners; its row is then written without waiting for the
   * handler.
   */
  private abort(running: Running<Row>, cause: StopCause, lostWhy?: string): void {
    if (running.cause) return;
    running.cause = cause;
    running.lostWhy = lostWhy;
    running.abortedAt = this.clock.now();
    running.hold.release();
    try {
      running.controller.abort(this.stopReason(cause, lostWhy));
    } catch {
      // A listener of the app's threw: the abort happened all the same.
    }
    running.cut();
  }

  /** A row's hold ended without a heartbeat renewing it in time, or was taken. */
  private holdLost(running: Running<Row>, cause: unknown): void {
    const why =
      cause instanceof HoldExpiredError
        ? `could not renew its heartbeat in time (${cause.message}); aborted before another worker may reset it after stalledAfter (${formatDuration(this.o.stalledAfterMs)})`
        : describeError(cause).message;
    this.abort(running, 'lost', why);
  }

  /** One statement for every running job; aborts those cancelled or no longer ours. */
  private async beat(): Promise<void> {
    const all = [...this.running].filter((running) => running.cause === undefined);
    if (all.length === 0) return;
    const sentAt = this.clock.now();
    let answer: { alive: Set<string>; cancel: Set<string> };
    try {
      answer = await this.table.heartbeat(all.map((running) => running.job));
    } catch (error) {
      // Each row's hold aborts it at its deadline if no heartbeat answers before.
      this.reportFailure('heartbeat', error);
      return;
    }
    this.reportSuccess();
    for (const running of all) {
      if (!this.running.has(running) || running.cause) continue; // ended meanwhile
      const key = jobKey(running.job);
      if (!answer.alive.has(key)) {
        running.hold.lose(new Error('was no longer ours (reset as stalled, or taken by another)'));
        continue;
      }
      running.hold.renewed(sentAt);
      if (answer.cancel.has(key)) this.abort(running, 'cancel');
    }
  }

  /** The worker's wording for the core's once-per-outage report (shared per store). */
  private reportFailure(what: string, error: unknown): void {
    const reason = describeError(error).message;
    reportCoordinatorFailure(
      this.outageSource,
      this.clock,
      {
        log: () => undefined,
        warn: () =>
          this.logger.warn(
            `worker '${this.o.name}': ${what} failed (${reason}); retrying; a running row whose heartbeat cannot be renewed within ${formatDuration(renewDeadline(this.o.stalledAfterMs))} is aborted; further failures are counted, not logged`,
          ),
        error: () => undefined,
      },
      `${what} of worker '${this.o.name}'`,
      error,
    );
  }

  private reportSuccess(): void {
    reportCoordinatorSuccess(this.outageSource, this.clock, {
      log: (message) =>
        this.logger.log(
          `worker '${this.o.name}': the database answers again (${/after (.*)$/.exec(message)?.[1] ?? message})`,
        ),
      warn: () => undefined,
      error: () => undefined,
    });
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

  /**
   * Runs `work` every `ms` on the worker's clock, one at a time; with `maxBusyMs`, a call that
   * has not answered for that long no longer holds the next one back.
   */
  private every(ms: number, work: () => Promise<void>, duringStop = false, maxBusyMs = Infinity) {
    let busySince: number | undefined;
    const timer: { handle?: TimerHandle } = {};
    const tick = (): void => {
      timer.handle = this.clock.setTimer(this.clock.now() + ms, tick);
      if (this.stopping && !duringStop) return;
      if (busySince !== undefined && this.clock.now() - busySince < maxBusyMs) return;
      const since = this.clock.now();
      busySince = since;
      work()
        .catch((error: unknown) =>
          this.logger.warn(`worker '${this.o.name}': ${describeError(error).message}`),
        )
        .finally(() => {
          if (busySince === since) busySince = undefined;
        });
    };
    timer.handle = this.clock.setTimer(this.clock.now() + ms, tick);
    this.timers.add(timer);
  }
}
