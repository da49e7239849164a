import type { CronTime } from 'cron';
import { systemClock, type Clock, type TimerHandle } from './clock';
import type { Coordinator } from './coordinator';
import {
  checkDuration,
  formatDuration,
  MAX_TIMER_MS,
  toMilliseconds,
  type Duration,
  type OptionProblem,
} from './duration';
import { isAbortError, RoutineStoppedError, RoutineTimeoutError, throwIfProblems } from './errors';
import { isThenable } from './thenable';
import { reportCoordinatorFailure, reportCoordinatorSuccess } from './coordinator-outage';
import { withDeadline } from './deadline';
import { InMemoryCoordinator } from './in-memory-coordinator';
import { consoleRoutineLogger, describeError, reportError, type RoutineLogger } from './logger';
import {
  errorMessageOf,
  MAX_REINVOCATIONS,
  REINVOKE_IMMEDIATELY,
  toPeriodicHandler,
  type HandlerFunction,
  type PeriodicHandler,
} from './periodic-handler';
import {
  type ClusterStatus,
  type ManagedRoutine,
  type RoutineEventListener,
  type RoutineEventType,
  type RoutineInfo,
  type RoutineScope,
  type RoutineState,
  type RunOutcome,
  type RunStatus,
  type SkipReason,
} from './routine';
import {
  checkInterval,
  describeSchedule,
  isCronSpec,
  nextCronTime,
  cronCatchUp,
  previousCronTime,
  type CronSpec,
  type IntervalSpec,
} from './schedule';

/** Backoff after consecutive failures: ticks are skipped until the delay has passed. */
export interface BackoffOptions {
  /** Delay after the first failure. Default: the interval (one minute for cron). */
  initialDelay?: Duration;
  /** Longest delay. Default: one hour. */
  maxDelay?: Duration;
  /** Growth per further failure. Default: 2. */
  factor?: number;
}

/** What a periodic routine is and how it runs; shared by `@Periodic` and `PeriodicRoutine`. */
export interface PeriodicOptions {
  /** Unique per app. Default: `ClassName` or `ClassName.method`. */
  name?: string;
  description?: string;
  /**
   * How often: a duration ('2m', '90s', 5000), a cron spec (`{ cron: '0 3 * * *' }`), or a
   * function returning a duration, read again after every tick. Default: 1 s, as in the seed.
   */
  interval?: IntervalSpec | (() => Duration);
  /** Wait before the first run. */
  initialDelay?: Duration;
  /** Run as soon as the routine starts. Default: true for intervals, false for cron. */
  runOnStart?: boolean;
  /** Delay each run by a random amount below this, to spread load; the schedule does not drift. */
  jitter?: Duration;
  /** Runs allowed at once; a tick that finds this many in flight is skipped. Default: 1. */
  concurrency?: number | (() => number);
  /** Per run: the run's signal aborts once it has run this long. */
  timeout?: Duration;
  /** Skip ticks for a growing delay after consecutive failures. Default: off. */
  backoff?: BackoffOptions | boolean;
  /** 'cluster': one run per tick across replicas, through the coordinator. Default: 'instance'. */
  scope?: RoutineScope;
  /** Cluster scope: what to do at start about a slot no replica ran. Default: 'skip'. */
  missed?: 'skip' | 'once';
}

/** Runtime collaborators; all optional. */
export interface PeriodicRoutineOptions extends PeriodicOptions {
  clock?: Clock;
  logger?: RoutineLogger;
  coordinator?: Coordinator;
  onEvent?: RoutineEventListener;
  /** Random numbers in [0, 1) for jitter. */
  random?: () => number;
}

interface ResolvedBackoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}

const DEFAULT_INTERVAL_MS = 1000;
const MIN_CLAIM_TTL_MS = 5 * 60_000;
/** A slot must start within this fraction of the gap to the next slot, or not at all. */
const CLAIM_WINDOW_FRACTION = 0.5;
const MAX_CLAIM_WINDOW_MS = 10_000;
/** How early on the wall clock a wall-time tick may fire and still run. */
const WALL_TOLERANCE_MS = 2;
/** Late ticks reported one event each after a stall; the rest are counted only. */
const MAX_LATE_EVENTS = 100;
const SCOPES: readonly RoutineScope[] = ['instance', 'cluster'];

/**
 * A routine that runs a handler on a schedule: the seed's `PeriodicGoroutine`.
 *
 * Ticks fall on a fixed grid (start + n·interval; multiples of the interval since the epoch
 * in cluster scope), so late ticks never push later ones back. A tick that finds the
 * routine at its concurrency is skipped and counted, never queued. A failing run is
 * logged, counted and passed to `handleError`, and the schedule goes on.
 *
 * @example
 * const janitor = new PeriodicRoutine(
 *   handlerWithErrorMessage('hard-delete uploads', (signal) => uploads.hardDelete(signal)),
 *   { name: 'hard-deleter', interval: '2m' },
 * );
 * await monitorBackgroundRoutines(undefined, janitor);
 */
