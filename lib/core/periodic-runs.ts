// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured
// choices", before moving a field or turning a bound method into an arrow function.
import type { CatchUpQueue } from './catch-up-queue';
import type { Clock } from './clock';
import type { HeldMarker } from '../cluster/cluster-overlap';
import { MESSAGES } from './core.messages';
import type { RoutineStoppedError } from './errors';
import { formatDuration } from './duration';
import { keptValue } from './kept-value';
import { consoleRoutineLogger, reportError, type RoutineLogger } from './logger';
import type { OverlapBuffer, RunDone } from './overlap-buffer';
import {
  errorMessageOf,
  MAX_REINVOCATIONS,
  REINVOKE_IMMEDIATELY,
  takesSignal,
  type PeriodicHandler,
} from './periodic-handler';
import {
  backoffDelay,
  type PeriodicRoutineOptions,
  type ResolvedBackoff,
  type ResolvedPeriodicOptions,
} from './periodic-options';
import { PeriodicRun } from './periodic-run';
import type {
  PauseStatus,
  RoutineEventListener,
  RoutineEventType,
  RoutineState,
  RunOutcome,
  SkipReason,
  OverlapPolicy,
} from './routine';
import { emitEvent, wantsEvents } from './routine-events';
import { PeriodicRunContext, type PreviousRun } from './run-context';
import { RunLedger, type EndStatus } from './run-ledger';
import { callAndReport } from './safe-call';
import type { Schedule } from './schedule';
import { UNBOUNDED, type ScheduleBounds } from './schedule-bounds';
import type { SlotClaimer } from '../cluster/slot-claimer';
import { Ticker } from './ticker';

/** What stop() sets up: the reason runs' signals abort with, and its promise. */
export interface Shutdown {
  reason: RoutineStoppedError;
  done: Promise<void>;
  /** Resolves `waitIdle` once nothing is in flight. */
  onIdle: (() => void) | undefined;
}

/**
 * The runs of a periodic routine: starts each (a `PeriodicRun` with its signal, context and
 * timeout), hears its end (counts, backoff, `handleError`, a reinvocation, what a run's end
 * lets go next), keeps them within `concurrency`, and lets shutdown wait for them.
 * `PeriodicRoutine` extends it and decides when a run starts; `Ticker`, below it, when ticks
 * fall. One object per routine: every tick reads these fields (measured).
 */
export abstract class PeriodicRuns extends Ticker {
  // Fields a tick reads come first, bound methods rather than arrow functions (measured).
  protected currentState: RoutineState = 'idle';
  protected inFlight = 0;
  /** Cluster claims and hand-backs in flight: they hold a concurrency slot, but are not runs. */
  protected pending = 0;
  /** @internal */
  readonly handler: PeriodicHandler;
  /** @internal */
  readonly handlerTakesSignal: boolean;
  private readonly onEvent: RoutineEventListener | undefined;
  /** @internal Per run: the run's signal aborts once it has run this long. */
  readonly timeoutMs: number | undefined;
  private readonly concurrencyOption: number | (() => number);
  /** A run object ready for the next run: made with the routine, then the last one that ended (see `PeriodicRun`). */
  private spareRun: PeriodicRun | undefined = undefined;
  /** The run in flight, when there is one; any others (concurrency above 1) in `moreRuns`. */
  private soleRun: PeriodicRun | undefined = undefined;
  private moreRuns: Set<PeriodicRun> | undefined = undefined;
  /** @internal */
  protected readonly ledger: RunLedger;
  protected lastRunId = 0;
  protected backoffUntil = 0;
  /** @internal Set once stop() begins. */
  protected shutdown: Shutdown | undefined = undefined;
  /** @internal Ticks waiting for the run in flight: only for policies that buffer or cancel. */
  protected buffer: OverlapBuffer | undefined = undefined;
  /** @internal `catchup`'s late due times, when the routine has it. */
  protected catchUp: CatchUpQueue | undefined = undefined;
  /** @internal */
  protected bounds: ScheduleBounds = UNBOUNDED;
  /** @internal Cluster scope: the slot claims every tick goes through. */
  protected claims: SlotClaimer | undefined = undefined;

