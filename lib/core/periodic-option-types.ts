import type { RunRecorder } from './run-ledger';
import type { Clock } from './clock';
import type { Coordinator } from '../cluster/ports/coordinator';
import type { Duration } from './duration';
import type { CatchUpOptions } from './catch-up';
import type { LeaseOptions } from '../cluster/lease-keeper';
import type { RoutineLogger } from './logger';
import type { OverlapPolicy, RoutineEventListener, RoutineScope } from './routine';
import type { IntervalSpec } from './schedule';

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
   * function returning a duration, read after every run (the next tick is due that long after
   * the run ends). Default: 1 s.
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
  /**
   * The shorthand of earlier versions: `'once'` is `catchup: { window: Infinity, max: 1 }` (the
   * last due time missed runs, however late), `'skip'` is no catch-up (the default).
   */
  missed?: 'skip' | 'once';
  /**
   * Due times that could not run on time (an event-loop stall or suspended VM, a pause, a
   * start after downtime, every replica down) and started no later than `window` after they
   * were due run in order, at most `max` (default 1), the most recent; older ones are counted
   * as skipped `missed`. In cluster scope each is claimed as its slot, so it runs once.
   *
   * @example
   * @Periodic({ cron: '0 3 * * *' }, { scope: 'cluster', catchup: { window: '6h' } })
   */
  catchup?: CatchUpOptions;
  /**
   * What a tick that falls while a run is in flight does (Temporal's overlap policies):
   * `'skip'` (default; counted as skipped `busy`), `'buffer-one'` (one run right after the one
   * in flight; ticks meanwhile skipped), `'buffer-all'` (every such tick queued, up to
   * `maxBuffered`, run one after another), `'cancel-other'` (the run in flight has its signal
   * aborted; this tick runs once it settles, or after `timeout` at the latest), `'allow'` (up to
   * `concurrency` runs at once). Default: 'skip', or 'allow' with `concurrency` above 1.
   */
  overlap?: OverlapPolicy;
  /** `overlap: 'buffer-all'`: most ticks waiting; beyond, ticks are skipped and counted. Default: 100. */
  maxBuffered?: number;
  /** No tick is due before this time (a Date, epoch ms or an ISO string); the grid starts there. */
  startAt?: Date | number | string;
  /** No tick is due after this time; the first one past it makes the routine `completed`. */
  endAt?: Date | number | string;
  /** After this many scheduled runs (triggers aside) the routine is `completed`. Instance scope only. */
  maxRuns?: number;
  /**
   * On the shared grid (cluster scope, or `align: true`), this far past each multiple of the
   * interval since the epoch: `'1h'` with phase `'19m'` runs at xx:19. Below the interval.
   */
  phase?: Duration;
  /**
   * Cluster scope: the run marker that holds `overlap` across replicas, kept like a lease:
   * `ttl` (default '15s': how long a killed replica's run holds the next slots back),
   * `renewEvery` (default a third of it) and `retryEvery` (how often a waiting slot asks
   * again; default '500ms').
   */
  lease?: LeaseOptions;
  /**
   * Instance scope: tick on the wall-clock grid every replica computes (multiples of the
   * interval since the epoch, plus `phase`) instead of from the routine's start. Default: false.
   */
  align?: boolean;
}

/** Runtime collaborators; all optional. */
export interface PeriodicRoutineOptions extends PeriodicOptions {
  clock?: Clock;
  logger?: RoutineLogger;
  coordinator?: Coordinator;
  onEvent?: RoutineEventListener;
  /** Random numbers in [0, 1) for jitter. */
  random?: () => number;
  /** @internal Where each run and skipped tick goes: the Nest module's history and metrics. */
  recorder?: RunRecorder;
}
