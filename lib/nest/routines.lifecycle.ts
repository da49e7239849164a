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
import { DEFAULT_HISTORY, DEFAULT_SHUTDOWN_TIMEOUT } from './constants';
import type { RoutinesModuleOptions } from './interfaces/routines-module-options.interface';
import { buildRoutines, type BuildContext } from './routine.factory';
import { ROUTINES_MODULE_OPTIONS } from './routines.module-definition';
import { RoutinesExplorer } from './routines.explorer';
import { RoutinesRegistry } from './routines.registry';
import { buildWorkers } from './worker.factory';
import { buildMigrations } from '../migrations/migrations.factory';
import { passMigrationGate } from '../migrations/migrations.gate';

/** Beyond this a ring per routine costs more memory than a history is worth in process. */
const MAX_HISTORY = 10_000;

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

  constructor(
    private readonly explorer: RoutinesExplorer,
    private readonly registry: RoutinesRegistry,
    @Inject(ROUTINES_MODULE_OPTIONS) private readonly options: RoutinesModuleOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    const clock = this.options?.clock ?? systemClock;
    const coordinator = this.options?.coordinator ?? new InMemoryCoordinator(clock);
    const {
      declarations,
      problems: found,
      workers: declaredWorkers,
      migrations: declaredMigrations,
    } = this.explorer.explore();
    found.push(...this.claimOwnership(declarations.map((declaration) => declaration.instance)));
    const optionProblems = moduleOptionProblems(this.options);
    // Bad options are reported with the others, before any optional package is loaded.
    const features = optionProblems.length === 0 ? await this.loadFeatures() : {};
    const context: BuildContext = {
      overrides: this.options?.routines ?? {},
      coordinator,
      onEvent: this.registry.emit,
      version: this.options?.version,
      clock,
      history: this.options?.history ?? DEFAULT_HISTORY,
      ...features,
    };
    const workers =
      declaredWorkers.length > 0 && optionProblems.length === 0
        ? await buildWorkers(
            declaredWorkers,
            this.options?.workerStore,
            checkDuration(
              [],
              'shutdownTimeout',
              this.options?.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT,
            ) ?? 10_000,
            this.registry.emit,
            context,
          ).catch((error: unknown) => {
            this.metrics?.unregister();
            this.releaseOwnership();
            throw error;
          })
        : { declarations: [], workers: [], problems: [] };
    found.push(...workers.problems);
    declarations.push(...workers.declarations);
    const migrations = buildMigrations(
      declaredMigrations,
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
    this.registry.register(built, context, workers.workers);
    this.registry.migrations.bind(migrations.built);
    if (migrations.built.definitions.length > 0) {
      this.metrics?.watchMigrations(() => this.registry.migrations.list({ errors: 0 }));
    }
    if (workers.workers.length > 0) this.metrics?.watchWorkers(() => this.registry.workers());
    this.warnIfShutdownTimeoutTiny();
    await this.passMigrationGate(clock);
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
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Stops every routine once, waiting up to `shutdownTimeout`; later calls wait for the same stop. */
  stop(): Promise<void> {
    this.stopping ??= this.registry
      .stopAll(this.options?.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT)
      .then(() => this.options?.workerStore?.close?.())
      .then(() => undefined)
      .finally(() => {
        this.metrics?.unregister();
        this.releaseOwnership();
      });
    return this.stopping;
  }
}

function moduleOptionProblems(options: RoutinesModuleOptions | undefined): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  const source = 'RoutinesModule options';
  checkDuration(problems, 'shutdownTimeout', options?.shutdownTimeout);
  const coordinator = options?.coordinator as { claimSlot?: unknown } | undefined;
  if (coordinator !== undefined && typeof coordinator?.claimSlot !== 'function') {
    problems.push({
      option: 'coordinator',
      value: typeof coordinator,
      message: MESSAGES.notCoordinator,
    });
  }
  const clock = options?.clock as { now?: unknown; setTimer?: unknown } | undefined;
  if (
    clock !== undefined &&
    (typeof clock?.now !== 'function' || typeof clock.setTimer !== 'function')
  ) {
    problems.push({ option: 'clock', value: typeof clock, message: MESSAGES.notClock });
  }
  const history = options?.history;
  if (
    history !== undefined &&
    !(Number.isInteger(history) && history >= 0 && history <= MAX_HISTORY)
  ) {
    problems.push({ option: 'history', value: history, message: MESSAGES.badHistory(MAX_HISTORY) });
  }
  problems.push(...featureOptionProblems(options));
  if (options?.version !== undefined && typeof options.version !== 'string') {
    problems.push({
      option: 'version',
      value: options.version,
      message: MESSAGES.badVersion,
    });
  }
  return problems.map((problem) => ({ ...problem, source }));
}

