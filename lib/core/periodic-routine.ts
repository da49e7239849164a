// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured
// choices", before moving a field or turning a bound method into an arrow function.
import { dueTimesBeforeStart, type CatchUpPlan, type CatchUpPolicy } from './catch-up';
import { systemClock } from './clock';
import type { HeldMarker } from './cluster-overlap';
import { MESSAGES } from './core.messages';
import { withDeadline } from './deadline';
import { formatDuration, type OptionProblem } from './duration';
import { PERIODIC_OPTION_NAMES, RUNTIME_OPTION_NAMES, unknownOptionProblems } from './option-names';
import { RoutineStoppedError, throwIfProblems } from './errors';
import { consoleRoutineLogger, describeError, reportError, type RoutineLogger } from './logger';
import {
  backoffDelay,
  checkNewInterval,
  DEFAULT_MAX_BUFFERED,
  resolvePeriodicOptions,
  type PeriodicRoutineOptions,
  type ResolvedBackoff,
  type ResolvedPeriodicOptions,
} from './periodic-options';
import {
  errorMessageOf,
  MAX_REINVOCATIONS,
  REINVOKE_IMMEDIATELY,
  toPeriodicHandler,
  type HandlerFunction,
  type PeriodicHandler,
} from './periodic-handler';
import { PeriodicRun } from './periodic-run';
import type { RunContext } from './run-context';
import type { TimerHandle } from './clock';
import {
  type ManagedRoutine,
  type OverlapPolicy,
  type PauseInfo,
  type PauseStatus,
  type RoutineEventListener,
  type RoutineEventType,
  type RoutineInfo,
  type RoutineScope,
  type RoutineState,
  type RunOutcome,
  type SkipReason,
} from './routine';
import { emitEvent, wantsEvents } from './routine-events';
import { PeriodicRunContext, type PreviousRun } from './run-context';
import { RunLedger, type EndStatus } from './run-ledger';
import { callAndReport } from './safe-call';
import { createSchedule, type CatchUp, type IntervalSpec, type Schedule } from './schedule';
import { SlotClaims } from './slot-claim';
import { Ticker } from './ticker';

export {
  resolvePeriodicOptions,
  validatePeriodicOptions,
  type BackoffOptions,
  type ResolvedPeriodicOptions,
  type PeriodicOptions,
  type PeriodicRoutineOptions,
} from './periodic-options';

/** Late ticks reported one event each after a stall; the rest are counted only. */
const MAX_LATE_EVENTS = 100;
/** `nextRuns(count)`: enough for any screen, bounded so a typo cannot loop for long. */
const MAX_NEXT_RUNS = 1000;

/**
 * A routine that runs a handler on a schedule: the seed's `PeriodicGoroutine`.
 *
 * Ticks fall on a fixed grid (start + n·interval; multiples of the interval since the epoch
 * in cluster scope; cron times), so late ticks never push later ones back; with an interval
 * function, the next tick is due that long after the run ends. A tick that finds the routine
 * at its concurrency is skipped and counted, never queued. Each run gets its own signal and
 * a {@link RunContext}. A failing run is logged, counted and passed to `handleError`, and the
 * schedule goes on.
 *
 * Where things happen: a tick is scheduled and fires in `Ticker` (ticker.ts), which calls
 * `tick` here; a run starts in `startRun` and ends in `runEnded` (the run itself, its signal
 * and timeout, is `PeriodicRun`); a cluster slot is claimed in `SlotClaims`; the times come
 * from a `Schedule`; counters and the last run are kept by `RunLedger`.
 *
 * @example
 * const janitor = new PeriodicRoutine(
 *   handlerWithErrorMessage('hard-delete uploads', (signal) => uploads.hardDelete(signal)),
 *   { name: 'hard-deleter', interval: '2m' },
 * );
 * await monitorBackgroundRoutines(undefined, janitor);
 */
export class PeriodicRoutine extends Ticker implements ManagedRoutine {
  // Fields a tick reads come first, bound methods rather than arrow functions (measured).
  private currentState: RoutineState = 'idle';
  private inFlight = 0;
  /** Cluster claims and hand-backs in flight: they hold a concurrency slot, but are not runs. */
  private pending = 0;
  /** @internal */
  readonly handler: PeriodicHandler;
  private readonly onEvent: RoutineEventListener | undefined;
  /** @internal Per run: the run's signal aborts once it has run this long. */
  readonly timeoutMs: number | undefined;
  private readonly concurrencyOption: number | (() => number);
  /** A run object ready for the next run: made with the routine, then the last one that ended (see `PeriodicRun`). */
  private spareRun: PeriodicRun | undefined = undefined;
  /** The run in flight, when there is one; any others (concurrency above 1) in `moreRuns`. */
  private soleRun: PeriodicRun | undefined = undefined;
  private moreRuns: Set<PeriodicRun> | undefined = undefined;
  private readonly ledger: RunLedger;
  private lastRunId = 0;
  private backoffUntil = 0;
  /** Set once stop() begins. */
  private shutdown: Shutdown | undefined = undefined;
  /** Made only for the policies that buffer or cancel: most routines skip. */
  /**
   * The overlap policy, with the ticks waiting for policies that buffer or cancel. One field
   * for all of it, shared by the routines that skip or allow (measured: bytes per routine, P5).
   */
  private policies: SchedulePolicies;