  readonly name: string;
  /** Given in the options, or made on first use (most routines never log). */
  private loggerOption: RoutineLogger | undefined;
  protected lastConcurrency = 1;
  private readonly backoff: ResolvedBackoff | undefined;

  protected constructor(
    clock: Clock,
    schedule: Schedule,
    name: string,
    handler: PeriodicHandler,
    resolved: ResolvedPeriodicOptions,
    options: PeriodicRoutineOptions,
  ) {
    super(clock, schedule, resolved.jitterMs, options.random ?? Math.random);
    this.handler = handler;
    this.handlerTakesSignal = takesSignal(handler);
    this.name = name;
    this.ledger = new RunLedger(options.recorder, (error) =>
      reportError(this.logger, MESSAGES.recorderFailed, error),
    );
    this.loggerOption = options.logger;
    this.onEvent = options.onEvent;
    this.concurrencyOption = options.concurrency ?? 1;
    if (typeof this.concurrencyOption === 'number') this.lastConcurrency = this.concurrencyOption;
    this.timeoutMs = resolved.timeoutMs;
    this.backoff = resolved.backoff;
    // Made now, next to the routine in memory, rather than at the first tick (measured).
    this.spareRun = new PeriodicRun(this);
  }

  /** @internal */
  get logger(): RoutineLogger {
    return (this.loggerOption ??= consoleRoutineLogger(this.name));
  }

  /** Past `endAt` or `maxRuns` reached: no more ticks; runs in flight go on. */
  protected abstract complete(): void;

  /** @internal A run object for `due`, reset: the caller marks it if it must, then launches it. */
  protected nextRun(due: number, armsNextTick: boolean, done?: RunDone): PeriodicRun {
    const run = this.spareRun ?? new PeriodicRun(this);
    this.spareRun = undefined;
    run.due = due;
    run.reinvocations = 0;
    run.armsNextTick = armsNextTick;
    run.done = done;
    run.marker = undefined;
    run.mark(undefined);
    return run;
  }

  /**
   * @internal Starts a run made by `nextRun`: counts it in flight, tells listeners, calls the
   * handler.
   */
  protected launch(run: PeriodicRun, startedAt: number = this.clock.now()): PeriodicRun {
    run.id = ++this.lastRunId;
    run.startedAt = startedAt;
    if (this.soleRun === undefined) this.soleRun = run;
    else (this.moreRuns ??= new Set()).add(run);
    this.inFlight++;
    if (this.wantsEvents()) this.emitStarted(run);
    // Read before the handler: a run that ends as it starts is recycled, even reused.
    const scheduled = run.done === undefined && run.reinvocations === 0;
    run.start(this.contextOf(run));
    if (this.shutdown !== undefined) run.abort(this.shutdown.reason);
    // A scheduled run counts towards maxRuns; a trigger and a reinvocation do not.
    if (scheduled && this.bounds.countRun()) this.complete();
    return run;
  }

  /** @internal A marked run in flight: its marker aborts or supersedes it. */
  protected holdMarker(run: PeriodicRun, held: HeldMarker): void {
    held.abort = (reason) => run.abort(reason);
    held.supersede = () => {
      this.buffer?.countSuperseded(run);
      run.supersede();
    };
  }

  /** @internal `ctx.previous`: the last run that ended. */
  previousRun(): PreviousRun | undefined {
    return this.ledger.previous(this.clock);
  }