export class PeriodicRoutine implements ManagedRoutine {
  // Fields are declared in the order V8 lays them out in the object: the ones a tick reads or
  // writes come first, so that a tick touches few cache lines. With thousands of routines
  // that is most of a tick's cost (P1 in bench/).
  private currentState: RoutineState = 'idle';
  private inFlight = 0;
  /** Cluster claims and hand-backs in flight: they hold a concurrency slot, but are not runs. */
  private pending = 0;
  /**
   * Whether due times are wall-clock times (cluster grid, cron: what replicas and people
   * agree on) rather than monotonic ones (an instance interval, which a clock step must not
   * move). See `scheduleNow`.
   */
  private wallTime = false;
  private timer: TimerHandle | undefined;
  /** The last timer, once fired or cleared: handed back to the clock to recycle. */
  private spentTimer: TimerHandle | undefined;
  private readonly clock: Clock;
  private readonly handler: PeriodicHandler;
  private readonly onEvent: RoutineEventListener | undefined;
  private intervalMs: number | undefined;
  private intervalFn: (() => Duration) | undefined;
  private cron: CronTime | undefined;
  readonly scope: RoutineScope;
  private readonly jitterMs: number;
  private readonly concurrencyOption: number | (() => number);
  private readonly timeoutMs: number | undefined;
  /** Aborts on stop; made at the first run (or at stop), see `runSignal()`. */
  private signal: AbortSignal | undefined;
  private backoffUntil = 0;
  private consecutiveFailures = 0;
  // The one run in flight whose handler returned a native promise (see `run`), kept as
  // fields so that run needs no closures.
  private pendingActive = false;
  private pendingReinvocations = 0;
  // Counters, as fields rather than an object of their own: `info()` copies them anyway.
  private runs = 0;
  private succeeded = 0;
  private failures = 0;
  private cancelled = 0;
  private skipped = 0;
  // The last finished run, kept as fields (not a RunOutcome) so a run allocates nothing
  // that outlives it; `lastRunOutcome()` builds the object when asked.
  private lastStatus: RunStatus | undefined;
  private lastRunError: unknown;
  private stopping: Promise<void> | undefined;
  private idleWaiters: Array<() => void> | undefined;
  /** NaN until first scheduled (a number from the start, so ticks update it in place). */
  private nextDue = NaN;
  private pendingDue = NaN;
  private pendingStartedAt = NaN;
  private lastDueAt = NaN;
  private lastStartedAt = NaN;
  private lastFinishedAt = NaN;

  // Bound methods rather than arrow functions: calling one reaches the routine without going
  // through a closure's context, one cache miss less per tick.
  private readonly onTimer: () => void = this.handleTimer.bind(this);
  private readonly onPendingFulfilled: (value: unknown) => void =
    this.endPendingFulfilled.bind(this);
  private readonly onPendingRejected: (error: unknown) => void = this.endPendingRejected.bind(this);

  readonly kind = 'periodic' as const;
  readonly name: string;
  readonly description: string | undefined;

  /** Given in the options, or made on first use (most routines never log): see `logger`. */
  private loggerOption: RoutineLogger | undefined;
  /** Given in the options, or made on first use (only cluster scope claims): see `coordinator`. */
  private coordinatorOption: Coordinator | undefined;
  private readonly random: () => number;

  private cronSpec: CronSpec | undefined;
  private lastConcurrency = 1;
  private lastIntervalMs = DEFAULT_INTERVAL_MS;
  private readonly initialDelayMs: number | undefined;
  private readonly runOnStart: boolean;
  private readonly backoff: ResolvedBackoff | undefined;
  private readonly missed: 'skip' | 'once';

  private abort: AbortController | undefined;
  /** Per-run controllers of runs with a `timeout`; made for the first such run. */
  private runControllers: Set<AbortController> | undefined;
  private lastError: { at: number; message: string } | undefined;
  private started = false;
  private cluster: ClusterStatus | undefined;
  /** Claims a loser will look at again (see `recheckLater`). */
  private recheckTimers: Set<TimerHandle> | undefined;

  constructor(handler: PeriodicHandler | HandlerFunction, options: PeriodicRoutineOptions = {}) {
    this.handler = toPeriodicHandler(handler);
    const problems: OptionProblem[] = [];
    const resolved = resolvePeriodicOptions(options, problems);
    if (typeof this.handler.handle !== 'function') {
      problems.push({
        option: 'handler',
        value: handler,
        message: 'must be a function or an object with a handle(signal) method',
      });
    }
    this.name =
      options.name ?? (typeof handler === 'function' && handler.name ? handler.name : 'periodic');
    throwIfProblems(problems, this.name, `PeriodicRoutine '${this.name}'`);
    this.description = options.description;
    this.scope = options.scope ?? 'instance';
    this.clock = options.clock ?? systemClock;
    this.loggerOption = options.logger;
    this.coordinatorOption = options.coordinator;
    this.random = options.random ?? Math.random;
    this.onEvent = options.onEvent;
    this.intervalMs = resolved.intervalMs;
    this.intervalFn = resolved.intervalFn;
    this.cron = resolved.cron;
    this.cronSpec = isCronSpec(options.interval) ? options.interval : undefined;
    this.concurrencyOption = options.concurrency ?? 1;
    if (typeof this.concurrencyOption === 'number') this.lastConcurrency = this.concurrencyOption;
    this.timeoutMs = resolved.timeoutMs;
    this.jitterMs = resolved.jitterMs ?? 0;
    this.initialDelayMs = resolved.initialDelayMs;
    // In cluster scope a replica's start is no reason to run: the grid and `missed` decide.
    this.runOnStart = options.runOnStart ?? (this.cron === undefined && this.scope !== 'cluster');
    this.backoff = resolveBackoff(
      options.backoff,
      this.intervalMs ?? (this.cron ? 60_000 : DEFAULT_INTERVAL_MS),
    );
    this.missed = options.missed ?? 'skip';
    if (this.scope === 'cluster') this.cluster = { role: 'unknown' };
    this.wallTime = this.dueOnWallClock();
  }