  readonly name: string;
  readonly description: string | undefined;
  readonly scope: RoutineScope;

  /** Given in the options, or made on first use (most routines never log). */
  private loggerOption: RoutineLogger | undefined;
  private readonly claims: SlotClaims | undefined;
  private lastConcurrency = 1;
  private readonly initialDelayMs: number | undefined;
  private readonly runOnStart: boolean;
  private readonly backoff: ResolvedBackoff | undefined;
  private startedAtMono: number | undefined = undefined;

  /**
   * Throws a {@link RoutinesConfigurationError} naming every bad option. (`checked` is the
   * Nest adapter's: the options it has already checked, so they are not parsed twice.)
   */
  constructor(
    handler: PeriodicHandler | HandlerFunction,
    options: PeriodicRoutineOptions = {},
    /** @internal */ checked?: ResolvedPeriodicOptions,
  ) {
    const periodicHandler = toPeriodicHandler(handler);
    const problems: OptionProblem[] = [];
    if (checked === undefined) {
      problems.push(
        ...unknownOptionProblems(options, [...PERIODIC_OPTION_NAMES, ...RUNTIME_OPTION_NAMES]),
      );
    }
    const resolved = checked ?? resolvePeriodicOptions(options, problems);
    if (typeof periodicHandler.handle !== 'function') {
      problems.push({ option: 'handler', value: handler, message: MESSAGES.periodicHandler });
    }
    const name =
      options.name ?? (typeof handler === 'function' && handler.name ? handler.name : 'periodic');
    throwIfProblems(problems, name, `PeriodicRoutine '${name}'`);
    // The schedule is set just below: an interval function reports through this routine's logger.
    super(
      options.clock ?? systemClock,
      NO_SCHEDULE,
      resolved.jitterMs,
      options.random ?? Math.random,
    );
    this.timetable = createSchedule(
      options.interval,
      resolved.interval,
      options.scope === 'cluster' || resolved.align,
      this,
      resolved.phaseMs,
    );
    this.handler = periodicHandler;
    this.name = name;
    this.description = options.description;
    this.scope = options.scope ?? 'instance';
    this.ledger = new RunLedger(options.recorder, (error) =>
      reportError(this.logger, MESSAGES.recorderFailed, error),
    );
    this.loggerOption = options.logger;
    this.onEvent = options.onEvent;
    this.concurrencyOption = options.concurrency ?? 1;
    if (typeof this.concurrencyOption === 'number') this.lastConcurrency = this.concurrencyOption;
    this.timeoutMs = resolved.timeoutMs;
    this.initialDelayMs = resolved.initialDelayMs;
    this.runOnStart = resolved.runOnStart;
    this.backoff = resolved.backoff;
    const bounded =
      resolved.startAt !== undefined ||
      resolved.endAt !== undefined ||
      resolved.maxRuns !== undefined ||
      resolved.phaseMs > 0 ||
      resolved.align ||
      resolved.catchup !== undefined;
    const buffers = resolved.overlap !== 'skip' && resolved.overlap !== 'allow';
    this.policies =
      !bounded && !buffers
        ? resolved.overlap === 'skip'
          ? SKIPS
          : ALLOWS
        : new SchedulePolicies(resolved.overlap, buffers, resolved.maxBuffered);
    if (bounded) {
      this.policies.startAt = resolved.startAt;
      this.policies.endAt = resolved.endAt;
      this.policies.maxRuns = resolved.maxRuns;
      this.policies.phaseMs = resolved.phaseMs;
      this.policies.align = resolved.align;
      this.policies.catchup = resolved.catchup;
    }
    if (this.scope === 'cluster') {
      this.claims = new SlotClaims(
        this,
        options.coordinator,
        this.catchUpHorizon(),
        resolved.marker,
      );
      if (
        options.coordinator &&
        !options.coordinator.runs &&
        resolved.overlap !== 'skip' &&
        resolved.overlap !== 'allow'
      ) {
        throwIfProblems(
          [
            {
              option: 'overlap',
              value: resolved.overlap,
              message: MESSAGES.noRunMarkers(options.coordinator.kind, resolved.overlap),
            },
          ],
          name,
          `PeriodicRoutine '${name}'`,
        );
      }
    }
    // Made now, next to the routine in memory, rather than at the first tick (measured).
    this.spareRun = new PeriodicRun(this);
  }

