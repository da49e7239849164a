// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import { MESSAGES } from './nest.messages';
import { Injectable, Logger } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import {
  describeError,
  formatDuration,
  isCronSpec,
  summarizeError,
  PeriodicRoutine,
  RoutinesConfigurationError,
  stopRoutines,
  systemClock,
  type BackgroundFunction,
  type BackgroundHandler,
  type Clock,
  type ConfigurationProblem,
  type Coordinator,
  type Duration,
  type HandlerFunction,
  type IntervalSpec,
  type ManagedRoutine,
  type PeriodicHandler,
  type RoutineEvent,
  type RoutineEventListener,
  type RoutineInfo,
  type RoutineState,
  type RunOutcome,
  type BackfillOptions,
  type BackfillReport,
  type OverlapPolicy,
  type PauseInfo,
  type PauseStatus,
  type StopReport,
  type TriggerOptions,
} from '../core';
import type {
  BackgroundRoutineDecoratorOptions,
  PeriodicRoutineDecoratorOptions,
  RoutineDeclaration,
} from './interfaces/routine-declaration.interface';
import {
  healthOf,
  jobStats,
  runStats,
  type JobRecord,
  type JobStats,
  type RoutineHealth,
  type RunRecord,
  type RunStats,
} from '../observability';
import { buildRoutine, type BuildContext, type BuiltRoutine } from './routine.factory';
import type { BuiltWorker } from './worker.factory';
import type { EnqueueOptions } from '../worker';
import { RoutineActionError, RoutineNotFoundError } from './routines.errors';
import { RoutinesMigrations } from '../migrations/routines-migrations';

/**
 * An error as the registry shows it: plain data that survives `JSON.stringify` (an `Error`
 * serialises to `{}`). `stack` is there for code that reads it, and left out of JSON so that a
 * controller returning the registry's output does not expose it. A thrown value that is not
 * an Error has the name `NonError`.
 */
export interface SerializedError {
  name: string;
  message: string;
  readonly stack?: string;
}

/** A run's outcome as the registry shows it: its error, if any, serialised. */
export type RegisteredRunOutcome = Omit<RunOutcome, 'error'> & { error?: SerializedError };

/** A routine as the registry lists it: its info plus where it was declared. */
export interface RegisteredRoutineInfo extends Omit<RoutineInfo, 'lastRun'> {
  lastRun?: RegisteredRunOutcome;
  enabled: boolean;
  /** `ClassName.method`, `ClassName`, or `RoutinesRegistry.add` for a routine added at run time. */
  source: string;
  /** Whether `remove(name)` may remove it: routines added at run time can be, decorated ones cannot. */
  removable: boolean;
  /** Over the runs kept in its history; absent with `history: 0`. */
  stats?: RunStats;
  /** `late`, `slow`, `consecutiveFailures` (see the README for the exact rules). */
  health: RoutineHealth;
}

/**
 * @internal What an integration (the dashboard) needs from the registry's lifecycle: async work
 * awaited before routines first start, and a synchronous call right after any of them starts
 * (at bootstrap, `add`, `start`, `restart`), before its first tick can fire.
 */
export interface RegistryPlugin {
  prepare?(): Promise<void>;
  started?(names: readonly string[]): void;
}

/** @internal What the module built the routines with, for integrations. */
export interface RegistryRuntime {
  clock: Clock;
  coordinator: Coordinator;
  version?: string;
}

/** What {@link RoutinesRegistry.worker} answers. */
export interface WorkerInfo {
  name: string;
  /** Jobs running in this process. */
  readonly inFlight: number;
  /** Its table's rows by state, and how long the oldest row due has waited (ms). */
  counts(): Promise<{ byState: Record<string, number>; oldestQueuedMs?: number }>;
  /** Look for rows now instead of at the next poll. */
  notify(): void;
  /**
   * Adds a job to a worker declared without `table` (a plain queue): its id, or undefined
   * when a job with the same `key` is pending. With `client`, inside the app's transaction.
   */
  enqueue(payload: unknown, options?: EnqueueOptions): Promise<string | undefined>;
  /**
   * Its last job attempts in this process, newest first (at most `limit`): id, attempt,
   * outcome, start, handler duration and error. Empty with the module option `history: 0`.
   */
  history(options?: { limit?: number }): JobRecord[];
  /** Figures over the kept attempts: count by outcome, handler duration min/avg/p50/p95/max. */
  stats(): JobStats;
}

