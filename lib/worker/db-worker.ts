import { systemClock, type Clock } from '../core/clock';
import { renewDeadline } from '../core/hold';
import { describeError } from '../core/logger';
import { CompletionBatch } from './completion-batch';
import { DequeueLoop, type DequeueHost } from './dequeue-loop';
import type { DbWorkerOptions, JobHandler, StuckJob } from './interfaces/job.interface';
import type { JobAttempt } from './job-attempt';
import { JobRunner } from './job-runner';
import { JobSettlement } from './job-settlement';
import { heartbeatRows } from './row-heartbeat';
import { StuckHandlers } from './stuck-handlers';
import { workerOptions, type CheckedOptions } from './worker-options';
import { WorkerReporter } from './worker-reporter';
import type { WorkerTablePort } from './worker-table.port';
import { WorkerTimers } from './worker-timers';
import { MESSAGES } from './worker.messages';

/**
 * How long stop() waits for the hand-back writes after its grace: a quarter of the grace (what a
 * Nest app's shutdown timeout leaves it), at least 100 ms and at most a second.
 */
function handBackMs(graceMs: number): number {
  return Math.min(1000, Math.max(100, Math.floor(graceMs / 4)));
}

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
  private readonly running = new Set<JobAttempt<Row>>();
  private readonly o: CheckedOptions;
  private readonly clock: Clock;
  private readonly reporter: WorkerReporter;
  private readonly timers: WorkerTimers;
  private readonly stuckHandlers: StuckHandlers<Row>;
  private readonly runner: JobRunner<Row>;
  private readonly dequeueLoop: DequeueLoop<Row>;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private hasStarted = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly table: WorkerTablePort<Row>,
    handler: JobHandler<Row>,
    options: DbWorkerOptions,
  ) {
    this.o = workerOptions(options);
    const o = this.o;
    this.clock = options.clock ?? systemClock;
    const logger = options.logger ?? console;
    // Failed statements are reported once per outage of the store (shared by its workers).
    const outageSource = table.outageSource ?? table;
    this.reporter = new WorkerReporter(
      o.name,
      logger,
      this.clock,
      outageSource,
      o.stalledAfterMs,
      options.onEvent,
    );
    this.timers = new WorkerTimers(this.clock);
    this.stuckHandlers = new StuckHandlers(o.name, this.clock, this.timers, logger, () =>
      this.dequeueLoop.wake(),
    );
    const settlement = new JobSettlement(table, new CompletionBatch(table), this.reporter, o);
    this.runner = new JobRunner(
      o.name,
      this.clock,
      o.timeoutMs,
      handler,
      settlement,
      this.stuckHandlers,
      logger,
      options.wrap,
      options.recorder,
    );
    const host: DequeueHost<Row> = {
      stopping: () => this.stopping,
      freeSlots: () => this.stuckHandlers.freeSlots(this.running.size, o.concurrency),
      run: (attempt) => this.run(attempt),
    };
    this.dequeueLoop = new DequeueLoop(host, table, this.clock, this.reporter, o);
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
    return this.running.size + this.stuckHandlers.size;
  }

  /**
   * Handlers that ignored their signal: their row was already written (a timeout, a cancel, a
   * hand-back, a lost row) but they have not settled. They no longer take a slot; while they and
   * the rows running reach twice `concurrency`, nothing more is dequeued.
   */
  get stuck(): StuckJob[] {
    return this.stuckHandlers.list();
  }

  /** Starts dequeuing; the table must have been checked (`table.check()`). */
  start(): void {
    if (this.hasStarted) return;
    this.hasStarted = true;
    this.loop = this.dequeueLoop.run();
    const onError = (error: unknown) =>
      this.reporter.logger.warn(MESSAGES.periodicFailed(this.o.name, describeError(error).message));
    // Heartbeats go on while stop() waits for jobs in flight, or they would be reset meanwhile.
    // One hung heartbeat must not stop the next ones for long: after the renew deadline another
    // goes out (the rows it carried are aborted by then).
    this.timers.every(
      this.o.heartbeatMs,
      () => heartbeatRows(this.running, this.table, this.clock, this.reporter),
      onError,
      () => false,
      renewDeadline(this.o.stalledAfterMs),
    );
    if (this.o.resetStalled) {
      this.timers.every(
        Math.max(1, Math.floor(this.o.stalledAfterMs / 2)),
        () => this.resetStalledRows(),
        onError,
        () => this.stopping,
      );
    }
  }

  /** A row was added: look now instead of at the next poll. */
  notify(): void {
    this.dequeueLoop.wake();
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
      this.dequeueLoop.wake();
      this.stopped = this.shutDown(timeoutMs);
    }
    return this.stopped;
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
      this.reporter.tell('job-reset', undefined, undefined, reset + failed);
      this.reporter.logger.warn(MESSAGES.stalledReset(this.o.name, reset, failed));
      if (reset > 0) this.dequeueLoop.wake();
    }
  }

  private run(attempt: JobAttempt<Row>): void {
    this.running.add(attempt);
    this.reporter.tell('job-started', attempt.job);
    attempt.done = this.runner.run(attempt).finally(() => {
      attempt.hold.release();
      this.running.delete(attempt);
      this.dequeueLoop.wake(); // a slot is free
    });
  }

  private async shutDown(graceMs: number): Promise<void> {
    const ended = (attempts: Array<JobAttempt<Row>>) =>
      Promise.all([...attempts.map((attempt) => attempt.done), this.loop]);
    await this.timers.within(graceMs, ended([...this.running]));
    const left = [...this.running];
    for (const attempt of left) attempt.abort('shutdown');
    await this.timers.within(handBackMs(graceMs), ended(left));
    this.timers.clear();
    for (const attempt of this.running) attempt.hold.release();
    this.stuckHandlers.warnIfAny();
  }
}