  /** `overlap`: what a tick that finds a run in flight does. */
  get overlap(): OverlapPolicy {
    return this.policies.policy;
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

  /** @internal */
  get logger(): RoutineLogger {
    return (this.loggerOption ??= consoleRoutineLogger(this.name));
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
    const { startAt, endAt } = this.policies;
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
    const catchup = this.policies.catchup;
    // A first run at start stands in for the due times before it; an instance interval has none.
    if (catchup && !this.runOnStart && notBefore === undefined && this.timetable.onWallClock) {
      this.catchUp(dueTimesBeforeStart(this.timetable, first, wallNow, catchup, startAt));
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
    if (this.wantsEvents()) {
      emitEvent(this.onEvent, this.logger, {
        type: 'paused',
        routine: this.name,
        at: pause.at,
        pause: { ...pause },
      });
    }
  }

  /** Resumes ticks at the next tick due; ticks that fell while paused are not counted as skipped. */
  resume(): void {
    if (this.currentState !== 'paused') return;
    pauses.delete(this);
    this.currentState = 'running';
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
    const { align, phaseMs } = this.policies;
    const schedule = createSchedule(
      interval,
      parsed,
      this.scope === 'cluster' || align,
      this,
      phaseMs,
    );
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
    if (this.currentState === 'stopping' || this.currentState === 'stopped') {
      return Promise.resolve({
        status: 'skipped',
        reason: 'stopped',
        dueAt: this.clock.wallOf(now),
      });
    }
    const due = this.timetable.onWallClock ? this.clock.wallOf(now) : now;
    return this.runNow(due, options.overlap ?? 'skip', false, now);
  }

  /** Runs once for `due`, now, as a trigger does; `backfill` marks the run as a backfill's. */
  private runNow(
    due: number,
    policy: OverlapPolicy,
    backfill: boolean,
    now = this.clock.now(),
  ): Promise<RunOutcome> {
    if (!this.hasRoom() && policy !== 'allow') {
      if (policy === 'skip') {
        return Promise.resolve({
          status: 'skipped',
          reason: 'busy',
          dueAt: this.wallOfDue(due),
          policy,
        });
      }
      // A buffered or replacing run resolves once it has ended (or been skipped).
      return new Promise((resolve) => {
        if (!this.wait(due, policy, resolve, backfill)) {
          resolve({ status: 'skipped', reason: 'busy', dueAt: this.wallOfDue(due), policy });
        }
      });
    }
    return new Promise((resolve) =>
      this.startRun(
        due,
        0,
        false,
        resolve,
        now,
        policy === 'allow' && !this.hasRoom() ? policy : undefined,
        backfill,
      ),
    );
  }

  /**
   * Runs the due times of a past range, oldest first, one after another, each with its own
   * `ctx.dueAt` (Temporal's backfill): for an interval routine `from`, `from + interval`, ...;
   * on a grid or cron, its times in the range. In cluster scope each due time is claimed as its
   * slot first, so replicas backfilling the same range run each once. Runs wait for the run in
   * flight (`overlap` 'buffer-one', the default), or as `overlap` says. `signal` stops it: the
   * backfill run in flight is aborted and the rest are not run. Resolves with what happened;
   * a range of more than {@link MAX_BACKFILL} due times, a reversed or future one, is a
   * RangeError.
   *
   * @example
   * await routine.backfill({ from: Date.parse('2026-12-01'), to: Date.parse('2026-12-02') });
   */
  async backfill(options: BackfillOptions): Promise<BackfillReport> {
    const dues = this.backfillDueTimes(options);
    const report: BackfillReport = {
      dueTimes: dues.length,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      skipped: 0,
      claimedElsewhere: 0,
      claimFailed: 0,
      outcomes: [],
    };
    const policy = options.overlap ?? 'buffer-one';
    const signal = options.signal;
    const abortBackfillRuns = () => {
      for (const run of this.runsInFlight()) if (run.backfill) run.cancel(signal!.reason);
    };
    signal?.addEventListener('abort', abortBackfillRuns, { once: true });
    try {
      for (const wall of dues) {
        if (
          signal?.aborted ||
          this.currentState === 'stopping' ||
          this.currentState === 'stopped'
        ) {
          report.cancelled++;
          continue;
        }
        const claim = this.claims ? await this.claimForBackfill(wall) : 'won';
        if (claim !== 'won') {
          if (claim === 'lost') report.claimedElsewhere++;
          else report.claimFailed++;
          continue;
        }
        const due = this.timetable.onWallClock
          ? wall
          : this.clock.now() - (this.clock.wallNow() - wall);
        const outcome = await this.runNow(due, policy, true);
        report.outcomes.push(outcome);
        if (outcome.status === 'succeeded') report.succeeded++;
        else if (outcome.status === 'failed') report.failed++;
        else if (outcome.status === 'cancelled') report.cancelled++;
        else report.skipped++;
      }
    } finally {
      signal?.removeEventListener('abort', abortBackfillRuns);
    }
    return report;
  }

  /** The range's due times as wall times, checked. */
  private backfillDueTimes(options: BackfillOptions): number[] {
    const fail = (message: string): never => {
      throw new RangeError(MESSAGES.backfillRefused(this.name, message));
    };
    const from = timeOf(options?.from);
    const to = timeOf(options?.to);
    if (from === undefined)
      fail(`from must be a Date or epoch milliseconds, not ${String(options?.from)}`);
    if (to === undefined)
      fail(`to must be a Date or epoch milliseconds, not ${String(options?.to)}`);
    if (to! < from!) fail('to is before from');
    if (to! > this.clock.wallNow()) fail('to is in the future: backfill runs past due times');
    const schedule = this.timetable;
    if (schedule.readsAfterRun) fail('an interval function has no due times to backfill');
    const dues: number[] = [];
    let due = schedule.onWallClock ? schedule.first(from! - 1, false, undefined) : from!;
    const step = schedule.intervalMs;
    for (; due <= to!; due = schedule.onWallClock ? schedule.following(due) : due + step!) {
      if (dues.length === MAX_BACKFILL) {
        fail(
          `the range holds more than ${MAX_BACKFILL} due times; backfill a shorter one at a time`,
        );
      }
      dues.push(due);
    }
    return dues;
  }

  /**
   * Cluster scope: claims a backfill due time as its slot, for a day (replicas backfilling
   * together). A backfill's claim is not refused for a time before the engine's memory.
   */
  private async claimForBackfill(wall: number): Promise<'won' | 'lost' | 'failed'> {
    const coordinator = this.claims!.coordinator;
    try {
      const won = await withDeadline(
        this.clock,
        BACKFILL_CLAIM_DEADLINE_MS,
        `backfill claim of slot ${new Date(wall).toISOString()}`,
        () =>
          coordinator.claimSlot(this.name, wall, BACKFILL_CLAIM_TTL_MS, undefined, {
            backfill: true,
          }),
      );
      return won ? 'won' : 'lost';
    } catch (error) {
      reportError(this.logger, MESSAGES.backfillClaimFailed(new Date(wall).toISOString()), error);
      return 'failed'; // fail closed: not run here (another replica may run it)
    }
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
    if (
      this.currentState === 'stopping' ||
      this.currentState === 'stopped' ||
      this.currentState === 'completed'
    )
      return [];
    const { endAt, maxRuns, scheduledRuns } = this.policies;
    const left = maxRuns === undefined ? count : Math.min(count, maxRuns - scheduledRuns);
    const times = this.dueTimes(Math.max(0, left), (now) =>
      this.timetable.first(now, this.runOnStart, this.initialDelayMs),
    );
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
      overlap: this.policies.shared
        ? undefined
        : {
            policy: this.policies.policy,
            waiting: this.policies.queue.length,
            buffered: this.policies.buffered,
            superseded: this.policies.superseded,
            overflowed: this.policies.overflowed,
          },
      catchup: this.policies.catchup && {
        windowMs: this.policies.catchup.windowMs,
        max: this.policies.catchup.max,
        waiting: this.policies.catchUpQueue?.length ?? 0,
        caughtUp: this.policies.caughtUp,
        missed: this.policies.missed,
      },
      cluster: this.claims
        ? {
            ...this.claims.status,
            claims: this.claims.status.claims && { ...this.claims.status.claims },
          }
        : undefined,
    };
  }

  // --- Ticks ---------------------------------------------------------------------------------

  /**
   * @internal Counts the late ticks a catch-up superseded. Events go out for the first few
   * only: a week asleep at 100 ms is six million ticks, counted at once rather than reported
   * one by one.
   */
  skipLate(due: number, step: number, caught: CatchUp): void {
    // A cron schedule reports the times catch-up already looked up: each lookup is costly.
    const times = caught.first;
    const reported = Math.min(caught.missed, times ? times.length : MAX_LATE_EVENTS);
    for (let i = 0; i < reported; i++) this.skip(times ? times[i] : due + i * step, 'late');
    this.ledger.skipped += caught.missed - reported;
  }

  /** @internal A tick is due: run it, claim its slot, or skip it. */
  tick(due: number, now: number, armsNextTick: boolean): void {
    const endAt = this.policies.endAt;
    if (endAt !== undefined && this.wallOfDue(due) > endAt) return this.complete();
    const onWallClock = this.timetable.onWallClock;
    if (this.backoffUntil > (onWallClock ? this.clock.now() : due)) {
      this.skip(due, 'backoff');
      return this.slotNotRun(armsNextTick);
    }
    // With run markers, overlap is decided across replicas, once per slot by its claimant.
    if (!this.hasRoom() && !(this.claims !== undefined && this.claims.overlap !== null)) {
      const waiting = this.policies;
      if (!waiting.buffers || !this.wait(due, waiting.policy, undefined)) {
        this.skip(due, 'busy', waiting.policy);
      }
      return this.slotNotRun(armsNextTick);
    }
    if (this.claims) return this.claims.claim(due, armsNextTick);
    // `now` is on the monotonic scale only for intervals; a cron run reads its own start.
    this.startRun(due, 0, armsNextTick, undefined, onWallClock ? undefined : now);
  }

  // --- Runs ----------------------------------------------------------------------------------

  private startRun(
    due: number,
    reinvocations: number,
    armsNextTick: boolean,
    done: ((outcome: RunOutcome) => void) | undefined,
    startedAt: number = this.clock.now(),
    policy?: OverlapPolicy,
    backfill = false,
    catchup = false,
  ): PeriodicRun {
    const run = this.spareRun ?? new PeriodicRun(this);
    this.spareRun = undefined;
    const id = ++this.lastRunId;
    run.id = id;
    run.due = due;
    run.startedAt = startedAt;
    run.reinvocations = reinvocations;
    run.armsNextTick = armsNextTick;
    run.done = done;
    run.mark(policy, backfill, catchup);
    if (this.soleRun === undefined) this.soleRun = run;
    else (this.moreRuns ??= new Set()).add(run);
    this.inFlight++;
    if (this.wantsEvents()) {
      const started: RunOutcome = {
        runId: id,
        status: 'running',
        dueAt: this.wallOfDue(due),
        startedAt: this.clock.wallOf(startedAt),
      };
      if (policy !== undefined) started.policy = policy;
      if (backfill) started.backfill = true;
      if (catchup) started.catchup = true;
      this.emit('run-started', started);
    }
    run.start(this.contextOf(run));
    if (this.shutdown !== undefined) run.abort(this.shutdown.reason);
    const maxRuns = this.policies.maxRuns;
    // A scheduled run counts towards maxRuns; a trigger and a reinvocation do not.
    if (maxRuns !== undefined && done === undefined && reinvocations === 0) {
      if (++this.policies.scheduledRuns >= maxRuns) this.complete();
    }
    return run;
  }

  /** Past `endAt`, or `maxRuns` reached: no more ticks; runs in flight go on. */
  private complete(): void {
    if (this.currentState !== 'running' && this.currentState !== 'paused') return;
    this.currentState = 'completed';
    pauses.delete(this);
    this.cancelTicks();
    this.dropWaiting();
    this.emit('completed');
  }

  private contextOf(run: PeriodicRun): RunContext {
    const claims = this.claims;
    if (claims === undefined) {
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
    const source = claims.starting ?? this;
    return new PeriodicRunContext(this.name, run.id, run.dueAt, run.reinvocations, run.due, source);
  }

  /** @internal `ctx.previous`: the last run that ended. */
  previousRun(): PreviousRun | undefined {
    return this.ledger.previous(this.clock);
  }

  /**
   * What a handler returned, as a JSON copy for `ctx.previous`, or undefined (with a warning,
   * once per routine) when it is not JSON or larger than {@link MAX_PREVIOUS_BYTES}.
   */
  private keepable(value: unknown): unknown {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      this.warnOnce(MESSAGES.previousNotJson(describeError(error).message));
      return undefined;
    }
    if (text === undefined) return undefined;
    if (Buffer.byteLength(text) > MAX_PREVIOUS_BYTES) {
      this.warnOnce(MESSAGES.previousTooLarge(Buffer.byteLength(text), MAX_PREVIOUS_BYTES));
      return undefined;
    }
    return JSON.parse(text) as unknown;
  }

  private warnOnce(message: string): void {
    if (warnedAboutValues.has(this)) return;
    warnedAboutValues.add(this);
    this.logger.warn(message);
  }

  /** @internal Called by a run once its handler has ended. */
  runEnded(run: PeriodicRun, failed: boolean, valueOrError: unknown): void {
    this.inFlight--;
    if (this.soleRun === run) this.soleRun = undefined;
    else this.moreRuns?.delete(run);
    const finishedAt = this.clock.now();
    const status: EndStatus = !failed
      ? 'succeeded'
      : (this.shutdown !== undefined || run.cancelled) && run.endedByAbort(valueOrError)
        ? 'cancelled' // shutdown or a newer tick cancelled the run: not the handler failing
        : 'failed';
    const value =
      status === 'succeeded' && valueOrError !== undefined && valueOrError !== REINVOKE_IMMEDIATELY
        ? this.keepable(valueOrError)
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
    this.recycle(run);
    const held = this.claims === undefined ? undefined : this.markerOf(run);
    if (!failed && valueOrError === REINVOKE_IMMEDIATELY && this.shutdown === undefined) {
      if (run.reinvocations + 1 < MAX_REINVOCATIONS) {
        if (held !== undefined) this.claims!.starting = held; // the marker goes on to the next
        const next = this.startRun(run.due, run.reinvocations + 1, run.armsNextTick, undefined);
        if (held !== undefined) {
          this.claims!.starting = undefined;
          if (!held.ended) this.holdMarker(next, held);
        }
        return;
      }
      this.logger.warn(MESSAGES.tooManyReinvocations(MAX_REINVOCATIONS));
    }
    if (held !== undefined) this.claims!.overlap?.ended(held, this.ledger.previous(this.clock));
    if (run.armsNextTick) this.armAfterRun();
    const policies = this.policies;
    if (policies.catchup !== undefined) this.catchUpAfterRun(run);
    if (policies.queue.length > 0) this.startWaiting(false);
    this.notifyIfIdle();
  }

  /** Cluster scope: the marker a run holds; a run that ends as it starts finds it in `starting`. */
  private markerOf(run: PeriodicRun): HeldMarker | undefined {
    const claims = this.claims!;
    const held = claims.detach(run);
    if (held !== undefined) return held;
    const starting = claims.starting;
    if (starting !== undefined) claims.starting = undefined;
    return starting;
  }

  // --- Catch-up ------------------------------------------------------------------------------

  /** A run ended: the next late due time, or a tick that waited in the overlap buffer since before them. */
  private catchUpAfterRun(run: PeriodicRun): void {
    const policies = this.policies;
    if (run.catchup) policies.catchingUp = false;
    const late = policies.catchUpQueue;
    if (late?.length && !(policies.queue.length > 0 && policies.queue[0].due < late[0])) {
      this.nextCatchUp();
    }
  }

  /** @internal */
  catchUpPolicy(): CatchUpPolicy | undefined {
    return this.policies.catchup;
  }

  /**
   * @internal A stall or a pause left due times late: the plan's run in order (one at a time,
   * after the run in flight where the overlap policy waits; skipped `busy` where it skips), the
   * older ones are counted `missed`.
   */
  lateDueTimes(from: number, step: number, plan: CatchUpPlan): void {
    this.skipMissed(from, step, plan);
    if (plan.runs.length === 0) return;
    const policies = this.policies;
    if (!policies.catchingUp && !this.hasRoom() && !policies.buffers) {
      for (const due of plan.runs) this.skip(due, 'busy', policies.policy);
      return;
    }
    this.catchUp(plan.runs);
  }

  /** Queues late due times (oldest first) and starts the first unless one is under way. */
  private catchUp(dues: number[]): void {
    if (dues.length === 0) return;
    const queue = (this.policies.catchUpQueue ??= []);
    for (const due of dues) queue.push(due);
    this.nextCatchUp();
  }

  /** Runs (cluster: claims) the oldest late due time, once the one before has ended. */
  private nextCatchUp(): void {
    const policies = this.policies;
    const queue = policies.catchUpQueue;
    while (queue !== undefined && queue.length > 0 && !policies.catchingUp) {
      if (this.shutdown !== undefined || !this.isLive() || !this.hasRoom()) return;
      const due = queue.shift()!;
      const endAt = policies.endAt;
      if (endAt !== undefined && this.wallOfDue(due) > endAt) return this.complete();
      if (this.backoffUntil > (this.timetable.onWallClock ? this.clock.now() : due)) {
        this.skip(due, 'backoff');
        continue;
      }
      policies.catchingUp = true;
      policies.caughtUp++;
      if (this.claims) return this.claims.claimLate(due);
      this.startRun(due, 0, false, undefined, this.clock.now(), undefined, false, true);
      return;
    }
  }

  /** Counts the missed due times; events for the first few only (a week asleep is many). */
  private skipMissed(from: number, step: number, plan: CatchUpPlan): void {
    if (plan.missed === 0) return;
    this.policies.missed += plan.missed;
    const times = plan.missedTimes;
    const reported = Math.min(plan.missed, times ? times.length : MAX_LATE_EVENTS);
    for (let i = 0; i < reported; i++) this.skip(times ? times[i] : from + i * step, 'missed');
    this.ledger.skipped += plan.missed - reported;
  }

  /** How long a cluster claim must outlive its slot for a replica catching up to find it (0: no catch-up). */
  private catchUpHorizon(): number {
    const catchup = this.policies.catchup;
    if (catchup === undefined) return 0;
    const gap = this.timetable.intervalMs ?? this.widestCronGap(catchup.max + 1);
    return Math.min(catchup.windowMs, (catchup.max + 1) * gap);
  }

  /** Cron: the widest gap between the next `count` times (at most 50 looked up). */
  private widestCronGap(count: number): number {
    let widest = 0;
    let due = this.timetable.fromNow(this.clock.wallNow());
    for (let i = 0; i < Math.min(count, 50); i++) {
      const next = this.timetable.following(due);
      widest = Math.max(widest, next - due);
      due = next;
    }
    return widest;
  }

  // --- Overlap (buffer-one, buffer-all, cancel-other) ----------------------------------------

  /**
   * A tick (or a trigger, with `done`) found a run in flight: queue it under `policy`, or say
   * it cannot be (the caller skips it). `cancel-other` aborts the run in flight and keeps only
   * the newest waiting tick; the older one is skipped.
   */
  private wait(
    due: number,
    policy: OverlapPolicy,
    done: RunDone | undefined,
    backfill = false,
  ): boolean {
    const waiting = this.policies.shared ? this.ownBuffer() : this.policies;
    if (policy === 'cancel-other') {
      const replaced = waiting.queue.pop();
      if (replaced) this.skipWaiting(replaced, 'busy', policy);
      waiting.queue.push({ due, done, policy, backfill });
      for (const run of this.runsInFlight()) {
        if (run.superseded) continue;
        waiting.superseded++;
        run.supersede(); // aborts its signal with a RoutineSupersededError
      }
      // A run that ignores its signal holds the new one back until the timeout at most.
      if (this.timeoutMs !== undefined && waiting.force === undefined) {
        waiting.force = this.clock.setTimer(this.clock.now() + this.timeoutMs, () => {
          waiting.force = undefined;
          this.startWaiting(true);
        });
      }
      return true;
    }
    const capacity = policy === 'buffer-one' ? 1 : waiting.capacity;
    if (waiting.queue.length >= capacity) {
      waiting.overflowed++;
      return false;
    }
    waiting.queue.push({ due, done, policy, backfill });
    return true;
  }

  /** A trigger's override on a routine that skips or allows: a buffer of its own, made now. */
  private ownBuffer(): SchedulePolicies {
    const buffer = new SchedulePolicies(this.policies.policy, false, DEFAULT_MAX_BUFFERED);
    this.policies = buffer;
    return buffer;
  }

  /** Since when, why and who, while paused. */
  private pausedFor(): PauseStatus | undefined {
    const pause = this.currentState === 'paused' ? pauses.get(this) : undefined;
    return pause && { ...pause };
  }

  /** Starts the oldest waiting tick, right after a run ended (or, `force`, past the timeout). */
  private startWaiting(force: boolean): void {
    const waiting = this.policies;
    if (this.shutdown !== undefined || (!force && !this.hasRoom())) return;
    const next = waiting.queue.shift();
    if (next === undefined) return;
    if (waiting.queue.length === 0 && waiting.force !== undefined) {
      this.clock.clearTimer(waiting.force);
      waiting.force = undefined;
    }
    waiting.buffered++;
    this.startRun(next.due, 0, false, next.done, this.clock.now(), next.policy, next.backfill);
  }

  /** On stop: every waiting tick is skipped as `stopped`. */
  private dropWaiting(): void {
    const waiting = this.policies;
    if (waiting.shared) return;
    for (const due of waiting.catchUpQueue?.splice(0) ?? []) this.skip(due, 'stopped');
    if (waiting.force !== undefined) this.clock.clearTimer(waiting.force);
    waiting.force = undefined;
    for (const entry of waiting.queue.splice(0)) this.skipWaiting(entry, 'stopped', entry.policy);
  }

  private skipWaiting(entry: WaitingTick, reason: SkipReason, policy: OverlapPolicy): void {
    this.skip(entry.due, reason, policy);
    entry.done?.({ status: 'skipped', reason, dueAt: this.wallOfDue(entry.due), policy });
  }

  /** @internal */
  runTimedOut(timeoutMs: number): void {
    this.logger.warn(MESSAGES.runTimedOut(formatDuration(timeoutMs)));
  }

  /** Keeps a finished run for the next one; its fields are all set again by `startRun`. */
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

  private async finalize(): Promise<void> {
    const handler = this.handler;
    if (typeof handler.onShutdown !== 'function') return;
    await callAndReport(() => handler.onShutdown!(), this.logger, MESSAGES.onShutdownFailed);
  }

  // --- Cluster slots (SlotClaimHost) ---------------------------------------------------------

  /** @internal */
  isLive(): boolean {
    return this.currentState === 'running' || this.currentState === 'paused';
  }

  /** @internal */
  isRunning(): boolean {
    return this.currentState === 'running';
  }

  /** @internal */
  canRunMore(): boolean {
    return this.currentState === 'running' && this.hasRoom();
  }

  /** @internal */
  hold(): void {
    this.pending++;
  }

  /** @internal */
  release(): void {
    this.pending--;
    // A catch-up claim's run ended while the claim still held its place: the next goes now.
    if (this.policies.catchUpQueue?.length) this.nextCatchUp();
    this.notifyIfIdle();
  }

  /** @internal */
  runSlot(due: number, armsNextTick: boolean, catchingUp = false): void {
    this.startRun(due, 0, armsNextTick, undefined, this.clock.now(), undefined, false, catchingUp);
  }

  /** @internal A won slot the cluster has room for: runs it holding its marker. */
  runMarked(
    due: number,
    armsNextTick: boolean,
    catchingUp: boolean,
    waited: boolean,
    held: HeldMarker,
  ): void {
    const claims = this.claims!;
    claims.starting = held;
    const policy = waited ? this.policies.policy : undefined;
    const run = this.startRun(
      due,
      0,
      armsNextTick,
      undefined,
      this.clock.now(),
      policy,
      false,
      catchingUp,
    );
    claims.starting = undefined;
    // A run that ended as it started has ended its marker already (see `runEnded`).
    if (!held.ended) this.holdMarker(run, held);
  }

  /** A marked run in flight: its marker is found at its end, and aborts or supersedes it. */
  private holdMarker(run: PeriodicRun, held: HeldMarker): void {
    this.claims!.attach(run, held);
    held.abort = (reason) => run.abort(reason);
    held.supersede = () => {
      if (!run.superseded && !this.policies.shared) this.policies.superseded++;
      run.supersede();
    };
  }

  /** @internal `allow` in cluster scope: runs at once across replicas. */
  clusterLimit(): number {
    return this.concurrency();
  }

  /** @internal `buffer-all`: slots that may wait across replicas. */
  get maxBuffered(): number {
    return this.policies.capacity;
  }

  /** @internal */
  slotNotRun(armsNextTick: boolean, catchingUp = false): void {
    if (armsNextTick) this.armAfterRun();
    if (catchingUp) {
      this.policies.catchingUp = false;
      this.nextCatchUp();
    }
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

  // --- State ---------------------------------------------------------------------------------

  private hasRoom(): boolean {
    return this.inFlight + this.pending < this.concurrency();
  }

  private concurrency(): number {
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

  /** The runs in flight, for shutdown to abort. */
  private runsInFlight(): PeriodicRun[] {
    const runs = this.moreRuns ? [...this.moreRuns] : [];
    if (this.soleRun !== undefined) runs.push(this.soleRun);
    return runs;
  }

  private waitIdle(shutdown: Shutdown): Promise<void> {
    if (this.inFlight + this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => (shutdown.onIdle = resolve));
  }

  private notifyIfIdle(): void {
    const onIdle = this.shutdown?.onIdle;
    if (onIdle === undefined || this.inFlight + this.pending !== 0) return;
    this.shutdown!.onIdle = undefined;
    onIdle();
  }

  private wantsEvents(): boolean {
    return wantsEvents(this.onEvent);
  }

  private emit(type: RoutineEventType, outcome?: RunOutcome): void {
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
}

/** The note and who, without empty or absent fields. */
function pauseInfoOf(info: PauseInfo | undefined): PauseInfo {
  const kept: PauseInfo = {};
  if (info?.note) kept.note = info.note;
  if (info?.by) kept.by = info.by;
  return kept;
}

/** What `trigger()` resolves with. */
type RunDone = (outcome: RunOutcome) => void;

/** A tick waiting for the run in flight, and the trigger waiting on it, if any. */
interface WaitingTick {
  due: number;
  done: RunDone | undefined;
  policy: OverlapPolicy;
  backfill: boolean;
}

/** A routine's overlap policy, and for one that buffers or cancels, the ticks waiting and its counts. */
class SchedulePolicies {
  readonly queue: WaitingTick[] = [];
  buffered = 0;
  superseded = 0;
  overflowed = 0;
  /** `cancel-other`: starts the waiting tick once the timeout has passed, settled or not. */
  force: TimerHandle | undefined = undefined;
  /** Bounds (wall-clock ms), and the scheduled runs counted towards `maxRuns`. */
  startAt: number | undefined = undefined;
  endAt: number | undefined = undefined;
  maxRuns: number | undefined = undefined;
  scheduledRuns = 0;
  /** `phase` and `align`: kept for `setInterval`, which builds the schedule again. */
  phaseMs = 0;
  align = false;
  /** `catchup`: the policy, the late due times waiting (oldest first), and its counts. */
  catchup: CatchUpPolicy | undefined = undefined;
  catchUpQueue: number[] | undefined = undefined;
  /** A catch-up claim or run is under way: the next waits for it, so they run in order. */
  catchingUp = false;
  caughtUp = 0;
  missed = 0;
  constructor(
    readonly policy: OverlapPolicy,
    /** Whether the policy itself buffers or cancels (not only a trigger's override). */
    readonly buffers: boolean,
    /** `buffer-all`: most ticks waiting. */
    readonly capacity: number,
    /** One object for every routine that skips (or allows): never written to. */
    readonly shared = false,
  ) {}
}

const SKIPS = new SchedulePolicies('skip', false, 0, true);
const ALLOWS = new SchedulePolicies('allow', false, 0, true);

/** What `ctx.previous` keeps of a handler's returned value, at most. */
export const MAX_PREVIOUS_BYTES = 8192;
/** Routines told once that their handler's value was not kept: touched only then. */
const warnedAboutValues = new WeakSet<PeriodicRoutine>();

/** Pauses by routine: a paused routine is rare, so its note costs the others nothing (measured, P5). */
const pauses = new WeakMap<PeriodicRoutine, PauseStatus>();

/** Most due times one `backfill()` runs: a longer range is refused, to be split. */
export const MAX_BACKFILL = 1000;
/** A backfill's claim of a past slot is kept this long, so replicas backfilling together agree. */
const BACKFILL_CLAIM_TTL_MS = 24 * 3600_000;
const BACKFILL_CLAIM_DEADLINE_MS = 5000;

/** Options of {@link PeriodicRoutine.backfill}. */
export interface BackfillOptions {
  /** The range's start and end (wall clock), both included: a Date or epoch milliseconds. */
  from: Date | number;
  to: Date | number;
  /** What a backfill run does while another is in flight. Default: 'buffer-one' (waits for it). */
  overlap?: OverlapPolicy;
  /** Stops the backfill: its run in flight is aborted and the rest are not run. */
  signal?: AbortSignal;
}

/** What {@link PeriodicRoutine.backfill} did. */
export interface BackfillReport {
  /** Due times in the range. */
  dueTimes: number;
  succeeded: number;
  failed: number;
  /** Not run, or aborted, because the signal aborted or the routine stopped. */
  cancelled: number;
  /** Skipped by the overlap policy. */
  skipped: number;
  /** Cluster scope: due times another replica claimed (and ran). */
  claimedElsewhere: number;
  /**
   * Cluster scope: due times not run because their claim failed (the engine unreachable or
   * past the call's deadline; logged): not run here, and maybe not anywhere. Backfill again.
   */
  claimFailed: number;
  /** The outcome of each run, oldest due time first. */
  outcomes: RunOutcome[];
}

function timeOf(value: unknown): number | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

/** Options of {@link PeriodicRoutine.trigger}. */
export interface TriggerOptions {
  /**
   * What the trigger does when a run is in flight. Default 'skip': it resolves `skipped`
   * (`busy`) and the routine's own policy does not apply. 'allow' runs now beside it;
   * 'buffer-one' / 'buffer-all' run it right after; 'cancel-other' aborts the run in flight
   * and runs once it settles. A buffered trigger resolves once its run has ended.
   */
  overlap?: OverlapPolicy;
}

/** What stop() sets up: the reason runs' signals abort with, and its promise. */
interface Shutdown {
  reason: RoutineStoppedError;
  done: Promise<void>;
  /** Resolves `waitIdle` once nothing is in flight. */
  onIdle: (() => void) | undefined;
}

/** A placeholder for the moment between `super()` and the real schedule. */
const NO_SCHEDULE = undefined as unknown as Schedule;

const OUTCOME_EVENTS: Record<EndStatus, RoutineEventType> = {
  succeeded: 'run-succeeded',
  failed: 'run-failed',
  cancelled: 'run-cancelled',
};