/** Due times and runs `describe()` lists. */
const DESCRIBED_RUNS = 10;

/** One of the last runs, as {@link RoutinesRegistry.describe} lists it. */
export interface DescribedRun {
  runId?: number;
  status: RunRecord['status'] | RegisteredRunOutcome['status'];
  /** When it was due (wall-clock ms) and when it actually started: `lateByMs` apart. */
  dueAt: number;
  startedAt?: number;
  lateByMs?: number;
  durationMs?: number;
  reason?: string;
  error?: string;
  backfill?: true;
}

/** What {@link RoutinesRegistry.describe} answers. */
export interface RoutineDescription {
  name: string;
  state: RoutineState;
  /** In words: 'every 1h', 'cron 0 3 * * * (Europe/Berlin)'. */
  schedule: string;
  scope: 'instance' | 'cluster';
  overlap: OverlapPolicy;
  /** The next 10 due times (wall-clock ms), bounds and `maxRuns` applied. */
  nextDueAt: number[];
  /** The routine's counters, and over its kept runs the skips by reason (`busy`: by overlap). */
  counters: RegisteredRoutineInfo['counters'] & {
    skippedByReason: RunStats['skipped'];
    /** Backfill runs among the kept ones. */
    backfilled: number;
    /** Late due times `catchup` ran, and the ones it counted missed (0 without `catchup`). */
    caughtUp: number;
    missed: number;
  };
  /** The last 10 runs and skipped ticks, newest first. */
  lastRuns: DescribedRun[];
  paused?: PauseStatus;
}

/** The class name a routine added at run time is declared under. */
const ADDED = 'RoutinesRegistry.add';

/** Options of {@link RoutinesRegistry.add}: a periodic routine's (the default) or a background one's. */
export type AddRoutineOptions =
  | (PeriodicRoutineDecoratorOptions & { kind?: 'periodic' })
  | (BackgroundRoutineDecoratorOptions & { kind: 'background' });

/** What {@link RoutinesRegistry.add} runs: a periodic handler or a background one, as function or object. */
export type AddedHandler =
  HandlerFunction | PeriodicHandler | BackgroundFunction | BackgroundHandler;

/**
 * Lists the app's routines and steers them by name at run time. A name it does not know is a
 * {@link RoutineNotFoundError}; an action a routine cannot take (in its kind or its state) is a
 * {@link RoutineActionError}: nothing is ever silently ignored.
 *
 * @example
 * @Controller('routines')
 * export class RoutinesController {
 *   constructor(private readonly routines: RoutinesRegistry) {}
 *   @Get() list() { return this.routines.list(); }
 *   @Post(':name/trigger') trigger(@Param('name') name: string) { return this.routines.trigger(name); }
 * }
 */
@Injectable()
export class RoutinesRegistry {
  private readonly routines = new Map<string, BuiltRoutine>();
  private readonly events = new Subject<RoutineEvent>();
  private readonly logger = new Logger('RoutinesModule');
  private started = false;
  private stopping = false;
  private context: BuildContext | undefined;
  private clock: Clock = systemClock;
  private readonly plugins: RegistryPlugin[] = [];
  private readonly builtWorkers = new Map<string, BuiltWorker>();
  private prepared: Promise<void> | undefined;

  /** The app's out-of-band migrations: progress, direction, errors; `reverse(id)` and `forward(id)`. */
  readonly migrations = new RoutinesMigrations();

