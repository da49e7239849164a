// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured
// choices", before moving a field or turning a bound method into an arrow function.
import { backfill, type BackfillOptions, type BackfillReport } from './backfill';
import { catchUpHorizonMs, dueTimesBeforeStart } from './catch-up';
import { CatchUpQueue } from './catch-up-queue';
import { checkedOptions } from './checked-options';
import { systemClock } from './clock';
import type { SlotClaims as SlotClaimsPort } from '../cluster/ports';
import { MESSAGES } from './core.messages';
import type { OptionProblem } from './duration';
import { RoutineCancelledError, RoutineStoppedError } from './errors';
import { OverlapBuffer } from './overlap-buffer';
import type { HandlerFunction, PeriodicHandler } from './periodic-handler';
import {
  checkNewInterval,
  type PeriodicRoutineOptions,
  type ResolvedPeriodicOptions,
} from './periodic-options';
import { PeriodicDispatch } from './periodic-dispatch';
import type { Shutdown } from './periodic-runs';
import type {
  ManagedRoutine,
  OverlapPolicy,
  PauseInfo,
  PauseStatus,
  RoutineInfo,
  RoutineScope,
  RoutineState,
  RunOutcome,
} from './routine';
import { createSchedule, type IntervalSpec, type Schedule } from './schedule';
import { ScheduleBounds } from './schedule-bounds';
import { SlotClaimer } from '../cluster/slot-claimer';

export { MAX_BACKFILL, type BackfillOptions, type BackfillReport } from './backfill';
export { MAX_PREVIOUS_BYTES } from './kept-value';
export {
  resolvePeriodicOptions,
  validatePeriodicOptions,
  type BackoffOptions,
  type ResolvedPeriodicOptions,
  type PeriodicOptions,
  type PeriodicRoutineOptions,
} from './periodic-options';

/** `nextRuns(count)`: enough for any screen, bounded so a typo cannot loop for long. */
const MAX_NEXT_RUNS = 1000;

/**
 * A routine that runs a handler on a schedule.
 *
 * Ticks fall on a fixed grid (start + n·interval; multiples of the interval since the epoch
 * in cluster scope; cron times), so late ticks never push later ones back; with an interval
 * function, the next tick is due that long after the run ends. A tick that finds the routine
 * at its concurrency is skipped and counted, never queued. Each run gets its own signal and
 * a {@link RunContext}. A failing run is logged, counted and passed to `handleError`, and the
 * schedule goes on.
 *
 * Where things happen: a tick is scheduled and fires in `Ticker` (ticker.ts), which calls
 * `tick` here; a run starts in `launch` and ends in `runEnded` (`PeriodicRuns`; the run itself, its signal
 * and timeout, is `PeriodicRun`); a cluster slot is claimed by `SlotClaimer`; the times come
 * from a `Schedule`; counters and the last run are kept by `RunLedger`.
 *
 * @example
 * const janitor = new PeriodicRoutine(
 *   handlerWithErrorMessage('hard-delete uploads', (signal) => uploads.hardDelete(signal)),
 *   { name: 'hard-deleter', interval: '2m' },
 * );
 * await monitorBackgroundRoutines(undefined, janitor);
 */
export class PeriodicRoutine extends PeriodicDispatch implements ManagedRoutine {
  readonly description: string | undefined;
  readonly scope: RoutineScope;
  private readonly initialDelayMs: number | undefined;
  private readonly runOnStart: boolean;
  private startedAtMono: number | undefined = undefined;
  /** When `setInterval` last changed the schedule of a started routine, or it resumed (monotonic ms). */
  private retimedAtMono: number | undefined = undefined;

  /**
   * Throws a {@link RoutinesConfigurationError} naming every bad option. (`checked` is the
   * Nest adapter's: the options it has already checked, so they are not parsed twice.)
   */
  constructor(
    handler: PeriodicHandler | HandlerFunction,
    options: PeriodicRoutineOptions = {},
    /** @internal */ checked?: ResolvedPeriodicOptions,
  ) {
    const { periodicHandler, resolved, name } = checkedOptions(handler, options, checked);
    // The schedule is set just below: an interval function reports through this routine's logger.
    super(options.clock ?? systemClock, NO_SCHEDULE, name, periodicHandler, resolved, options);
    this.description = options.description;
    this.scope = options.scope ?? 'instance';
    this.initialDelayMs = resolved.initialDelayMs;
    this.runOnStart = resolved.runOnStart;
    this.bounds = ScheduleBounds.of(resolved);
    this.timetable = this.scheduleOf(options.interval, resolved.interval);
    if (resolved.overlap !== 'skip' && resolved.overlap !== 'allow') {
      this.buffer = new OverlapBuffer(this, resolved.overlap, resolved.maxBuffered);
    }
    if (resolved.catchup) this.catchUp = new CatchUpQueue(this, resolved.catchup);
    if (this.scope === 'cluster') {
      const horizon = this.catchUpHorizon();
      this.claims = new SlotClaimer(this, options.coordinator, horizon, resolved.marker);
    }
  }

