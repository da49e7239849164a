import type { MetricsOptions, TracingOptions } from '../../observability';
import type { Clock, Coordinator, Duration } from '../../core';
import {
  BACKGROUND_OPTION_NAMES,
  PERIODIC_OPTION_NAMES,
  type EveryKeyListed,
} from '../../core/option-names';
import type {
  BackgroundRoutineDecoratorOptions,
  PeriodicRoutineDecoratorOptions,
} from './routine-declaration.interface';
import type { PostgresWorkerStore } from '../../worker';
import type { MigrationsModuleOptions } from '../../migrations/interfaces/migrations-module-options.interface';

/**
 * Per-routine settings in the module options; they override the decorator's: every option of
 * `@Periodic` and `@BackgroundRoutine` but `name`, with the same types. Every key is optional;
 * a key not listed here is reported as a configuration error, one of the other kind as well.
 */
export type RoutineOverrides = Omit<
  PeriodicRoutineDecoratorOptions & BackgroundRoutineDecoratorOptions,
  'name'
>;

/**
 * The module option `history` as an object: the ring in this process, and the run history the
 * coordinator's engine keeps for every replica (Redis, PostgreSQL: see `Coordinator.history`).
 * Runs go to the engine in batches (every second, or 500 runs), off the runs' path; the engine
 * keeps raw runs by age and count, and hourly stats for 7 days and daily stats for 90 days,
 * whatever was pruned of the raw runs.
 *
 * @example
 * RoutinesModule.forRoot({ coordinator: new RedisCoordinator(redis), history: { keepFor: '2d' } });
 */
export interface RoutinesHistoryOptions {
  /** Runs kept per routine in this process's ring (`history: 100` as a number). Default: 100; 0 keeps none. */
  limit?: number;
  /**
   * Send every run to the coordinator's run history. Default: true when the coordinator has one
   * and is shared by processes (Redis, PostgreSQL); false on the in-memory coordinator, whose
   * history would only repeat the ring. `true` with a coordinator without history is an error.
   */
  engine?: boolean;
  /** How long the engine keeps raw runs. Default: '7d'; at most '366d'. */
  keepFor?: Duration;
  /** The most raw runs the engine keeps per routine, the newest. Default: 10,000; at most 1,000,000. */
  keepRuns?: number;
}

/**
 * Options of `RoutinesModule.forRoot()` / `forRootAsync()`.
 *
 * @example
 * RoutinesModule.forRoot({
 *   shutdownTimeout: '10s',
 *   routines: { 'hard-deleter': { interval: '30s' }, 'queue-consumer': { enabled: false } },
 * })
 */