/** `metrics`, `migrations`, `workerStore` and `tracing`: each off, `true`, or checked settings. */
function featureOptionProblems(options: RoutinesModuleOptions | undefined): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  metricsOptionProblems(options, problems);
  migrationsOptionProblems(options, problems);
  workerStoreProblems(options, problems);
  tracingOptionProblems(options, problems);
  return problems;
}

/** `metrics`: a boolean, or `{ registry, prefix }` with a prom-client registry and a valid prefix. */
function metricsOptionProblems(
  options: RoutinesModuleOptions | undefined,
  problems: ConfigurationProblem[],
): void {
  const metrics = options?.metrics;
  if (metrics !== undefined && typeof metrics !== 'boolean') {
    if (typeof metrics !== 'object' || metrics === null) {
      problems.push({ option: 'metrics', value: metrics, message: MESSAGES.badFeature('metrics') });
    } else {
      const registry = metrics.registry as { getSingleMetric?: unknown } | undefined;
      if (registry !== undefined && typeof registry?.getSingleMetric !== 'function') {
        problems.push({
          option: 'metrics.registry',
          value: typeof registry,
          message: MESSAGES.notPromRegistry,
        });
      }
      if (
        metrics.prefix !== undefined &&
        !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(String(metrics.prefix))
      ) {
        problems.push({
          option: 'metrics.prefix',
          value: metrics.prefix,
          message: MESSAGES.badMetricPrefix,
        });
      }
    }
  }
}

/** `migrations`: `{ require, wait }`, nothing else. */
function migrationsOptionProblems(
  options: RoutinesModuleOptions | undefined,
  problems: ConfigurationProblem[],
): void {
  const migrations = options?.migrations as Record<string, unknown> | undefined;
  if (migrations !== undefined) {
    if (typeof migrations !== 'object' || migrations === null) {
      problems.push({
        option: 'migrations',
        value: migrations,
        message: MESSAGES.migrationsObject,
      });
    } else {
      const required = migrations.require;
      if (
        required !== undefined &&
        !(Array.isArray(required) && required.every((id) => typeof id === 'string' && id !== ''))
      ) {
        problems.push({
          option: 'migrations.require',
          value: required,
          message: MESSAGES.requireList,
        });
      }
      if (migrations.wait !== undefined)
        checkDuration(problems, 'migrations.wait', migrations.wait);
      for (const key of Object.keys(migrations)) {
        if (key !== 'require' && key !== 'wait') {
          problems.push({
            option: `migrations.${key}`,
            value: migrations[key],
            message: MESSAGES.unknownMigrationsOption,
          });
        }
      }
    }
  }
}

/** `workerStore`: a `PostgresWorkerStore` (anything with `table()`). */
function workerStoreProblems(
  options: RoutinesModuleOptions | undefined,
  problems: ConfigurationProblem[],
): void {
  const store = options?.workerStore as { table?: unknown } | undefined;
  if (store !== undefined && typeof store?.table !== 'function') {
    problems.push({ option: 'workerStore', value: typeof store, message: MESSAGES.notWorkerStore });
  }
}

/** `tracing`: a boolean, or `{ tracer }` with an OpenTelemetry tracer. */
function tracingOptionProblems(
  options: RoutinesModuleOptions | undefined,
  problems: ConfigurationProblem[],
): void {
  const tracing = options?.tracing;
  if (tracing !== undefined && typeof tracing !== 'boolean') {
    const tracer = (tracing as { tracer?: { startActiveSpan?: unknown } } | null)?.tracer;
    if (typeof tracing !== 'object' || tracing === null) {
      problems.push({ option: 'tracing', value: tracing, message: MESSAGES.badFeature('tracing') });
    } else if (tracer !== undefined && typeof tracer?.startActiveSpan !== 'function') {
      problems.push({
        option: 'tracing.tracer',
        value: typeof tracer,
        message: MESSAGES.notTracer,
      });
    }
  }
}