  get kind(): 'periodic' {
    return 'periodic';
  }

  get state(): RoutineState {
    return this.currentState;
  }

  /** The schedule in words, as `info().schedule` gives it: 'every 2m', 'cron 0 3 * * *'. */
  get schedule(): string {
    return this.timetable.describe();
  }

  /** Failed runs since the last one that succeeded. */
  get consecutiveFailures(): number {
    return this.ledger.consecutiveFailures;
  }

  /** When it started ticking (wall-clock ms); undefined before `start()`. */
  get startedAt(): number | undefined {
    return this.startedAtMono === undefined ? undefined : this.clock.wallOf(this.startedAtMono);
  }

  /**
   * @internal When its current schedule began (wall-clock ms): the start, or the latest
   * `setInterval` or `resume` after it. Health judges "late" from here, so that a due time of
   * the new schedule before the change, or one that fell while paused, is not taken for a
   * missed run.
   */
  get scheduledSince(): number | undefined {
    const since = this.retimedAtMono ?? this.startedAtMono;
    return since === undefined ? undefined : this.clock.wallOf(since);
  }

  /**
   * The latest due time at or before `time` (wall-clock ms) on a cron schedule, or undefined:
   * what "late" is measured from for cron routines.
   */
  previousDue(time: number): number | undefined {
    return this.onCron ? this.timetable.previous(time) : undefined;
  }

  /** Whether it runs on a cron expression (rather than an interval). */
  get onCron(): boolean {
    return this.timetable.intervalMs === undefined;
  }

  /**
   * Starts ticking. `anchor` is the time the grid starts from (default now): routines started
   * together with the same anchor and interval tick together and share one timer.
   */
  start(anchor?: number): void {
    if (this.currentState !== 'idle') return;
    this.currentState = 'running';
    // Whole milliseconds: a small integer is kept in the field itself, a fraction in a box.
    this.startedAtMono = Math.floor(this.clock.now());
    this.emit('started');
    const { startAt, endAt } = this.bounds;
    const wallNow = this.clock.wallNow();
    if (endAt !== undefined && endAt <= wallNow) return this.complete();
    // The anchor is a monotonic time: only instance intervals share it.
    let start = this.timetable.onWallClock ? wallNow : (anchor ?? this.clock.now());
    let notBefore: number | undefined;
    if (startAt !== undefined && startAt > wallNow) {
      // Not due before startAt; an instance interval's grid starts there.
      notBefore = this.timetable.onWallClock ? startAt : this.clock.now() + (startAt - wallNow);
      start = notBefore;
    }
    const first = this.beginTicks(start, this.runOnStart, this.initialDelayMs, notBefore);
    const catchUp = this.catchUp;
    // A first run at start stands in for the due times before it; an instance interval has none.
    if (catchUp && !this.runOnStart && notBefore === undefined && this.timetable.onWallClock) {
      catchUp.enqueue(dueTimesBeforeStart(this.timetable, first, wallNow, catchUp.policy, startAt));
    }
  }

  /**
   * Stops ticking, aborts the signal of every run in flight, waits for them to settle, then
   * calls the handler's `onShutdown` once. Safe to call more than once.
   */
  stop(): Promise<void> {
    if (this.shutdown) return this.shutdown.done;
    const wasStarted = this.currentState !== 'idle';
    this.currentState = 'stopping';
    pauses.delete(this);
    this.cancelTicks();
    this.claims?.stop();
    const shutdown: Shutdown = (this.shutdown = {
      reason: new RoutineStoppedError(this.name),
      done: Promise.resolve(),
      onIdle: undefined,
    });
    for (const run of this.runsInFlight()) run.abort(shutdown.reason);
    this.dropWaiting();
    shutdown.done = this.waitIdle(shutdown)
      .then(() => (wasStarted ? this.finalize() : undefined))
      .then(() => {
        this.currentState = 'stopped';
        this.emit('stopped');
      });
    return shutdown.done;
  }

