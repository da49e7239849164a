import { MESSAGES } from './nest.messages';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import {
  checkDuration,
  InMemoryCoordinator,
  systemClock,
  RoutinesConfigurationError,
  type Clock,
  type ConfigurationProblem,
} from '../core';
import { createRoutinesMetrics, type RoutinesMetrics } from '../observability/routines-metrics';
import { createRunTracer } from '../observability/run-tracer';
import { DEFAULT_SHUTDOWN_TIMEOUT } from './constants';
import {
  DEFAULT_KEEP_FOR_MS,
  DEFAULT_KEEP_RUNS,
  resolveHistory,
  type ResolvedHistory,
} from './history-options';
import { historyWriterFor } from './history-writer.factory';
import { replicaIdentity } from './replica-identity';
import type { HistoryWriter } from '../observability/history-writer';
import type { RoutinesModuleOptions } from './interfaces/routines-module-options.interface';
import { moduleOptionProblems } from './module-option-problems';
import { buildRoutines, type BuildContext, type BuiltRoutine } from './routine.factory';
import { ROUTINES_MODULE_OPTIONS } from './routines.module-definition';
import { RoutinesExplorer, type Explored } from './routines.explorer';
import { RoutinesRegistry } from './routines.registry';
import { buildWorkers, type BuiltWorker } from '../worker/worker.factory';
import { buildMigrations, type BuiltMigrations } from '../migrations/migrations.factory';
import { passMigrationGate } from '../migrations/migrations.gate';
import { checkShutdownHooksSoon } from './shutdown-hooks-warning';
import { warningOn } from './warning-switches';
import { recordProvidedClasses, unprovidedClassWarnings } from './unprovided-classes';

/** What routines are built with while the module options have problems (they are then reported). */
const UNCHECKED_HISTORY: ResolvedHistory = {
  limit: 0,
  engine: false,
  keepForMs: DEFAULT_KEEP_FOR_MS,
  keepRuns: DEFAULT_KEEP_RUNS,
};

/** Below this, a `shutdownTimeout` is almost surely seconds written as a bare number. */
const MIN_SENSIBLE_SHUTDOWN_TIMEOUT_MS = 100;

/** Which lifecycle owns a provider's routines: a second RoutinesModule in one app must not start them again. */
const owners = new WeakMap<object, RoutinesLifecycle>();

/**
 * Ties routines to Nest's lifecycle: checks and builds them once every provider exists
 * (`onModuleInit`), starts them on `onApplicationBootstrap`, and stops them on shutdown.
 *
 * When they stop: Nest's shutdown runs every module's `onModuleDestroy`, then every
 * `beforeApplicationShutdown`, then closes the HTTP server, then runs every
 * `onApplicationShutdown`, awaiting each hook in turn. Routines drain at the very start of
 * the first phase, before any other provider's `onModuleDestroy` (see `RoutinesDrain`), so
 * every client, pool and server the app closes in any hook is still open for the last run.
 * This module's own `onModuleDestroy` (Nest visits global modules last) waits for the same
 * drain, in case the drain host was not visited first.
 */