  /** @internal Called by a run once its handler has ended. */
  runEnded(run: PeriodicRun, failed: boolean, valueOrError: unknown): void {
    this.inFlight--;
    if (this.soleRun === run) this.soleRun = undefined;
    else this.moreRuns?.delete(run);
    const status = this.endStatus(run, failed, valueOrError);
    this.record(run, status, valueOrError);
    const held = run.marker;
    run.marker = undefined;
    this.recycle(run);
    if (!failed && valueOrError === REINVOKE_IMMEDIATELY && this.shutdown === undefined) {
      if (run.reinvocations + 1 < MAX_REINVOCATIONS) return this.reinvoke(run, held);
      this.logger.warn(MESSAGES.tooManyReinvocations(MAX_REINVOCATIONS));
    }
    if (held !== undefined) this.claims!.overlap?.ended(held, this.ledger.previous(this.clock));
    if (run.armsNextTick) this.armAfterRun();
    this.catchUp?.runEnded(run.catchup, this.buffer?.nextDue);
    if (this.buffer !== undefined && this.buffer.queue.length > 0) this.buffer.startNext(false);
    this.notifyIfIdle();
  }

  /** @internal */
  runTimedOut(timeoutMs: number): void {
    this.logger.warn(MESSAGES.runTimedOut(formatDuration(timeoutMs)));
  }

  /** @internal */
  skip(due: number, reason: SkipReason, policy?: OverlapPolicy): void {
    this.ledger.skip(due, this.timetable.onWallClock, reason, this.clock.now());
    if (this.wantsEvents()) {
      const skipped: RunOutcome = { status: 'skipped', dueAt: this.wallOfDue(due), reason };
      if (policy !== undefined) skipped.policy = policy;
      this.emit('run-skipped', skipped);
    }
  }

  /** @internal Whether one more run fits within `concurrency` (claims in flight count). */
  hasRoom(): boolean {
    return this.inFlight + this.pending < this.concurrency();
  }

  protected concurrency(): number {
    const option = this.concurrencyOption;
    if (typeof option === 'number') return option;
    let value: unknown;
    try {
      value = option();
    } catch (error) {
      value = error;
    }
    if (Number.isInteger(value) && (value as number) >= 1) this.lastConcurrency = value as number;
    else this.logger.warn(MESSAGES.badConcurrencyValue(String(value), this.lastConcurrency));
    return this.lastConcurrency;
  }

  /** @internal The runs in flight, for shutdown and `cancel-other` to abort. */
  runsInFlight(): PeriodicRun[] {
    const runs = this.moreRuns ? [...this.moreRuns] : [];
    if (this.soleRun !== undefined) runs.push(this.soleRun);
    return runs;
  }

  /** @internal */
  protected waitIdle(shutdown: Shutdown): Promise<void> {
    if (this.inFlight + this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => (shutdown.onIdle = resolve));
  }

  protected notifyIfIdle(): void {
    const onIdle = this.shutdown?.onIdle;
    if (onIdle === undefined || this.inFlight + this.pending !== 0) return;
    this.shutdown!.onIdle = undefined;
    onIdle();
  }

  protected async finalize(): Promise<void> {
    const handler = this.handler;
    if (typeof handler.onShutdown !== 'function') return;
    await callAndReport(() => handler.onShutdown!(), this.logger, MESSAGES.onShutdownFailed);
  }

  protected wantsEvents(): boolean {
    return wantsEvents(this.onEvent);
  }

  protected emit(type: RoutineEventType, outcome?: RunOutcome): void {
    if (!this.wantsEvents()) return; // before `this.logger`, which makes a logger
    emitEvent(this.onEvent, this.logger, {
      type,
      routine: this.name,
      at: this.clock.wallNow(),
      runId: outcome?.runId,
      outcome,
      error: outcome?.error,
    });
  }

  /** Tells listeners the routine paused, why and who. */
  protected emitPaused(pause: PauseStatus): void {
    emitEvent(this.onEvent, this.logger, {
      type: 'paused',
      routine: this.name,
      at: pause.at,
      pause: { ...pause },
    });
  }

  /** Tells listeners a run started, and why it did if not the schedule alone. */
  private emitStarted(run: PeriodicRun): void {
    const started: RunOutcome = {
      runId: run.id,
      status: 'running',
      dueAt: this.wallOfDue(run.due),
      startedAt: this.clock.wallOf(run.startedAt),
    };
    const policy = run.policy;
    if (policy !== undefined) started.policy = policy;
    if (run.backfill) started.backfill = true;
    if (run.catchup) started.catchup = true;
    this.emit('run-started', started);
  }