  /** Every lifecycle event of every routine: started, run-started/succeeded/failed/skipped, restarted, failed, stopped... */
  readonly events$: Observable<RoutineEvent> = this.events.asObservable();

  /** Snapshots of all routines, in declaration order (then in the order they were added). */
  list(): RegisteredRoutineInfo[] {
    return [...this.routines.values()].map((entry) => this.registered(entry));
  }

  /**
   * A snapshot of one routine: state, lastRun, nextRunAt, counters, stats and health flags.
   * Throws {@link RoutineNotFoundError}.
   */
  get(name: string): RegisteredRoutineInfo {
    return this.registered(this.entry(name));
  }

  /**
   * The last runs of a routine, newest first (at most `limit`): periodic runs and skipped ticks,
   * background attempts. Empty with the module option `history: 0`. Throws {@link RoutineNotFoundError}.
   *
   * @example
   * registry.history('hard-deleter', { limit: 10 }).filter((run) => run.status === 'failed');
   */
  history(name: string, options: { limit?: number } = {}): RunRecord[] {
    const { history } = this.entry(name);
    return history ? history.records(this.clock, options.limit) : [];
  }

  /**
   * A `@Worker` by name: its jobs in flight here, its table's rows by state and the age of the
   * oldest row due (one query), and `notify()` to look for rows at once (after an insert).
   * Throws {@link RoutineNotFoundError} for a name that is not a worker.
   *
   * @example
   * await this.uploads.insert(upload);
   * registry.worker('upload-processor').notify();
   */
  worker(name: string): WorkerInfo {
    const built = this.builtWorkers.get(name);
    if (!built) throw new RoutineNotFoundError(String(name), [...this.builtWorkers.keys()]);
    return workerInfo(built);
  }

  /** Every `@Worker` of the app, as {@link RoutinesRegistry.worker} gives each. */
  workers(): WorkerInfo[] {
    return [...this.builtWorkers.values()].map(workerInfo);
  }

  /** Whether a routine has that name. */
  /** Whether a routine has that name. */
  has(name: string): boolean {
    return this.routines.has(name);
  }

  /**
   * Runs a periodic routine once, now, and resolves with the run's outcome. For a periodic
   * routine it never rejects, whatever its state: a failed run resolves `failed` with its
   * error, a busy one `skipped` (`busy`), a stopped one `skipped` (`stopped`); a disabled or
   * paused routine runs. Rejects with {@link RoutineNotFoundError} for an unknown name and
   * {@link RoutineActionError} for a background routine. Also how tests drive routines.
   *
   * A trigger does not take the routine's `overlap` policy: while a run is in flight it
   * resolves `skipped` (`busy`), unless `options.overlap` says otherwise ('allow' runs beside
   * it, 'buffer-one' / 'buffer-all' right after it, 'cancel-other' in its place).
   *
   * @example
   * await registry.trigger('report', { overlap: 'buffer-one' }); // after the run in flight
   */
  async trigger(name: string, options?: TriggerOptions): Promise<RegisteredRunOutcome> {
    return serializeOutcome(await this.periodic(name, 'trigger').trigger(options));
  }

  /**
   * Suspends a periodic routine's ticks; runs in flight go on. `note` and `by` say why and who:
   * `get(name).paused` shows them with the time, and so do the `paused` event and the status
   * page. Pausing a paused routine only updates its note; a routine that is not ticking
   * (disabled, not started, stopped) or a background routine is a {@link RoutineActionError}.
   *
   * @example
   * registry.pause('invoice-sync', { note: 'billing API down, INC-4211', by: 'alice' });
   */
  pause(name: string, options?: PauseInfo): void {
    const routine = this.periodic(name, 'pause');
    const info = checkPauseInfo(name, options);
    if (routine.state === 'paused') return routine.pause(info);
    this.mustBeTicking(routine, 'pause');
    routine.pause(info);
  }