@Injectable()
export class RoutinesLifecycle implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RoutinesModule');
  /** The provider instances whose routines this app runs (see `claimOwnership`). */
  private owned: object[] = [];
  private stopping: Promise<void> | undefined;
  private metrics: RoutinesMetrics | undefined;
  private historyWriter: HistoryWriter | undefined;

  constructor(
    private readonly explorer: RoutinesExplorer,
    private readonly registry: RoutinesRegistry,
    @Inject(ROUTINES_MODULE_OPTIONS) private readonly options: RoutinesModuleOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    const clock = this.options?.clock ?? systemClock;
    const coordinator = this.options?.coordinator ?? new InMemoryCoordinator(clock);
    const explored = this.explorer.explore();
    this.warnAboutUnprovidedClasses(explored.classes);
    const { declarations, problems: found } = explored;
    found.push(...this.claimOwnership(declarations.map((declaration) => declaration.instance)));
    const optionProblems = moduleOptionProblems(this.options);
    // Bad options are reported with the others, before any optional package is loaded.
    const features = optionProblems.length === 0 ? await this.loadFeatures() : {};
    // A bad clock or coordinator is reported with the other problems: not called before that.
    const healthy = optionProblems.length === 0;
    const replica = replicaIdentity(healthy ? clock.wallNow() : Date.now(), this.options?.version);
    const history = healthy ? resolveHistory(this.options, coordinator) : UNCHECKED_HISTORY;
    this.historyWriter = historyWriterFor(history, coordinator, replica.id, clock, this.logger);
    const context: BuildContext = {
      overrides: this.options?.routines ?? {},
      coordinator,
      onEvent: this.registry.emit,
      version: this.options?.version,
      clock,
      history: history.limit,
      historyWriter: this.historyWriter,
      replica,
      ...features,
    };
    const workers =
      explored.workers.length > 0 && optionProblems.length === 0
        ? await this.buildWorkers(explored.workers, context)
        : { declarations: [], workers: [], problems: [] };
    found.push(...workers.problems);
    declarations.push(...workers.declarations);
    const migrations = buildMigrations(
      explored.migrations,
      coordinator,
      clock,
      this.registry.emit,
      this.metrics,
      context.overrides,
    );
    found.push(...migrations.problems);
    declarations.push(...migrations.declarations);
    // routines['out-of-band-migrations'] applies to each migration's routine.
    context.overrides = migrations.overrides;
    const { built, problems } = buildRoutines(declarations, context);
    const all = [...found, ...problems, ...optionProblems];
    if (all.length > 0) {
      this.metrics?.unregister();
      this.releaseOwnership(); // the app does not start: a later one may use these providers
      throw new RoutinesConfigurationError(all);
    }
    this.register(built, context, workers.workers, migrations.built);
    this.warnIfShutdownTimeoutTiny();
    await this.passMigrationGate(clock);
  }

  /** The app's `@Worker` classes built; if that throws, the app does not start. */
  private buildWorkers(
    found: Explored['workers'],
    context: BuildContext,
  ): ReturnType<typeof buildWorkers> {
    const shutdownTimeout = this.options?.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
    return buildWorkers(
      found,
      this.options?.workerStore,
      checkDuration([], 'shutdownTimeout', shutdownTimeout) ?? 10_000,
      this.registry.emit,
      context,
    ).catch((error: unknown) => {
      this.metrics?.unregister();
      this.releaseOwnership();
      throw error;
    });
  }

  /** Hands what was built to the registry, and the migrations and workers to the metrics. */
  private register(
    built: BuiltRoutine[],
    context: BuildContext,
    workers: BuiltWorker[],
    migrations: BuiltMigrations,
  ): void {
    this.registry.register(built, context, workers);
    this.registry.migrations.bind(migrations);
    if (migrations.definitions.length > 0) {
      this.metrics?.watchMigrations(() => this.registry.migrations.list({ errors: 0 }));
    }
    if (workers.length > 0) this.metrics?.watchWorkers(() => this.registry.workers());
  }

  /** Refuses to bootstrap while a required out-of-band migration is incomplete (or waits for it). */
  private async passMigrationGate(clock: Clock): Promise<void> {
    const { require: required = [], wait } = this.options?.migrations ?? {};
    const waitMs = wait === undefined ? 0 : (checkDuration([], 'migrations.wait', wait) ?? 0);
    // Each migration's own routine (its lease): started here early when waiting.
    const runners = this.registry.migrations.routines;
    try {
      await passMigrationGate(
        required,
        runners.length > 0 ? waitMs : 0,
        this.registry.migrations,
        async () => void (await Promise.all(runners.map((name) => this.registry.start(name)))),
        clock,
        this.logger,
      );
    } catch (error) {
      await Promise.all(runners.map((name) => this.registry.stop(name)));
      this.metrics?.unregister();
      this.releaseOwnership();
      throw error;
    }
  }

  /** Tracing and metrics, when asked for: their packages are loaded now, and only then. */
  private async loadFeatures(): Promise<Pick<BuildContext, 'tracer' | 'metrics'>> {
    const { tracing, metrics } = this.options ?? {};
    try {
      const tracer = tracing ? await createRunTracer(tracing) : undefined;
      this.metrics = metrics
        ? await createRoutinesMetrics(metrics, () => this.registry.snapshots())
        : undefined;
      return { tracer, metrics: this.metrics };
    } catch (error) {
      this.releaseOwnership();
      throw error;
    }
  }

  /** Decorated classes no module provides: their routines would never run, without a word. */
  private warnAboutUnprovidedClasses(classes: Set<object>): void {
    recordProvidedClasses(classes);
    if (!warningOn(this.options, 'unprovidedClasses')) return;
    const setting = this.options?.warnings?.unprovidedClasses;
    const leftOut = new Set<object>(typeof setting === 'object' ? setting.except : []);
    for (const warning of unprovidedClassWarnings(leftOut)) this.logger.warn(warning);
  }

  /** `SHUTDOWN_TIMEOUT=10` from an environment file means 10 ms, not 10 s: say so. */
  private warnIfShutdownTimeoutTiny(): void {
    const value = this.options?.shutdownTimeout;
    const ms = value === undefined ? undefined : checkDuration([], 'shutdownTimeout', value);
    if (ms !== undefined && ms < MIN_SENSIBLE_SHUTDOWN_TIMEOUT_MS) {
      this.logger.warn(MESSAGES.tinyShutdownTimeout(value!, ms));
    }
  }

  private claimOwnership(instances: object[]): ConfigurationProblem[] {
    const taken = instances.find(
      (instance) => owners.has(instance) && owners.get(instance) !== this,
    );
    if (taken) {
      return [
        {
          source: 'RoutinesModule',
          option: 'imports',
          value: 'RoutinesModule.forRoot / forRootAsync',
          message: MESSAGES.importedTwice,
        },
      ];
    }
    for (const instance of instances) owners.set(instance, this);
    this.owned = instances;
    return [];
  }

  /**
   * Once this app's routines have stopped, its providers are free again: a `useValue` instance
   * shared by two test apps, the first one closed, runs in the second.
   */
  private releaseOwnership(): void {
    for (const instance of this.owned) if (owners.get(instance) === this) owners.delete(instance);
    this.owned = [];
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.registry.prepare();
    if (this.options?.autoStart !== false) this.registry.startAll();
    if (warningOn(this.options, 'shutdownHooks')) {
      checkShutdownHooksSoon(this.logger, () => this.stopping !== undefined);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /**
   * What the last runs recorded, sent to the engine within what is left of the shutdown
   * deadline (at least half a second: the routines may have used all of it).
   */
  private async flushHistory(timeout: string | number, startedAt: number): Promise<void> {
    if (!this.historyWriter) return;
    const timeoutMs = checkDuration([], 'shutdownTimeout', timeout) ?? 10_000;
    const left = Math.max(500, startedAt + timeoutMs - this.clock.now());
    await this.historyWriter.close(left);
  }

  /** The routines' clock (monotonic): the shutdown deadline is measured on it, as the routines' own. */
  private get clock(): Clock {
    return this.options?.clock ?? systemClock;
  }

  /** Stops every routine once, waiting up to `shutdownTimeout`; later calls wait for the same stop. */
  stop(): Promise<void> {
    const timeout = this.options?.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
    const startedAt = this.clock.now();
    this.stopping ??= this.registry
      .stopAll(timeout)
      .then(() => this.flushHistory(timeout, startedAt))
      .then(() => this.options?.workerStore?.close?.())
      .then(() => undefined)
      .finally(() => {
        this.metrics?.unregister();
        this.releaseOwnership();
      });
    return this.stopping;
  }
}