  /**
   * Suspends ticks; runs in flight go on. `trigger()` still works while paused. `info` says
   * why and who (shown by `info().paused` and the `paused` event); pausing a paused routine
   * with a new note updates it.
   *
   * @example
   * routine.pause({ note: 'database migration, back at 14:00', by: 'alice' });
   */
  pause(info?: PauseInfo): void {
    if (this.currentState === 'paused' && info !== undefined) {
      pauses.set(this, { ...pauses.get(this)!, ...pauseInfoOf(info) });
      return;
    }
    if (this.currentState !== 'running') return;
    this.currentState = 'paused';
    const pause: PauseStatus = { at: this.clock.wallNow(), ...pauseInfoOf(info) };
    pauses.set(this, pause);
    this.cancelTicks();
    if (this.wantsEvents()) this.emitPaused(pause);
  }

  /** Resumes ticks at the next tick due; ticks that fell while paused are not counted as skipped. */
  resume(): void {
    if (this.currentState !== 'paused') return;
    pauses.delete(this);
    this.currentState = 'running';
    // The ticks that fell while paused are not due: health counts from here.
    this.retimedAtMono = Math.floor(this.clock.now());
    this.resumeTicks();
    this.emit('resumed');
  }

  /**
   * Changes the schedule at run time; the next run is due one new interval from now (the next
   * grid point in cluster scope, the next cron time for cron). Throws a RangeError on a bad value.
   */
  setInterval(interval: IntervalSpec): void {
    const problems: OptionProblem[] = [];
    const parsed = checkNewInterval(interval, this.jitterMs, problems);
    if (problems.length > 0) {
      const value = JSON.stringify(interval) ?? String(interval);
      throw new RangeError(MESSAGES.setIntervalRefused(this.name, value, problems[0].message));
    }
    const schedule = this.scheduleOf(interval, parsed);
    if (this.startedAtMono !== undefined) this.retimedAtMono = Math.floor(this.clock.now());
    if (this.currentState === 'running' || this.currentState === 'paused') {
      this.reschedule(schedule, this.currentState === 'running');
    } else {
      this.timetable = schedule;
    }
    if (this.claims) this.claims.horizonMs = this.catchUpHorizon();
  }

  /**
   * Runs the handler once, now, and resolves with the run's outcome (`succeeded`, `failed`,
   * `cancelled` by shutdown, or `skipped`); never rejects. Respects `concurrency` (a busy
   * routine resolves `skipped`), works while paused, skips the cluster claim: a manual run is
   * this replica's decision.
   *
   * @example
   * const outcome = await janitor.trigger();
   * expect(outcome.status).toBe('succeeded');
   */
  trigger(options: TriggerOptions = {}): Promise<RunOutcome> {
    const now = this.clock.now();
    if (this.isStopping()) {
      return Promise.resolve({
        status: 'skipped',
        reason: 'stopped',
        dueAt: this.clock.wallOf(now),
      });
    }
    const due = this.timetable.onWallClock ? this.clock.wallOf(now) : now;
    return this.runNow(due, options.overlap ?? 'skip', false, now, options.started);
  }

  /**
   * Aborts the signal of every run in flight with a {@link RoutineCancelledError}: a run that
   * ends by that abort is `cancelled` (not `failed`), and the schedule goes on. Returns how
   * many runs were told; a handler that ignores its signal runs on to its end.
   *
   * @example
   * janitor.cancelRuns(); // 1: the run in flight was asked to stop
   */
  cancelRuns(): number {
    const runs = this.runsInFlight().filter((run) => !run.cancelled);
    for (const run of runs) run.cancel(new RoutineCancelledError(this.name));
    return runs.length;
  }

  /**
   * Runs the due times of a past range, oldest first, one after another, each with its own
   * `ctx.dueAt` (Temporal's backfill): for an interval routine `from`, `from + interval`, ...;
   * on a grid or cron, its times in the range. In cluster scope each due time is claimed as its
   * slot first, so replicas backfilling the same range run each once. Runs wait for the run in
   * flight (`overlap` 'buffer-one', the default), or as `overlap` says. `signal` stops it: the
   * backfill run in flight is aborted and the rest are not run. Resolves with what happened;
   * a range of more than 1000 due times (`MAX_BACKFILL`), a reversed or future one, is a
   * RangeError.
   *
   * @example
   * await routine.backfill({ from: Date.parse('2026-12-01'), to: Date.parse('2026-12-02') });
   */
  backfill(options: BackfillOptions): Promise<BackfillReport> {
    return backfill(this, options);
  }