  /** Resumes a paused periodic routine at its next tick; resuming a running one does nothing. */
  resume(name: string): void {
    const routine = this.periodic(name, 'resume');
    if (routine.state === 'running') return;
    this.mustBeTicking(routine, 'resume');
    routine.resume();
  }

  /**
   * Changes a periodic routine's interval, or a cron routine's expression, at run time; the
   * next run is one new interval from now. An interval for a cron routine (or a cron for an
   * interval one) is a {@link RoutineActionError}; a bad value a `RangeError`.
   */
  setInterval(name: string, interval: IntervalSpec): void {
    const routine = this.periodic(name, 'setInterval');
    if (routine.onCron !== isCronSpec(interval)) {
      const reason = MESSAGES.otherScheduleForm(name, routine.onCron);
      throw new RoutineActionError(name, 'setInterval', reason);
    }
    routine.setInterval(interval);
  }

  /**
   * Runs the due times of a past range, oldest first, each with its own `ctx.dueAt` (see
   * `PeriodicRoutine.backfill`): in cluster scope each is claimed as its slot, so replicas
   * backfilling the same range run each once. At most 1,000 due times; `signal` stops it.
   * Resolves with counts and each run's outcome; a bad range is a RangeError.
   *
   * @example
   * await registry.backfill('hourly-report', { from: new Date('2026-12-01'), to: new Date('2026-12-02') });
   */
  async backfill(name: string, options: BackfillOptions): Promise<BackfillReport> {
    const report = await this.periodic(name, 'backfill').backfill(options);
    return {
      ...report,
      outcomes: report.outcomes.map(serializeOutcome) as BackfillReport['outcomes'],
    };
  }

  /**
   * A periodic routine's schedule at a glance (Temporal's `describe`): the schedule in words,
   * its overlap policy and bounds, the next 10 due times, the counters (with the skips by
   * reason over the kept runs), the last 10 runs with their due and actual start times, and the
   * pause note. Works with `history: 0` too (then `lastRuns` has the last run only). Throws
   * {@link RoutineNotFoundError}, or {@link RoutineActionError} for a background routine.
   *
   * @example
   * const { nextDueAt, lastRuns } = registry.describe('nightly-report');
   */
  describe(name: string): RoutineDescription {
    const routine = this.periodic(name, 'describe');
    const entry = this.entry(name);
    const info = snapshotOf(entry);
    // The ring read once: the last runs, the stats and the backfill count all come from it.
    const kept = entry.history?.records(this.clock) ?? [];
    const lastRuns: DescribedRun[] = kept.slice(0, DESCRIBED_RUNS).map((record) => {
      const run: DescribedRun = { status: record.status, dueAt: record.dueAt };
      if (record.backfill) run.backfill = true;
      if (record.id !== undefined) run.runId = record.id;
      if (record.startedAt !== undefined) {
        run.startedAt = record.startedAt;
        run.lateByMs = record.startedAt - record.dueAt;
      }
      if (record.durationMs !== undefined) run.durationMs = record.durationMs;
      if (record.reason !== undefined) run.reason = record.reason;
      if (record.error !== undefined) run.error = record.error.message;
      return run;
    });
    if (!entry.history && info.lastRun) {
      const { status, dueAt, startedAt, durationMs, runId } = info.lastRun;
      lastRuns.push({ runId, status, dueAt, startedAt, durationMs });
    }
    const stats = entry.history ? runStats(kept) : undefined;
    const description: RoutineDescription = {
      name,
      state: info.state,
      schedule: info.schedule ?? '',
      scope: info.scope,
      overlap: routine.overlap,
      nextDueAt: routine.nextRuns(DESCRIBED_RUNS),
      counters: {
        ...info.counters,
        skippedByReason: stats?.skipped ?? {},
        backfilled: kept.filter((run) => run.backfill).length,
        caughtUp: info.catchup?.caughtUp ?? 0,
        missed: info.catchup?.missed ?? 0,
      },
      lastRuns,
    };
    if (info.paused) description.paused = info.paused;
    return description;
  }