export interface RoutinesModuleOptions {
  /** Longest wait for routines to stop on shutdown; the ones still running are logged by name. Default: '10s'. */
  shutdownTimeout?: Duration;
  /** Settings by routine name, overriding the decorators. A name that matches no routine is an error. */
  routines?: Record<string, RoutineOverrides>;
  /** Exclusivity across replicas for `scope: 'cluster'` routines. Default: in memory (one process). */
  coordinator?: Coordinator;
  /**
   * The app's version (a deploy id, a git sha, e.g. `process.env.GIT_SHA`). A cluster
   * background routine whose `start` returns is recorded as completed under it, and runs
   * again only under another version (or after `registry.resetCompletion(name)`). Default: ''.
   */
  version?: string;
  /** Start routines on application bootstrap. Default: true. With false, call `registry.startAll()`. */
  autoStart?: boolean;
  /**
   * The clock every routine runs on. Default: the system clock. Tests pass a `ManualClock` to
   * drive schedules, timeouts and backoff without waiting:
   *
   * @example
   * const clock = new ManualClock(Date.UTC(2026, 0, 1));
   * RoutinesModule.forRoot({ clock });
   * // ...
   * await clock.advance(60_000); // every routine due in that minute has run
   */
  clock?: Clock;
  /**
   * Run history. A number: how many of its last runs (and skipped ticks) each routine keeps in
   * this process, for `registry.history(name)` and the `stats` and `health` of
   * `registry.get(name)` (a ring of this size, made at a routine's first run). Default: 100;
   * 0 keeps none. An object also says what the coordinator's engine keeps for every replica
   * (see {@link RoutinesHistoryOptions}).
   *
   * @example
   * RoutinesModule.forRoot({ coordinator, history: { limit: 100, keepFor: '3d', keepRuns: 5_000 } });
   */
  history?: number | RoutinesHistoryOptions;
  /**
   * Prometheus metrics through prom-client (an optional peer: `npm install prom-client`):
   * `true` registers them in prom-client's default registry, or give `{ registry, prefix }`.
   * Default: off.
   *
   * @example
   * RoutinesModule.forRoot({ metrics: true }); // then expose the default registry at /metrics
   */
  metrics?: boolean | MetricsOptions;
  /**
   * One OpenTelemetry span per run through @opentelemetry/api (an optional peer), with the
   * handler running inside it: `true` uses the app's registered tracer provider, or give
   * `{ tracer }`. Default: off.
   */
  tracing?: boolean | TracingOptions;
  /**
   * Where `@Worker` classes find their tables: `new PostgresWorkerStore(pool)` with the app's
   * `pg.Pool`. Required as soon as one `@Worker` exists.
   */
  workerStore?: PostgresWorkerStore;
  /**
   * Out-of-band migrations: `require` names those that must be complete before this version
   * starts (bootstrap is refused with a `MigrationsIncompleteError` naming each one's
   * progress); `wait` runs them here and waits up to that long instead of refusing at once.
   *
   * @example
   * RoutinesModule.forRoot({ migrations: { require: ['backfill-upload-size'], wait: '10m' } })
   */
  migrations?: MigrationsModuleOptions;
  /**
   * Warnings at boot about setups that lose work without a word. Each is on by default,
   * except under a test runner (Jest, Vitest, `node --test`, or `NODE_ENV=test`), where test
   * apps close themselves and test files declare classes for other apps; `true` turns one on
   * everywhere, `false` off.
   *
   * @example
   * RoutinesModule.forRoot({ warnings: { shutdownHooks: false } }) // this app calls app.close() itself
   */
  warnings?: RoutinesWarnings;
}

/** The switches of {@link RoutinesModuleOptions.warnings}. */
export interface RoutinesWarnings {
  /**
   * The app has not called `app.enableShutdownHooks()`: on SIGTERM the process exits without
   * stopping routines, and runs in flight are cut off. Checked one turn after bootstrap.
   */
  shutdownHooks?: boolean;
  /**
   * A class declares routines (`@Periodic`, `@BackgroundRoutine`, `@Worker`,
   * `@OutOfBandMigration`) but is a provider of no module in the app: its routines never run.
   * `{ except: [...] }` names classes left out on purpose (a worker provided only when its
   * database is configured, say) and keeps the warning for the others.
   *
   * @example
   * RoutinesModule.forRoot({ warnings: { unprovidedClasses: { except: [ThumbnailRenderer] } } })
   */
  unprovidedClasses?: boolean | { except: readonly (abstract new (...args: never[]) => unknown)[] };
}

/** The keys of {@link RoutineOverrides}, from the option lists: every decorator option but `name`. */
export const ROUTINE_OVERRIDE_KEYS: readonly (keyof RoutineOverrides)[] = [
  'enabled',
  ...new Set([...PERIODIC_OPTION_NAMES, ...BACKGROUND_OPTION_NAMES]),
].filter((key): key is keyof RoutineOverrides => key !== 'name');
type _EveryOverride = EveryKeyListed<
  Exclude<
    keyof RoutineOverrides,
    'enabled' | (typeof PERIODIC_OPTION_NAMES)[number] | (typeof BACKGROUND_OPTION_NAMES)[number]
  >
>;