  /** @internal Cluster scope: where backfill claims its due times. */
  get slotClaims(): SlotClaimsPort | undefined {
    return this.claims?.coordinator;
  }

  /**
   * The next `count` times (wall-clock ms) this routine is due, jitter aside: where an operator
   * checks a cron expression or a changed interval. Empty once stopping; from now on the
   * schedule while paused or not started. An interval function is read as it is now.
   *
   * @example
   * routine.nextRuns(3); // [1767225600000, 1767229200000, 1767232800000]
   */
  nextRuns(count: number): number[] {
    if (!Number.isInteger(count) || count < 0 || count > MAX_NEXT_RUNS) {
      throw new RangeError(MESSAGES.badNextRunsCount(this.name, count, MAX_NEXT_RUNS));
    }
    if (this.isStopping() || this.currentState === 'completed') return [];
    const left = this.bounds.runsLeft(count);
    const times = this.dueTimes(Math.max(0, left), (now) =>
      this.timetable.first(now, this.runOnStart, this.initialDelayMs),
    );
    const endAt = this.bounds.endAt;
    return endAt === undefined ? times : times.filter((time) => time <= endAt);
  }

  info(): RoutineInfo {
    return {
      name: this.name,
      kind: this.kind,
      description: this.description,
      scope: this.scope,
      state: this.currentState,
      schedule: this.schedule,
      intervalMs: this.timetable.intervalMs,
      concurrency: this.lastConcurrency,
      inFlight: this.inFlight,
      nextRunAt: this.nextTickAt(),
      lastRun: this.ledger.lastOutcome(this.clock),
      lastError: this.ledger.lastError,
      counters: this.ledger.counters(this.lastRunId),
      paused: this.pausedFor(),
      overlap: this.buffer?.status(),
      catchup: this.catchUp?.status(),
      cluster: this.claims
        ? {
            ...this.claims.status,
            claims: this.claims.status.claims && { ...this.claims.status.claims },
          }
        : undefined,
    };
  }

  /** Past `endAt`, or `maxRuns` reached: no more ticks; runs in flight go on. */
  protected complete(): void {
    if (this.currentState !== 'running' && this.currentState !== 'paused') return;
    this.currentState = 'completed';
    pauses.delete(this);
    this.cancelTicks();
    this.dropWaiting();
    this.emit('completed');
  }

  // --- State ---------------------------------------------------------------------------------

  private scheduleOf(
    interval: PeriodicRoutineOptions['interval'],
    parsed: ResolvedPeriodicOptions['interval'],
  ): Schedule {
    const { align, phaseMs } = this.bounds;
    return createSchedule(interval, parsed, this.scope === 'cluster' || align, this, phaseMs);
  }

  /** How long a cluster claim must outlive its slot for a replica catching up to find it. */
  private catchUpHorizon(): number {
    return catchUpHorizonMs(this.catchUp?.policy, this.timetable, this.clock.wallNow());
  }

  /** Since when, why and who, while paused. */
  private pausedFor(): PauseStatus | undefined {
    const pause = this.currentState === 'paused' ? pauses.get(this) : undefined;
    return pause && { ...pause };
  }
}

/** The note and who, without empty or absent fields. */
function pauseInfoOf(info: PauseInfo | undefined): PauseInfo {
  const kept: PauseInfo = {};
  if (info?.note) kept.note = info.note;
  if (info?.by) kept.by = info.by;
  return kept;
}

/** Pauses by routine: a paused routine is rare, so its note costs the others nothing (measured, P5). */
const pauses = new WeakMap<PeriodicRoutine, PauseStatus>();

/** Options of {@link PeriodicRoutine.trigger}. */
export interface TriggerOptions {
  /**
   * What the trigger does when a run is in flight. Default 'skip': it resolves `skipped`
   * (`busy`) and the routine's own policy does not apply. 'allow' runs now beside it;
   * 'buffer-one' / 'buffer-all' run it right after; 'cancel-other' aborts the run in flight
   * and runs once it settles. A buffered trigger resolves once its run has ended.
   */
  overlap?: OverlapPolicy;
  /**
   * Told the run's id (`ctx.runId`, the id its `RunRecord` in the history has) the moment the
   * run starts: at once, or once the run in flight ends for a buffered trigger; not called for
   * a trigger that is skipped. For a caller that answers before the run ends (an HTTP 202).
   */
  started?: (runId: number) => void;
}

/** A placeholder for the moment between `super()` and the real schedule. */
const NO_SCHEDULE = undefined as unknown as Schedule;