  /**
   * The next `count` times (wall-clock ms) a periodic routine is due: to check a cron
   * expression or an interval set at run time. Empty for a stopped routine.
   *
   * @example
   * registry.nextRuns('nightly-report', 3).map((t) => new Date(t).toISOString());
   */
  nextRuns(name: string, count = 5): number[] {
    return this.periodic(name, 'nextRuns').nextRuns(count);
  }

  /**
   * Starts a routine that is not running: a disabled one (`enabled: false`), one stopped by
   * `stop(name)`, a background routine that `failed` past its restart policy or `completed`.
   * A routine that stopped is built again from its declaration (its counters and history start
   * over). Resolves at once for a routine that is already started.
   */
  async start(name: string): Promise<void> {
    const entry = this.entry(name);
    if (this.stopping) throw new RoutineActionError(name, 'start', MESSAGES.shuttingDown);
    const state = entry.routine.state;
    if (state === 'idle') return this.startEntry(entry);
    if (!RESTARTABLE.has(state)) return;
    await entry.routine.stop();
    if (this.stopping || this.routines.get(name) !== entry) return;
    const fresh = this.rebuild(entry);
    this.routines.set(name, fresh);
    this.startEntry(fresh);
  }

  /** Stops one routine (periodic or background) and waits for it, as shutdown would; `start(name)` runs it again. */
  async stop(name: string): Promise<void> {
    await this.entry(name).routine.stop();
  }

  /** Stops a routine, waits, and starts it again: for a background routine that `failed`, or to start afresh. */
  async restart(name: string): Promise<void> {
    await this.stop(name);
    await this.start(name);
  }

  /**
   * Adds a routine at run time, checked as a decorated one is (a bad option is a
   * `RoutinesConfigurationError` naming it), run under the same lifecycle, and stopped with the
   * app. It starts at once if the app has started (unless `enabled: false`), else with the
   * others. A periodic routine needs `interval`; a background one `kind: 'background'`.
   *
   * @example
   * registry.add('tenant-42-sync', (signal) => this.sync(42, signal), { interval: '5m' });
   * registry.add('warm-cache', (signal) => this.cache.warm(signal), { kind: 'background', initialDelay: '10s' });
   */
  add(name: string, handler: AddedHandler, options: AddRoutineOptions): RegisteredRoutineInfo {
    const source = `${ADDED}('${String(name)}')`;
    if (this.stopping) throw new RoutineActionError(String(name), 'add', MESSAGES.shuttingDown);
    if (!this.context) throw new RoutineActionError(String(name), 'add', MESSAGES.notInitialised);
    const { declaration, problems } = addedDeclaration(name, handler, options, source);
    if (declaration && this.routines.has(declaration.name)) {
      problems.push({ option: 'name', value: name, message: MESSAGES.nameTaken });
    }
    const built =
      declaration && problems.length === 0
        ? buildRoutine(declaration, this.context, undefined)
        : undefined;
    const all = [...problems, ...(built?.problems ?? [])].map((problem) => ({
      source,
      routine: String(name),
      ...problem,
    }));
    if (all.length > 0 || !built?.built) throw new RoutinesConfigurationError(all);
    const entry = built.built;
    this.routines.set(entry.routine.name, entry);
    this.warnIfExclusiveHereOnly([entry]);
    if (this.started && entry.enabled) this.startEntry(entry);
    return this.registered(entry);
  }

  /**
   * Stops a routine added with `add()`, waits for it, and forgets it. A routine declared with a
   * decorator cannot be removed ({@link RoutineActionError}): `stop(name)` stops it instead.
   */
  async remove(name: string): Promise<void> {
    const entry = this.entry(name);
    if (!isRemovable(entry)) {
      throw new RoutineActionError(
        name,
        'remove',
        MESSAGES.notRemovable(name, entry.declaration.source),
      );
    }
    await entry.routine.stop();
    if (this.routines.get(name) !== entry) return;
    this.routines.delete(name);
    this.context?.metrics?.forget(name);
  }

