// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import { Injectable, Logger } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import {
  PeriodicRoutine,
  systemClock,
  type BackfillOptions,
  type BackfillReport,
  type Clock,
  type Duration,
  type IntervalSpec,
  type PauseInfo,
  type RoutineEvent,
  type RoutineEventListener,
  type RoutineInfo,
  type StopReport,
  type TriggerOptions,
} from '../core';
import type { RunRecord } from '../observability';
import type { RunStatsBucket } from '../core';
import type {
  RunHistoryOptions,
  RunStatsOptions,
} from './interfaces/run-history-options.interface';
import {
  asksForRange,
  historyQuery,
  readRing,
  recordOf,
  ringRuns,
  ringStats,
  statsQuery,
} from './registry/history-query';
import type { AddedHandler, AddRoutineOptions } from './interfaces/add-routine-options.interface';
import type {
  RegisteredRoutineInfo,
  RegisteredRunOutcome,
} from './interfaces/registered-routine.interface';
import type { RegistryPlugin, RegistryRuntime } from './interfaces/registry-plugin.interface';
import type { RoutineDescription } from './interfaces/routine-description.interface';
import type { WorkerInfo } from './interfaces/worker-info.interface';
import { MESSAGES } from './nest.messages';
import { buildAddedRoutine } from './registry/added-routine';
import { registeredInfo, snapshotOf } from './registry/registered-routine';
import { RegistryPlugins } from './registry/registry-plugins';
import {
  mustBeClusterBackground,
  mustBeRemovable,
  pauseRoutine,
  resumeRoutine,
  RESTARTABLE,
  setRoutineInterval,
} from './registry/routine-control';
import { describeRoutine } from './registry/routine-description';
import {
  rebuilt,
  startEnabled,
  stopEvery,
  warnIfExclusiveHereOnly,
} from './registry/start-and-stop';
import { serializeOutcome } from './registry/serialized-outcome';
import { workerInfo } from './registry/worker-info';
import type { BuildContext, BuiltRoutine } from './routine.factory';
import { RoutineActionError, RoutineNotFoundError } from './routines.errors';
import { RoutinesMigrations } from '../migrations/routines-migrations';
import type { BuiltWorker } from '../worker/worker.factory';

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
  private readonly plugins = new RegistryPlugins(this.logger);
  private readonly builtWorkers = new Map<string, BuiltWorker>();

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
  history(
    name: string,
    options?: { limit?: number; from?: never; to?: never; replica?: never },
  ): RunRecord[];
  /**
   * With any of `from`, `to` or `replica`: the runs of every replica from the coordinator's run
   * history (see the module option `history`), newest first, each with its `replica`, at most
   * `limit` (default 100, at most 1,000). Runs this replica has not sent yet are sent first.
   * Without an engine history, this replica's ring, filtered alike. Rejects with
   * {@link RoutineNotFoundError}, or a RangeError for a bad option.
   *
   * @example
   * const lastHour = await registry.history('hard-deleter', { from: Date.now() - 3_600_000 });
   */
  history(name: string, options: RunHistoryOptions): Promise<RunRecord[]>;
  history(name: string, options: RunHistoryOptions = {}): RunRecord[] | Promise<RunRecord[]> {
    if (asksForRange(options)) {
      return Promise.resolve().then(() => this.readHistory(name, options));
    }
    const { history } = this.entry(name);
    return history ? history.records(this.clock, options.limit) : [];
  }

  /**
   * A routine's runs counted by hour or by UTC day, oldest first, empty buckets left out: from
   * the coordinator's run history (every replica; kept 7 days hourly, 90 days daily, whatever
   * was pruned of the raw runs), else over this replica's ring. Rejects with
   * {@link RoutineNotFoundError}, or a RangeError for a bad option.
   *
   * @example
   * const buckets = await registry.runStats('hard-deleter', { by: 'hour' });
   * const failedToday = buckets.reduce((sum, bucket) => sum + bucket.failed, 0);
   */
  async runStats(name: string, options: RunStatsOptions): Promise<RunStatsBucket[]> {
    return this.readStats(name, options);
  }

  /**
   * @internal The history query behind `history(name, { from, to, replica })`, for a routine
   * this replica may not run (the dashboard asks for one it saw on another replica).
   */
  async readHistory(
    name: string,
    options: RunHistoryOptions,
    anyName = false,
  ): Promise<RunRecord[]> {
    const query = historyQuery(options);
    const entry = anyName ? this.routines.get(name) : this.entry(name);
    const writer = this.context?.historyWriter;
    const store = this.context?.coordinator.history;
    if (writer && store) {
      if (writer.pending > 0) await writer.flush();
      return (await store.read(name, query)).map(recordOf);
    }
    if (!entry) return [];
    return readRing(ringRuns(name, entry, this.clock, this.replicaId), query);
  }

  /** @internal `runStats`, for a routine this replica may not run (see `readHistory`). */
  async readStats(
    name: string,
    options: RunStatsOptions,
    anyName = false,
  ): Promise<RunStatsBucket[]> {
    const query = statsQuery(options);
    const entry = anyName ? this.routines.get(name) : this.entry(name);
    const writer = this.context?.historyWriter;
    const store = this.context?.coordinator.history;
    if (writer && store) {
      if (writer.pending > 0) await writer.flush();
      return store.stats(name, query);
    }
    if (!entry) return [];
    return ringStats(ringRuns(name, entry, this.clock, this.replicaId), query);
  }

  /** @internal Where `registry.history(name, { from })` reads: 'engine' or 'this replica'. */
  get historySource(): 'engine' | 'this replica' {
    return this.context?.historyWriter && this.context.coordinator.history
      ? 'engine'
      : 'this replica';
  }

  /** This process's replica id, as the run history and the dashboard name it. */
  private get replicaId(): string {
    return this.context?.replica?.id ?? '';
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
   * Cancels a periodic routine's runs in flight here: their signals abort with a
   * `RoutineCancelledError`, a run that ends by it is `cancelled` in the history (not
   * `failed`), and the schedule goes on. Returns how many runs were told (0: none in
   * flight). A background routine is a {@link RoutineActionError}: `stop(name)` or
   * `restart(name)` ends its attempt.
   *
   * @example
   * const cancelled = registry.cancel('report'); // 1
   */
  cancel(name: string): number {
    return this.periodic(name, 'cancel').cancelRuns();
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
    pauseRoutine(this.periodic(name, 'pause'), name, options);
  }

  /** Resumes a paused periodic routine at its next tick; resuming a running one does nothing. */
  resume(name: string): void {
    resumeRoutine(this.periodic(name, 'resume'));
  }

  /**
   * Changes a periodic routine's interval, or a cron routine's expression, at run time; the
   * next run is one new interval from now. An interval for a cron routine (or a cron for an
   * interval one) is a {@link RoutineActionError}; a bad value a `RangeError`.
   */
  setInterval(name: string, interval: IntervalSpec): void {
    setRoutineInterval(this.periodic(name, 'setInterval'), name, interval);
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
    return describeRoutine(name, routine, this.entry(name), this.clock);
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
    const fresh = rebuilt(entry, this.context!);
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
    if (this.stopping) throw new RoutineActionError(String(name), 'add', MESSAGES.shuttingDown);
    if (!this.context) throw new RoutineActionError(String(name), 'add', MESSAGES.notInitialised);
    const entry = buildAddedRoutine(name, handler, options, this.context, (taken) =>
      this.routines.has(taken),
    );
    this.routines.set(entry.routine.name, entry);
    warnIfExclusiveHereOnly(this.logger, this.context, [entry]);
    if (this.started && entry.enabled) this.startEntry(entry);
    return this.registered(entry);
  }

  /**
   * Stops a routine added with `add()`, waits for it, and forgets it. A routine declared with a
   * decorator cannot be removed ({@link RoutineActionError}): `stop(name)` stops it instead.
   */
  async remove(name: string): Promise<void> {
    const entry = mustBeRemovable(this.entry(name), name);
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
    mustBeClusterBackground(this.entry(name).routine, name);
    await this.context?.coordinator.resetCompletion?.(name);
  }

  /** @internal Adds an integration that follows the routines' lifecycle. */
  use(plugin: RegistryPlugin): void {
    this.plugins.add(plugin);
  }

  /** @internal The clock, coordinator and version the routines run with; undefined before bootstrap. */
  get runtime(): RegistryRuntime | undefined {
    const context = this.context;
    if (!context) return undefined;
    return {
      clock: this.clock,
      coordinator: context.coordinator,
      version: context.version,
      replica: context.replica,
    };
  }

  /** @internal Awaited by the module before routines first start: every plugin's `prepare`, once. */
  prepare(): Promise<void> {
    return this.plugins.prepare();
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
    warnIfExclusiveHereOnly(this.logger, context, built);
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
    const names = startEnabled(this.routines.values(), this.clock.now(), this.logger);
    if (names.length > 0) this.plugins.started(names);
  }

  /** Stops every routine concurrently and waits for them up to `timeout`. */
  async stopAll(timeout: Duration): Promise<StopReport> {
    this.stopping = true;
    if (this.routines.size === 0) return { timedOut: [], errors: [], durationMs: 0 };
    const report = await stopEvery(this.routines.values(), timeout, this.logger, this.clock);
    this.events.complete();
    return report;
  }

  private registered(entry: BuiltRoutine): RegisteredRoutineInfo {
    return registeredInfo(entry, this.clock);
  }

  private startEntry(entry: BuiltRoutine): void {
    entry.enabled = true;
    entry.routine.start();
    this.plugins.started([entry.routine.name]);
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