  private contextOf(run: PeriodicRun): PeriodicRunContext {
    if (this.claims === undefined) {
      return new PeriodicRunContext(
        this.name,
        run.id,
        run.dueAt,
        run.reinvocations,
        undefined,
        this,
      );
    }
    // In cluster scope with run markers, `previous` is the last run on any replica.
    const source = run.marker ?? this;
    return new PeriodicRunContext(this.name, run.id, run.dueAt, run.reinvocations, run.due, source);
  }

  private endStatus(run: PeriodicRun, failed: boolean, valueOrError: unknown): EndStatus {
    if (!failed) return 'succeeded';
    // Shutdown or a newer tick cancelled the run: not the handler failing.
    const stopped = this.shutdown !== undefined || run.cancelled;
    return stopped && run.endedByAbort(valueOrError) ? 'cancelled' : 'failed';
  }

  /** Counts the run's end, keeps its value for `ctx.previous`, tells listeners and the trigger. */
  private record(run: PeriodicRun, status: EndStatus, valueOrError: unknown): void {
    const finishedAt = this.clock.now();
    const value =
      status === 'succeeded' && valueOrError !== undefined && valueOrError !== REINVOKE_IMMEDIATELY
        ? keptValue(valueOrError, (why) => this.warnOnce(why))
        : undefined;
    this.ledger.ended(this.clock, status, run, finishedAt, valueOrError, value);
    if (status === 'succeeded') this.backoffUntil = 0;
    else if (status === 'failed') this.onFailure(valueOrError, finishedAt);
    const done = run.done;
    const wantsEvents = this.wantsEvents();
    if (wantsEvents || done !== undefined) {
      const outcome = this.ledger.lastOutcome(this.clock)!;
      if (wantsEvents) this.emit(OUTCOME_EVENTS[status], outcome);
      done?.(outcome);
    }
  }

  /** The handler asked to run again at once: the next run holds the same marker, if any. */
  private reinvoke(run: PeriodicRun, held: HeldMarker | undefined): void {
    // Read first: the ended run was recycled, and `nextRun` may hand back that very object.
    const reinvocations = run.reinvocations + 1;
    const next = this.nextRun(run.due, run.armsNextTick);
    next.reinvocations = reinvocations;
    next.marker = held;
    this.launch(next);
    // A run that ended as it started has ended its marker already.
    if (held !== undefined && !held.ended) this.holdMarker(next, held);
  }

  /** Keeps a finished run for the next one; its fields are all set again by `nextRun`. */
  private recycle(run: PeriodicRun): void {
    run.done = undefined;
    if (run.reusable && this.spareRun === undefined) this.spareRun = run;
  }

  /** Logs a failed run, starts or extends the backoff, and passes the error to `handleError`. */
  private onFailure(error: unknown, at: number): void {
    reportError(this.logger, errorMessageOf(this.handler) ?? MESSAGES.runFailed, error);
    if (this.backoff) {
      this.backoffUntil = at + backoffDelay(this.backoff, this.ledger.consecutiveFailures);
    }
    const handler = this.handler;
    if (typeof handler.handleError === 'function') {
      void callAndReport(() => handler.handleError!(error), this.logger, MESSAGES.handleErrorThrew);
    }
  }

  private warnOnce(message: string): void {
    if (warnedAboutValues.has(this)) return;
    warnedAboutValues.add(this);
    this.logger.warn(message);
  }
}

/** Routines told once that their handler's value was not kept: touched only then. */
const warnedAboutValues = new WeakSet<PeriodicRuns>();

const OUTCOME_EVENTS: Record<EndStatus, RoutineEventType> = {
  succeeded: 'run-succeeded',
  failed: 'run-failed',
  cancelled: 'run-cancelled',
};