  /**
   * Forgets that a cluster background routine completed, so that it runs once more under the
   * current version: on the next start of the app's replicas (a replica where it already
   * completed stays `completed` until it restarts). Resolves once the coordinator has
   * forgotten it.
   *
   * @example
   * await registry.resetCompletion('seed-demo-data'); // then roll the deployment
   */
  async resetCompletion(name: string): Promise<void> {
    const { routine } = this.entry(name);
    if (routine.kind !== 'background' || (routine as { scope?: string }).scope !== 'cluster') {
      throw new RoutineActionError(name, 'resetCompletion', MESSAGES.notClusterBackground(name));
    }
    await this.context?.coordinator.resetCompletion?.(name);
  }

  /** @internal Adds an integration that follows the routines' lifecycle. */
  use(plugin: RegistryPlugin): void {
    this.plugins.push(plugin);
  }

  /** @internal The clock, coordinator and version the routines run with; undefined before bootstrap. */
  get runtime(): RegistryRuntime | undefined {
    const context = this.context;
    if (!context) return undefined;
    return { clock: this.clock, coordinator: context.coordinator, version: context.version };
  }

  /** @internal Awaited by the module before routines first start: every plugin's `prepare`, once. */
  prepare(): Promise<void> {
    this.prepared ??= Promise.all(this.plugins.map((plugin) => plugin.prepare?.())).then(
      () => undefined,
    );
    return this.prepared;
  }

  /** @internal Every routine's own snapshot (no stats or health): what metrics read at a scrape. */
  snapshots(): RoutineInfo[] {
    return [...this.routines.values()].map(snapshotOf);
  }

  /** @internal Called by the module with the routines it built and how to build more. */
  register(
    built: readonly BuiltRoutine[],
    context: BuildContext,
    workers: readonly BuiltWorker[] = [],
  ): void {
    this.context = context;
    for (const built of workers) this.builtWorkers.set(built.name, built);
    this.clock = context.clock ?? systemClock;
    for (const entry of built) this.routines.set(entry.routine.name, entry);
    this.warnIfExclusiveHereOnly(built);
  }

  /**
   * @internal Emits an event to `events$`. Its `observed` flag tells the routines whether
   * `events$` has a subscriber: without one they build no events (measured).
   */
  readonly emit: RoutineEventListener = Object.defineProperty(
    (event: RoutineEvent): void => this.events.next(event),
    'observed',
    { get: (): boolean => this.events.observed },
  );

  /** Starts every enabled routine; periodic ones share one time origin so that equal intervals share timers. */
  startAll(): void {
    if (this.started) return;
    this.started = true;
    const anchor = this.clock.now();
    const enabled = [...this.routines.values()].filter((entry) => entry.enabled);
    for (const { routine } of enabled) {
      if (routine instanceof PeriodicRoutine) routine.start(anchor);
      else routine.start();
    }
    if (enabled.length > 0) {
      const list = enabled.map(({ routine }) => `${routine.name} (${scheduleOf(routine)})`);
      this.logger.log(MESSAGES.started(enabled.length, list.join(', ')));
      this.tellStarted(enabled.map(({ routine }) => routine.name));
    }
  }

  private tellStarted(names: readonly string[]): void {
    for (const plugin of this.plugins) {
      try {
        plugin.started?.(names);
      } catch (error) {
        this.logger.error(MESSAGES.pluginFailed(describeError(error).message));
      }
    }
  }

  /** Stops every routine concurrently and waits for them up to `timeout`. */
  async stopAll(timeout: Duration): Promise<StopReport> {
    this.stopping = true;
    const all = [...this.routines.values()].map(({ routine }) => routine);
    if (all.length === 0) return { timedOut: [], errors: [], durationMs: 0 };
    const inFlight = all.reduce((sum, routine) => sum + routine.info().inFlight, 0);
    const waiting = typeof timeout === 'number' ? formatDuration(timeout) : timeout;
    this.logger.log(MESSAGES.stopping(all.length, inFlight, waiting));
    const report = await stopRoutines(all, { timeout, logger: this.logger });
    if (report.timedOut.length === 0) this.logger.log(MESSAGES.stopped(report.durationMs));
    this.events.complete();
    return report;
  }