  get state(): RoutineState {
    return this.currentState;
  }

  /**
   * Starts ticking. `anchor` is the time the grid starts from (default now): routines started
   * together with the same anchor and interval tick together and share one timer.
   */
  start(anchor?: number): void {
    if (this.currentState !== 'idle') return;
    this.started = true;
    this.currentState = 'running';
    this.emit('started');
    // The anchor is a monotonic time: only instance intervals share it.
    const start = this.wallTime ? this.clock.wallNow() : (anchor ?? this.clock.now());
    this.scheduleAt(this.firstDue(start));
    if (this.scope === 'cluster' && this.missed === 'once' && !this.runOnStart) {
      this.claimMissedSlot(start);
    }
  }

  /**
   * Stops ticking, aborts the signal of every run in flight, waits for them to settle, then
   * calls the handler's `onShutdown` once. Safe to call more than once.
   */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const wasStarted = this.started;
    this.currentState = 'stopping';
    this.cancelTimer();
    if (this.recheckTimers) for (const timer of this.recheckTimers) this.clock.clearTimer(timer);
    this.recheckTimers = undefined;
    const reason = new RoutineStoppedError(this.name);
    this.runSignal(); // a run that starts after this point still gets an aborted signal
    this.abort!.abort(reason);
    if (this.runControllers) for (const controller of this.runControllers) controller.abort(reason);
    this.stopping = this.waitIdle()
      .then(() => (wasStarted ? this.finalize() : undefined))
      .then(() => {
        this.currentState = 'stopped';
        this.emit('stopped');
      });
    return this.stopping;
  }

  /** Suspends ticks; runs in flight go on. `trigger()` still works while paused. */
  pause(): void {
    if (this.currentState !== 'running') return;
    this.currentState = 'paused';
    this.cancelTimer();
    this.emit('paused');
  }

  /** Resumes ticks at the next grid point; ticks that fell while paused are not counted as skipped. */
  resume(): void {
    if (this.currentState !== 'paused') return;
    this.currentState = 'running';
    const now = this.scheduleNow();
    this.scheduleAt(this.nextDueAtOrAfter(Number.isNaN(this.nextDue) ? now : this.nextDue, now));
    this.emit('resumed');
  }

  /**
   * Changes the schedule at run time; the next run is due one new interval from now (the next
   * grid point in cluster scope, the next cron time for cron). Throws a RangeError on a bad value.
   */
  setInterval(interval: IntervalSpec): void {
    const problems: OptionProblem[] = [];
    const parsed = checkInterval(problems, 'interval', interval);
    if (
      this.jitterMs > 0 &&
      parsed.intervalMs !== undefined &&
      parsed.intervalMs <= this.jitterMs
    ) {
      problems.push({
        option: 'interval',
        value: interval,
        message: `must be longer than the jitter (${formatDuration(this.jitterMs)})`,
      });
    }
    if (problems.length > 0 || parsed.intervalFn) {
      const message = problems[0]?.message ?? 'must be a duration or a cron spec';
      throw new RangeError(`${this.name}: setInterval(${JSON.stringify(interval)}) ${message}`);
    }
    this.intervalMs = parsed.intervalMs;
    this.intervalFn = undefined;
    this.cron = parsed.cron;
    this.cronSpec = isCronSpec(interval) ? interval : undefined;
    const wasWallTime = this.wallTime;
    this.wallTime = this.dueOnWallClock();
    if (this.currentState !== 'running' && this.currentState !== 'paused') return;
    const now = this.scheduleNow();
    // Moving between the two time scales: a remembered due time means nothing on the other.
    if (wasWallTime !== this.wallTime) this.nextDue = NaN;
    const next =
      this.cron || this.scope === 'cluster' ? this.following(now) : now + this.currentInterval();
    // Paused: remember the new schedule, so that resume() follows it rather than the old one.
    if (this.currentState === 'paused') {
      this.nextDue = next;
      return;
    }
    this.cancelTimer();
    this.scheduleAt(next);
  }

  /**
   * Runs the handler once, now, and resolves with the run's outcome; never rejects. Respects
   * `concurrency` (a busy routine resolves `skipped`), works while paused, skips the cluster
   * claim: a manual run is this replica's decision.
   *
   * @example
   * const outcome = await janitor.trigger();
   * expect(outcome.status).toBe('succeeded');
   */
  trigger(): Promise<RunOutcome> {
    const now = this.clock.now();
    if (this.currentState === 'stopping' || this.currentState === 'stopped') {
      return Promise.resolve({
        status: 'skipped',
        reason: 'stopped',
        dueAt: this.clock.wallOf(now),
      });
    }
    if (this.inFlight + this.pending >= this.concurrency()) {
      return Promise.resolve({ status: 'skipped', reason: 'busy', dueAt: this.clock.wallOf(now) });
    }
    const due = this.wallTime ? this.clock.wallOf(now) : now;
    return new Promise((resolve) => this.run(due, resolve, 0, now));
  }

  /** The schedule in words, as `info().schedule` gives it: 'every 2m', 'cron 0 3 * * *'. */
  get schedule(): string {
    return this.intervalFn
      ? `every ${formatDuration(this.currentInterval())} (dynamic)`
      : describeSchedule(this.intervalMs, this.cronSpec);
  }

  info(): RoutineInfo {
    return {
      name: this.name,
      kind: this.kind,
      description: this.description,
      scope: this.scope,
      state: this.currentState,
      schedule: this.schedule,
      intervalMs: this.cron ? undefined : this.intervalFn ? this.lastIntervalMs : this.intervalMs,
      concurrency: this.lastConcurrency,
      inFlight: this.inFlight,
      nextRunAt: this.timer ? this.wallOfDue(this.nextDue) : undefined,
      lastRun: this.lastRunOutcome(),
      lastError: this.lastError,
      counters: {
        runs: this.runs,
        succeeded: this.succeeded,
        failures: this.failures,
        cancelled: this.cancelled,
        skipped: this.skipped,
        restarts: 0,
      },
      cluster: this.cluster
        ? { ...this.cluster, claims: this.cluster.claims && { ...this.cluster.claims } }
        : undefined,
    };
  }

  private get logger(): RoutineLogger {
    return (this.loggerOption ??= consoleRoutineLogger(this.name));
  }

  private get coordinator(): Coordinator {
    return (this.coordinatorOption ??= new InMemoryCoordinator(this.clock));
  }

  /** The signal runs without a per-run timeout get; aborts when the routine stops. */
  private runSignal(): AbortSignal {
    if (this.signal !== undefined) return this.signal;
    this.abort = new AbortController();
    return (this.signal = this.abort.signal);
  }

  /** A due time as reported: cluster and cron ones are wall times already. */
  private wallOfDue(due: number): number {
    return this.wallTime ? due : this.clock.wallOf(due);
  }

  /** The last finished run, as `info()` and `trigger()` report it. */
  private lastRunOutcome(): RunOutcome | undefined {
    const status = this.lastStatus;
    if (status === undefined) return undefined;
    const outcome: RunOutcome = {
      status,
      dueAt: this.wallOfDue(this.lastDueAt),
      startedAt: this.clock.wallOf(this.lastStartedAt),
      finishedAt: this.clock.wallOf(this.lastFinishedAt),
      durationMs: this.lastFinishedAt - this.lastStartedAt,
    };
    if (status !== 'succeeded') outcome.error = this.lastRunError;
    return outcome;
  }

  private firstDue(start: number): number {
    if (this.cron) {
      if (this.runOnStart) return start + (this.initialDelayMs ?? 0);
      return nextCronTime(this.cron, start + (this.initialDelayMs ?? 0) - 1);
    }
    const interval = this.currentInterval();
    if (this.scope === 'cluster') {
      const base = start + (this.initialDelayMs ?? 0);
      const currentSlot = Math.floor(base / interval) * interval;
      return this.runOnStart ? currentSlot : currentSlot + interval;
    }
    if (this.initialDelayMs !== undefined) return start + this.initialDelayMs;
    return this.runOnStart ? start : start + interval;
  }

  /** The tick after `due`: one interval later, the next grid point, or the next cron time. */
  private following(due: number): number {
    if (this.cron) return nextCronTime(this.cron, due);
    const interval = this.currentInterval();
    return this.scope === 'cluster' ? (Math.floor(due / interval) + 1) * interval : due + interval;
  }

  private nextDueAtOrAfter(due: number, now: number): number {
    if (due >= now) return due;
    if (!this.cron) {
      const interval = this.currentInterval();
      return due + Math.ceil((now - due) / interval) * interval;
    }
    return nextCronTime(this.cron, now - 1); // directly, however long the pause was
  }

  /** Cluster grid points and cron times are what replicas and people agree on: wall times. */
  private dueOnWallClock(): boolean {
    return this.cron !== undefined || this.scope === 'cluster';
  }

  /** The current time on the scale due times are on: wall for cluster and cron, else monotonic. */
  private scheduleNow(): number {
    return this.wallTime ? this.clock.wallNow() : this.clock.now();
  }

  private scheduleAt(due: number): void {
    this.nextDue = due;
    let fireAt = this.jitterMs > 0 ? due + Math.floor(this.random() * this.jitterMs) : due;
    // Timers run on the monotonic clock: a wall due time is converted at arming, and checked
    // again when the timer fires (see handleTimer), in case the wall clock was stepped.
    // Whole milliseconds, rounded up: the offset between the two clocks wobbles below a
    // millisecond from one reading to the next, and routines due together must still share
    // one timer (P6 in bench/).
    if (this.wallTime) fireAt = Math.ceil(fireAt + this.clock.now() - this.clock.wallNow());
    this.timer = this.clock.setTimer(fireAt, this.onTimer, this.spentTimer);
    this.spentTimer = undefined;
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimer(this.timer);
    this.spentTimer = this.timer;
    this.timer = undefined;
  }

  private handleTimer(): void {
    this.spentTimer = this.timer;
    this.timer = undefined;
    if (this.currentState !== 'running') return;
    const now = this.wallTime ? this.clock.wallNow() : this.clock.now(); // scheduleNow(), inlined: every tick
    let due = this.nextDue;
    // The wall clock was stepped back while the timer ran: not due yet on the wall. (Within
    // a couple of milliseconds is due: timers fire up to a millisecond early, and the wall
    // clock reads whole milliseconds.)
    if (this.wallTime && due - now > WALL_TOLERANCE_MS) return this.scheduleAt(due);
    let next = this.following(due);
    if (next <= now) {
      // The event loop was blocked past later ticks (or the wall clock stepped forward): run
      // the latest, count the others.
      const caught = this.catchUp(due, next, now);
      this.skipLate(due, next - due, caught.missed, caught.first);
      due = caught.latest;
      next = this.following(due);
    }
    this.scheduleAt(next);
    this.tick(due, now);
  }

  /** The latest tick due by `now`, and how many earlier ones it supersedes. */
  private catchUp(
    due: number,
    next: number,
    now: number,
  ): { latest: number; missed: number; first?: number[] } {
    if (!this.cron) {
      const interval = next - due;
      const missed = Math.floor((now - due) / interval);
      return { latest: due + missed * interval, missed };
    }
    return cronCatchUp(this.cron, due, now);
  }

  /**
   * Counts `missed` late ticks from `due` on. Events go out for the first few only: a week
   * asleep at 100 ms is six million ticks, counted at once rather than reported one by one.
   */
  private skipLate(due: number, step: number, missed: number, cronTimes?: number[]): void {
    // A cron schedule reports the times catch-up already looked up: each lookup is costly.
    const reported = Math.min(missed, cronTimes ? cronTimes.length : MAX_LATE_EVENTS);
    for (let i = 0; i < reported; i++) this.skip(cronTimes ? cronTimes[i] : due + i * step, 'late');
    this.skipped += missed - reported;
  }

  private tick(due: number, now: number): void {
    if (this.backoffUntil > (this.wallTime ? this.clock.now() : due))
      return this.skip(due, 'backoff');
    if (this.inFlight + this.pending >= this.concurrency()) return this.skip(due, 'busy');
    if (this.scope === 'cluster') return this.claimThenRun(due);
    // `now` is on the monotonic scale only for intervals; a cron run reads its own start.
    this.run(due, undefined, 0, this.wallTime ? undefined : now);
  }

  /**
   * Claims the slot, then runs it, on time or not at all: the claim has until `due` plus the
   * claim window (half the gap to the next slot, at most 10 s) to come back won; past that the
   * slot is skipped (`late`, or `claim-error` when the call itself timed out), and a claim
   * that comes back won too late is handed back. A slot won after shutdown began is handed
   * back too, so another replica can run it. `catchingUp` (a missed slot at start) is exempt
   * from the lateness rule: it is late by definition.
   */
  private claimThenRun(due: number, catchingUp = false, recheck = false): void {
    // Once per claim: for cron it costs a cron lookup.
    const window = this.claimWindow(due);
    const lateBy = catchingUp ? 0 : this.clock.wallNow() - due;
    if (lateBy > window) {
      if (!recheck) this.skip(due, 'late');
      return;
    }
    this.pending++; // hold the slot while the claim is in flight, so ticks cannot overlap it
    const coordinator = this.coordinator;
    withDeadline(
      this.clock,
      window - lateBy,
      () => `claim of slot ${new Date(due).toISOString()}`,
      () => coordinator.claimSlot(this.name, due, this.claimTtl()),
      (wonLate) => {
        if (wonLate) this.releaseSlot(due, window);
      },
    ).then(
      (won) => this.onClaimed(due, window, won, catchingUp, recheck),
      (error: unknown) => this.onClaimFailed(due, error, recheck),
    );
  }

  private onClaimed(
    due: number,
    window: number,
    won: boolean,
    catchingUp: boolean,
    recheck: boolean,
  ): void {
    this.pending--;
    reportCoordinatorSuccess(this.coordinator, this.clock, this.logger);
    if (!won) {
      if (!recheck) {
        this.recordClaim(due, 'lost');
        this.skip(due, 'claimed');
        this.recheckLater(due, window);
      }
      return this.notifyIfIdle();
    }
    this.recordClaim(due, 'won');
    if (this.currentState !== 'running' && this.currentState !== 'paused') {
      this.skip(due, 'stopped');
      return this.releaseSlot(due, window);
    }
    if (!catchingUp && this.clock.wallNow() - due > window) {
      this.skip(due, 'late');
      return this.releaseSlot(due, window);
    }
    this.run(due, undefined, 0);
  }

  private onClaimFailed(due: number, error: unknown, recheck: boolean): void {
    this.pending--;
    reportCoordinatorFailure(
      this.coordinator,
      this.clock,
      this.logger,
      `claim for '${this.name}'`,
      error,
    );
    if (!recheck) {
      this.recordClaim(due, 'error');
      this.skip(due, 'claim-error');
    }
    this.notifyIfIdle();
  }

  /**
   * A replica that lost a claim looks once more, a quarter of the claim window later: if the
   * winner was shutting down it has handed the slot back by then, and this replica runs it.
   */
  private recheckLater(due: number, window: number): void {
    if (typeof this.coordinator.releaseSlot !== 'function' || this.currentState !== 'running')
      return;
    const timers = (this.recheckTimers ??= new Set());
    const timer = this.clock.setTimer(this.clock.now() + window / 4, () => {
      timers.delete(timer);
      if (this.currentState === 'running' && this.inFlight + this.pending < this.concurrency())
        this.claimThenRun(due, false, true);
    });
    timers.add(timer);
  }

  /** Hands a won slot back; shutdown waits for it (within the claim window). */
  private releaseSlot(due: number, window: number): void {
    const coordinator = this.coordinator;
    if (typeof coordinator.releaseSlot !== 'function') return this.notifyIfIdle();
    this.pending++;
    const done = (): void => {
      this.pending--;
      this.notifyIfIdle();
    };
    withDeadline(this.clock, window, 'release of a slot', () =>
      coordinator.releaseSlot!(this.name, due),
    ).then(done, (error: unknown) => {
      this.logger.warn(
        `could not hand back slot ${new Date(due).toISOString()}; no replica will run it: ${describeError(error).message}`,
      );
      done();
    });
  }

  /** How long after its due time a slot may still start: half the gap to the next, at most 10 s. */
  private claimWindow(due: number): number {
    return Math.min((this.following(due) - due) * CLAIM_WINDOW_FRACTION, MAX_CLAIM_WINDOW_MS);
  }

  /** `missed: 'once'`: run now the last slot before start (grid point or cron time) if no replica ran it. */
  private claimMissedSlot(start: number): void {
    const lastSlot = this.cron
      ? previousCronTime(this.cron, start)
      : Math.floor(start / this.currentInterval()) * this.currentInterval();
    if (lastSlot !== undefined && lastSlot !== this.nextDue) this.claimThenRun(lastSlot, true);
  }

  private recordClaim(slot: number, outcome: 'won' | 'lost' | 'error'): void {
    if (!this.cluster) return;
    this.cluster.lastClaim = { slot, outcome, at: this.clock.wallNow() };
    const claims = (this.cluster.claims ??= { won: 0, lost: 0, errors: 0 });
    if (outcome === 'won') claims.won++;
    else if (outcome === 'lost') claims.lost++;
    else claims.errors++;
    if (outcome !== 'error') this.cluster.role = outcome === 'won' ? 'leader' : 'standby';
  }

  private claimTtl(): number {
    // Long enough that a replica whose clock lags, or whose timer fires late, still finds the claim.
    const interval = this.cron ? 60_000 : this.currentInterval();
    return Math.min(Math.max(interval * 3, MIN_CLAIM_TTL_MS), MAX_TIMER_MS);
  }

  private run(
    due: number,
    done: ((outcome: RunOutcome) => void) | undefined,
    reinvocations: number,
    startedAt: number = this.clock.now(),
  ): void {
    this.inFlight++;
    this.runs++;
    let controller: AbortController | undefined;
    let timeoutTimer: TimerHandle | undefined;
    if (this.timeoutMs !== undefined) {
      controller = new AbortController();
      (this.runControllers ??= new Set()).add(controller);
      const runController = controller;
      const timeoutMs = this.timeoutMs;
      timeoutTimer = this.clock.setTimer(startedAt + timeoutMs, () => {
        this.logger.warn(
          `run exceeded its timeout of ${formatDuration(timeoutMs)}; aborting its signal`,
        );
        runController.abort(new RoutineTimeoutError(this.name, timeoutMs));
      });
      // Once the signal has aborted (shutdown), the timeout has nothing left to do: drop its
      // timer now, or a run that never settles would keep the process alive until it fires.
      const timer = timeoutTimer;
      runController.signal.addEventListener('abort', () => this.clock.clearTimer(timer), {
        once: true,
      });
    }
    const signal = controller ? controller.signal : this.runSignal();
    if (this.wantsEvents())
      this.emit('run-started', {
        status: 'running',
        dueAt: this.wallOfDue(due),
        startedAt: this.clock.wallOf(startedAt),
      });

    let result: unknown;
    let kind: ResultKind;
    let threw = false;
    try {
      result = this.handler.handle(signal);
      kind = resultKind(result); // reads `then`, which may be a throwing getter
    } catch (error) {
      [result, kind, threw] = [error, ResultKind.Value, true];
    }
    if (kind === ResultKind.Value) {
      return this.endRun(
        due,
        startedAt,
        signal,
        controller,
        timeoutTimer,
        threw,
        result,
        done,
        reinvocations,
      );
    }
    if (
      kind === ResultKind.NativePromise &&
      controller === undefined &&
      done === undefined &&
      !this.pendingActive
    ) {
      // The hot path: a native promise calls exactly one of its callbacks, once, so the run
      // can be kept in fields and settled by two callbacks made once per routine.
      this.pendingActive = true;
      this.pendingDue = due;
      this.pendingStartedAt = startedAt;
      this.pendingReinvocations = reinvocations;
      (result as Promise<unknown>).then(this.onPendingFulfilled, this.onPendingRejected);
      return;
    }
    // A hand-made thenable may call both callbacks, or one twice, or throw after calling one.
    let settled = false;
    const settle = (failed: boolean, valueOrError: unknown): void => {
      if (settled) return;
      settled = true;
      this.endRun(
        due,
        startedAt,
        signal,
        controller,
        timeoutTimer,
        failed,
        valueOrError,
        done,
        reinvocations,
      );
    };
    try {
      (result as PromiseLike<unknown>).then(
        (value) => settle(false, value),
        (error) => settle(true, error),
      );
    } catch (error) {
      settle(true, error);
    }
  }

  private endRun(
    due: number,
    startedAt: number,
    signal: AbortSignal,
    controller: AbortController | undefined,
    timeoutTimer: TimerHandle | undefined,
    failed: boolean,
    valueOrError: unknown,
    done: ((outcome: RunOutcome) => void) | undefined,
    reinvocations: number,
  ): void {
    this.inFlight--;
    if (controller) this.runControllers?.delete(controller);
    if (timeoutTimer) this.clock.clearTimer(timeoutTimer);
    this.finishRun(due, startedAt, signal, failed, valueOrError, done, reinvocations);
  }

  private endPendingFulfilled(value: unknown): void {
    this.endPendingRun(false, value);
  }

  private endPendingRejected(error: unknown): void {
    this.endPendingRun(true, error);
  }

  private endPendingRun(failed: boolean, valueOrError: unknown): void {
    this.pendingActive = false;
    this.inFlight--;
    this.finishRun(
      this.pendingDue,
      this.pendingStartedAt,
      this.signal!,
      failed,
      valueOrError,
      undefined,
      this.pendingReinvocations,
    );
  }

  private finishRun(
    due: number,
    startedAt: number,
    signal: AbortSignal,
    failed: boolean,
    valueOrError: unknown,
    done: ((outcome: RunOutcome) => void) | undefined,
    reinvocations: number,
  ): void {
    const finishedAt = this.clock.now();
    let status: RunStatus = 'succeeded';
    if (!failed) {
      this.succeeded++;
      this.consecutiveFailures = 0;
      this.backoffUntil = 0;
    } else if (this.stopping && signal.aborted && isAbortOf(valueOrError, signal)) {
      // Shutdown cancelled the run: that is not the handler failing.
      status = 'cancelled';
      this.cancelled++;
    } else {
      status = 'failed';
      this.recordFailure(valueOrError, finishedAt);
    }
    this.lastStatus = status;
    this.lastDueAt = due;
    this.lastStartedAt = startedAt;
    this.lastFinishedAt = finishedAt;
    this.lastRunError = failed ? valueOrError : undefined;
    const wantsEvents = this.wantsEvents();
    if (wantsEvents || done !== undefined) {
      const outcome = this.lastRunOutcome()!;
      if (wantsEvents)
        this.emit(
          status === 'succeeded'
            ? 'run-succeeded'
            : status === 'failed'
              ? 'run-failed'
              : 'run-cancelled',
          outcome,
        );
      done?.(outcome);
    }

    if (!failed && valueOrError === REINVOKE_IMMEDIATELY && !this.stopping) {
      if (reinvocations + 1 < MAX_REINVOCATIONS) return this.run(due, undefined, reinvocations + 1);
      this.logger.warn(
        `asked to be reinvoked ${MAX_REINVOCATIONS} times in a row; waiting for the next tick`,
      );
    }
    this.notifyIfIdle();
  }

  private recordFailure(error: unknown, at: number): void {
    this.failures++;
    this.consecutiveFailures++;
    this.lastError = { at: this.clock.wallOf(at), message: describeError(error).message };
    reportError(this.logger, errorMessageOf(this.handler) ?? 'run failed', error);
    if (this.backoff) {
      const delay = Math.min(
        this.backoff.maxMs,
        this.backoff.initialMs * this.backoff.factor ** (this.consecutiveFailures - 1),
      );
      this.backoffUntil = at + delay;
    }
    this.callErrorHandler(error);
  }

  private callErrorHandler(error: unknown): void {
    if (typeof this.handler.handleError !== 'function') return;
    const report = (thrown: unknown): void => reportError(this.logger, 'handleError threw', thrown);
    try {
      const result = this.handler.handleError(error);
      if (isThenable(result)) result.then(undefined, report);
    } catch (thrown) {
      report(thrown);
    }
  }

  private async finalize(): Promise<void> {
    if (typeof this.handler.onShutdown !== 'function') return;
    try {
      await this.handler.onShutdown();
    } catch (error) {
      reportError(this.logger, 'onShutdown failed', error);
    }
  }

  private skip(due: number, reason: SkipReason): void {
    if (reason !== 'claimed') this.skipped++;
    if (this.wantsEvents())
      this.emit('run-skipped', { status: 'skipped', dueAt: this.wallOfDue(due), reason });
  }

  private concurrency(): number {
    const option = this.concurrencyOption;
    if (typeof option === 'number') return option;
    const value = safeCall(option);
    if (Number.isInteger(value) && (value as number) >= 1) this.lastConcurrency = value as number;
    else
      this.logger.warn(
        `concurrency function returned ${String(value)}; keeping ${this.lastConcurrency}`,
      );
    return this.lastConcurrency;
  }

  private currentInterval(): number {
    if (this.intervalMs !== undefined) return this.intervalMs;
    if (this.intervalFn) {
      const value = safeCall(this.intervalFn);
      try {
        this.lastIntervalMs = toMilliseconds(value as Duration, 'interval function');
      } catch (error) {
        this.logger.warn(
          `${describeError(error).message}; keeping ${formatDuration(this.lastIntervalMs)}`,
        );
      }
      return this.lastIntervalMs;
    }
    return DEFAULT_INTERVAL_MS;
  }

  private waitIdle(): Promise<void> {
    if (this.inFlight + this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  private notifyIfIdle(): void {
    const waiters = this.idleWaiters;
    if (this.inFlight + this.pending !== 0 || waiters === undefined) return;
    this.idleWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  /** Whether anyone listens for events: a listener may say it has no subscriber right now. */
  private wantsEvents(): boolean {
    const listener = this.onEvent;
    return listener !== undefined && listener.observed !== false;
  }

  private emit(type: RoutineEventType, outcome?: RunOutcome): void {
    if (!this.wantsEvents()) return;
    try {
      this.onEvent!({
        type,
        routine: this.name,
        at: this.clock.wallNow(),
        outcome,
        error: outcome?.error,
      });
    } catch (error) {
      reportError(this.logger, 'event listener threw', error);
    }
  }
}

/** Every problem in a periodic routine's options, without throwing. */
export function validatePeriodicOptions(options: PeriodicOptions): OptionProblem[] {
  const problems: OptionProblem[] = [];
  resolvePeriodicOptions(options, problems);
  return problems;
}

function resolvePeriodicOptions(options: PeriodicOptions, problems: OptionProblem[] = []) {
  const interval =
    options.interval === undefined
      ? { intervalMs: DEFAULT_INTERVAL_MS }
      : checkInterval(problems, 'interval', options.interval);
  const timeoutMs = checkDuration(problems, 'timeout', options.timeout);
  const jitterMs = checkDuration(problems, 'jitter', options.jitter, { allowZero: true });
  const initialDelayMs = checkDuration(problems, 'initialDelay', options.initialDelay, {
    allowZero: true,
  });
  const { concurrency } = options;
  if (
    concurrency !== undefined &&
    typeof concurrency !== 'function' &&
    !(Number.isInteger(concurrency) && concurrency >= 1)
  ) {
    problems.push({
      option: 'concurrency',
      value: concurrency,
      message: 'must be a whole number of at least 1 (or a function returning one)',
    });
  }
  if (options.runOnStart !== undefined && typeof options.runOnStart !== 'boolean') {
    problems.push({
      option: 'runOnStart',
      value: options.runOnStart,
      message: 'must be true or false',
    });
  }
  if (options.scope !== undefined && !SCOPES.includes(options.scope)) {
    problems.push({
      option: 'scope',
      value: options.scope,
      message: `must be 'instance' or 'cluster'`,
    });
  }
  if (options.missed !== undefined && options.missed !== 'skip' && options.missed !== 'once') {
    problems.push({ option: 'missed', value: options.missed, message: `must be 'skip' or 'once'` });
  }
  if (
    jitterMs !== undefined &&
    interval.intervalMs !== undefined &&
    jitterMs >= interval.intervalMs
  ) {
    problems.push({
      option: 'jitter',
      value: options.jitter,
      message: `must be shorter than the interval (${formatDuration(interval.intervalMs)})`,
    });
  }
  if (options.scope === 'cluster' && interval.cron && options.runOnStart) {
    problems.push({
      option: 'runOnStart',
      value: true,
      message:
        'is not supported for cron schedules in cluster scope: replicas could not agree on the slot',
    });
  }
  checkBackoff(problems, options.backoff);
  // Spelled out: properties after a spread in an object literal take V8's slow path, which
  // was about 1.3 µs per call, and this runs twice per routine at bootstrap (P4 in bench/).
  return {
    intervalMs: interval.intervalMs,
    cron: interval.cron,
    intervalFn: interval.intervalFn,
    timeoutMs,
    jitterMs,
    initialDelayMs,
  };
}

function checkBackoff(problems: OptionProblem[], backoff: PeriodicOptions['backoff']): void {
  if (backoff === undefined || typeof backoff === 'boolean') return;
  if (typeof backoff !== 'object' || backoff === null) {
    problems.push({
      option: 'backoff',
      value: backoff,
      message: 'must be true, false or { initialDelay, maxDelay, factor }',
    });
    return;
  }
  checkDuration(problems, 'backoff.initialDelay', backoff.initialDelay);
  checkDuration(problems, 'backoff.maxDelay', backoff.maxDelay);
  if (
    backoff.factor !== undefined &&
    !(typeof backoff.factor === 'number' && backoff.factor >= 1 && Number.isFinite(backoff.factor))
  ) {
    problems.push({
      option: 'backoff.factor',
      value: backoff.factor,
      message: 'must be a number of at least 1',
    });
  }
}

function resolveBackoff(
  backoff: PeriodicOptions['backoff'],
  intervalMs: number,
): ResolvedBackoff | undefined {
  if (!backoff) return undefined;
  const options = backoff === true ? {} : backoff;
  return {
    initialMs:
      options.initialDelay === undefined
        ? intervalMs
        : toMilliseconds(options.initialDelay, 'backoff.initialDelay'),
    maxMs:
      options.maxDelay === undefined
        ? 3_600_000
        : toMilliseconds(options.maxDelay, 'backoff.maxDelay'),
    factor: options.factor ?? 2,
  };
}

const enum ResultKind {
  Value,
  NativePromise,
  OtherThenable,
}

const nativeThen = Promise.prototype.then;

/** What a handler returned; reads `then`, which may throw. */
function resultKind(value: unknown): ResultKind {
  if (value instanceof Promise && value.then === nativeThen) return ResultKind.NativePromise;
  return isThenable(value) ? ResultKind.OtherThenable : ResultKind.Value;
}

function isAbortOf(error: unknown, signal: AbortSignal): boolean {
  return error === signal.reason || isAbortError(error);
}

function safeCall(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (error) {
    return error;
  }
}