  private registered(entry: BuiltRoutine): RegisteredRoutineInfo {
    const info = snapshotOf(entry);
    const stats = entry.history && runStats(entry.history.records(this.clock));
    const described: RegisteredRoutineInfo = {
      ...info,
      lastRun: info.lastRun && serializeOutcome(info.lastRun),
      enabled: entry.enabled,
      source: entry.declaration.source,
      removable: isRemovable(entry),
      health: healthOf(entry.routine, info, stats?.durationMs?.max, this.clock),
    };
    if (stats) described.stats = stats;
    return described;
  }

  /** Cluster routines on the in-memory coordinator are exclusive within this process only: say so. */
  private warnIfExclusiveHereOnly(entries: readonly BuiltRoutine[]): void {
    const names = entries
      .filter((entry) => entry.enabled && isClusterOnMemory(entry, this.context!))
      .map((entry) => entry.routine.name);
    if (names.length > 0) this.logger.warn(MESSAGES.clusterOnMemory(names.join(', ')));
  }

  private startEntry(entry: BuiltRoutine): void {
    entry.enabled = true;
    entry.routine.start();
    this.tellStarted([entry.routine.name]);
  }

  /** A routine runs once: one that stopped is built again from its declaration to start anew. */
  private rebuild(entry: BuiltRoutine): BuiltRoutine {
    const context = this.context!;
    const overrides = isRemovable(entry) ? undefined : context.overrides[entry.declaration.name];
    // It was built from the same declaration and options before: it builds again.
    return buildRoutine(entry.declaration, context, overrides).built!;
  }

  private mustBeTicking(routine: PeriodicRoutine, action: string): void {
    if (routine.state === 'running' || routine.state === 'paused') return;
    throw new RoutineActionError(
      routine.name,
      action,
      MESSAGES.notTicking(routine.name, routine.state),
    );
  }

  private entry(name: string): BuiltRoutine {
    const entry = this.routines.get(name);
    if (entry) return entry;
    throw new RoutineNotFoundError(String(name), [...this.routines.keys()]);
  }

  private periodic(name: string, action: string): PeriodicRoutine {
    const { routine } = this.entry(name);
    if (routine instanceof PeriodicRoutine) return routine;
    throw new RoutineActionError(name, action, MESSAGES.periodicOnly(action, name));
  }
}

function workerInfo(built: BuiltWorker): WorkerInfo {
  const { name } = built;
  return {
    name,
    get inFlight() {
      return built.worker.inFlight;
    },
    counts: () => built.table.counts(),
    notify: () => built.worker.notify(),
    enqueue: async (payload, options) => {
      if (built.queue === undefined) {
        throw new RoutineActionError(name, 'enqueue', MESSAGES.notAQueue(name));
      }
      const id = await built.store.enqueue(built.queue, payload, options);
      if (!options?.client) built.worker.notify(); // committed already: look now
      return id;
    },
    history: (options = {}) => built.history?.records(options.limit) ?? [],
    stats: () => jobStats(built.history?.records() ?? []),
  };
}

/** Longest pause note and author kept: a note is for people, not a payload. */
const MAX_NOTE = 1000;
const MAX_BY = 200;

/** @internal `pause()`'s note and author, checked: a RangeError names the routine, the option and the value. */
export function checkPauseInfo(
  name: string,
  options: PauseInfo | undefined,
): PauseInfo | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new RangeError(
      MESSAGES.badPauseOption(name, 'options', options, 'must be { note?, by? }'),
    );
  }
  for (const [option, max] of [
    ['note', MAX_NOTE],
    ['by', MAX_BY],
  ] as const) {
    const value = options[option];
    if (value !== undefined && (typeof value !== 'string' || value.length > max)) {
      throw new RangeError(
        MESSAGES.badPauseOption(
          name,
          option,
          value,
          `must be a string of at most ${max} characters`,
        ),
      );
    }
  }
  return options;
}

/** A routine's own snapshot, `disabled` where it was declared so and never started. */
function snapshotOf({ routine, enabled }: BuiltRoutine): RoutineInfo {
  const info = routine.info();
  if (!enabled && info.state === 'idle') info.state = 'disabled';
  return info;
}

/**
 * A cluster routine that is exclusive within this process only: worth a warning. (`scope`
 * rather than info(): info() builds a whole snapshot, per routine, at bootstrap.)
 */
function isClusterOnMemory({ routine }: BuiltRoutine, context: BuildContext): boolean {
  return (
    (routine as { scope?: string }).scope === 'cluster' && context.coordinator.kind === 'memory'
  );
}

/** Routines added with `add()` may be removed; decorated ones stay. */
function isRemovable({ declaration }: BuiltRoutine): boolean {
  return declaration.methodName === undefined && declaration.source.startsWith(ADDED);
}

/** States a routine has left for good: `start(name)` builds it again. */
const RESTARTABLE: ReadonlySet<RoutineState> = new Set([
  'stopping',
  'stopped',
  'failed',
  'completed',
]);

function serializeOutcome(outcome: RunOutcome): RegisteredRunOutcome {
  if (outcome.error === undefined) return outcome as RegisteredRunOutcome;
  return { ...outcome, error: serializeError(outcome.error) };
}

/** `{ name, message }` for JSON, with a non-enumerable `stack` for code that reads it. */
export function serializeError(error: unknown): SerializedError {
  const serialized: SerializedError = summarizeError(error);
  const { stack } = describeError(error);
  if (stack !== undefined) {
    Object.defineProperty(serialized, 'stack', { value: stack, enumerable: false });
  }
  return serialized;
}

/** A routine handed to `add()`, as the factory takes a decorated one; or why it cannot be one. */
function addedDeclaration(
  name: unknown,
  handler: unknown,
  options: unknown,
  source: string,
): { declaration?: RoutineDeclaration; problems: ConfigurationProblem[] } {
  const problems: ConfigurationProblem[] = [];
  if (typeof name !== 'string' || name.trim() === '') {
    problems.push({ option: 'name', value: name, message: MESSAGES.badName });
  }
  if (typeof options !== 'object' || options === null) {
    problems.push({ option: 'options', value: options, message: MESSAGES.addOptions });
    return { problems };
  }
  const { kind = 'periodic', ...rest } = options as AddRoutineOptions;
  if (kind !== 'periodic' && kind !== 'background') {
    problems.push({ option: 'kind', value: kind, message: MESSAGES.badKind });
    return { problems };
  }
  const entryPoint = kind === 'periodic' ? 'handle' : 'start';
  const instance =
    typeof handler === 'function'
      ? { [entryPoint]: handler }
      : typeof handler === 'object' &&
          handler !== null &&
          typeof (handler as Record<string, unknown>)[entryPoint] === 'function'
        ? handler
        : undefined;
  if (!instance) {
    problems.push({
      option: 'handler',
      value: handler,
      message: MESSAGES.badHandler(kind, entryPoint),
    });
  }
  if (problems.length > 0) return { problems };
  return {
    declaration: {
      kind,
      name: name as string,
      source,
      instance: instance!,
      options: rest,
    },
    problems,
  };
}

function scheduleOf(routine: ManagedRoutine): string {
  // Not info(): that builds a whole snapshot, for every routine at startup (measured).
  const schedule = routine instanceof PeriodicRoutine ? routine.schedule : 'background';
  return (routine as { scope?: string }).scope === 'cluster' ? `${schedule}, cluster` : schedule;
}
