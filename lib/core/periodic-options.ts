import type { RunRecorder } from './run-ledger';
import type { Clock } from './clock';
import type { Coordinator } from '../cluster/ports/coordinator';
import {
  checkDuration,
  formatDuration,
  toMilliseconds,
  type Duration,
  type OptionProblem,
} from './duration';
import { MESSAGES } from './core.messages';
import { CATCH_UP_ONCE, MAX_CATCH_UP, type CatchUpOptions, type CatchUpPolicy } from './catch-up';
import type { MarkerTiming } from '../cluster/cluster-overlap';
import { validateLeaseOptions, type LeaseOptions } from '../cluster/lease-keeper';
import type { RoutineLogger } from './logger';
import type { OverlapPolicy, RoutineEventListener, RoutineScope } from './routine';
import {
  checkInterval,
  DEFAULT_INTERVAL_MS,
  type IntervalSpec,
  type ParsedInterval,
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
   * function returning a duration, read after every run (the next tick is due that long after
   * the run ends). Default: 1 s, as in the seed.
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
  /** Where each run and skipped tick is recorded, e.g. a `RunHistory`. */
  recorder?: RunRecorder;
}

/** A backoff option in milliseconds. */
export interface ResolvedBackoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}

/** Periodic options parsed to milliseconds; what the routine keeps. */
export interface ResolvedPeriodicOptions {
  interval: ParsedInterval;
  timeoutMs: number | undefined;
  jitterMs: number;
  initialDelayMs: number | undefined;
  runOnStart: boolean;
  backoff: ResolvedBackoff | undefined;
  overlap: OverlapPolicy;
  maxBuffered: number;
  /** Wall-clock ms. */
  startAt: number | undefined;
  endAt: number | undefined;
  maxRuns: number | undefined;
  phaseMs: number;
  align: boolean;
  /** `catchup`, or `missed: 'once'`; undefined: none. */
  catchup: CatchUpPolicy | undefined;
  /** Cluster scope: the run marker's timing (from `lease`). */
  marker: MarkerTiming;
}

const SCOPES: readonly RoutineScope[] = ['instance', 'cluster'];
const DEFAULT_MAX_BACKOFF_MS = 3_600_000;
const DEFAULT_CRON_BACKOFF_MS = 60_000;

/** Every problem in a periodic routine's options, without throwing. */
export function validatePeriodicOptions(options: PeriodicOptions): OptionProblem[] {
  const problems: OptionProblem[] = [];
  resolvePeriodicOptions(options, problems);
  return problems;
}

/** Parses the options, recording every problem in `problems`; the result is meaningful only without problems. */
export function resolvePeriodicOptions(
  options: PeriodicOptions,
  problems: OptionProblem[],
): ResolvedPeriodicOptions {
  const interval =
    options.interval === undefined
      ? { intervalMs: DEFAULT_INTERVAL_MS }
      : checkInterval(problems, 'interval', options.interval);
  const timeoutMs = checkDuration(problems, 'timeout', options.timeout);
  const jitterMs = checkDuration(problems, 'jitter', options.jitter, { allowZero: true });
  const initialDelayMs = checkDuration(problems, 'initialDelay', options.initialDelay, {
    allowZero: true,
  });
  checkConcurrency(problems, options.concurrency);
  checkChoices(problems, options);
  if (
    jitterMs !== undefined &&
    interval.intervalMs !== undefined &&
    jitterMs >= interval.intervalMs
  ) {
    problems.push({
      option: 'jitter',
      value: options.jitter,
      message: MESSAGES.jitterNotShorterThanInterval(formatDuration(interval.intervalMs)),
    });
  }
  if (options.scope === 'cluster' && interval.cron && options.runOnStart) {
    problems.push({ option: 'runOnStart', value: true, message: MESSAGES.clusterCronRunOnStart });
  }
  checkBackoff(problems, options.backoff);
  const overlap = checkOverlap(problems, options);
  const { startAt, endAt, maxRuns } = checkBounds(problems, options);
  const phaseMs = checkPhase(problems, options, interval);
  const catchup = checkCatchUp(problems, options, interval);
  const marker = checkMarker(problems, options);
  // On a grid (cluster scope, align) a start is no reason to run: the grid and `missed` decide.
  const runOnStart =
    options.runOnStart ??
    (interval.cron === undefined && options.scope !== 'cluster' && options.align !== true);
  const backoffBaseMs =
    interval.intervalMs ?? (interval.cron ? DEFAULT_CRON_BACKOFF_MS : DEFAULT_INTERVAL_MS);
  return {
    interval,
    timeoutMs,
    jitterMs: jitterMs ?? 0,
    initialDelayMs,
    runOnStart,
    backoff: problems.length === 0 ? resolveBackoff(options.backoff, backoffBaseMs) : undefined,
    overlap,
    maxBuffered: options.maxBuffered ?? DEFAULT_MAX_BUFFERED,
    startAt,
    endAt,
    maxRuns,
    phaseMs: phaseMs ?? 0,
    align: options.align === true,
    catchup,
    marker,
  };
}

const DEFAULT_MARKER_TTL_MS = 15_000;
const DEFAULT_MARKER_RETRY_MS = 500;

/** `lease` on a periodic routine: the run marker's timing, in cluster scope only. */
function checkMarker(problems: OptionProblem[], options: PeriodicOptions): MarkerTiming {
  const { lease } = options;
  const found = validateLeaseOptions(lease);
  problems.push(...found);
  if (lease !== undefined && options.scope !== 'cluster') {
    problems.push({ option: 'lease', value: lease, message: MESSAGES.leaseOnlyInCluster });
  }
  if (lease === undefined || found.length > 0) {
    return {
      ttlMs: DEFAULT_MARKER_TTL_MS,
      renewEveryMs: DEFAULT_MARKER_TTL_MS / 3,
      retryEveryMs: DEFAULT_MARKER_RETRY_MS,
    };
  }
  const ttlMs =
    lease.ttl === undefined ? DEFAULT_MARKER_TTL_MS : toMilliseconds(lease.ttl, 'lease.ttl');
  return {
    ttlMs,
    renewEveryMs:
      lease.renewEvery === undefined
        ? Math.max(1, Math.floor(ttlMs / 3))
        : toMilliseconds(lease.renewEvery, 'lease.renewEvery'),
    retryEveryMs:
      lease.retryEvery === undefined
        ? Math.min(DEFAULT_MARKER_RETRY_MS, ttlMs)
        : toMilliseconds(lease.retryEvery, 'lease.retryEvery'),
  };
}

/** `catchup` (or its shorthand `missed`): a window of zero or more, `max` from 1, a schedule with due times. */
function checkCatchUp(
  problems: OptionProblem[],
  options: PeriodicOptions,
  interval: ParsedInterval,
): CatchUpPolicy | undefined {
  const { catchup, missed } = options;
  if (catchup === undefined) return missed === 'once' ? CATCH_UP_ONCE : undefined;
  if (missed !== undefined) {
    problems.push({ option: 'missed', value: missed, message: MESSAGES.missedWithCatchUp });
  }
  if (typeof catchup !== 'object' || catchup === null) {
    problems.push({ option: 'catchup', value: catchup, message: MESSAGES.badCatchUp });
    return undefined;
  }
  for (const key of Object.keys(catchup)) {
    if (key !== 'window' && key !== 'max') {
      problems.push({
        option: `catchup.${key}`,
        value: (catchup as unknown as Record<string, unknown>)[key],
        message: MESSAGES.unknownCatchUpKey,
      });
    }
  }
  const windowMs =
    catchup.window === Infinity
      ? Infinity
      : catchup.window === undefined
        ? (problems.push({
            option: 'catchup.window',
            value: undefined,
            message: MESSAGES.catchUpWindowMissing,
          }),
          undefined)
        : checkDuration(problems, 'catchup.window', catchup.window, { allowZero: true });
  const max = catchup.max ?? 1;
  if (!Number.isInteger(max) || max < 1 || max > MAX_CATCH_UP) {
    problems.push({ option: 'catchup.max', value: catchup.max, message: MESSAGES.badCatchUpMax });
  }
  if (interval.intervalFn) {
    problems.push({ option: 'catchup', value: catchup, message: MESSAGES.catchUpNeedsDueTimes });
  }
  return windowMs === undefined ? undefined : { windowMs, max };
}

/** `phase` and `align`: intervals on the shared grid only, the phase below the interval. */
function checkPhase(
  problems: OptionProblem[],
  options: PeriodicOptions,
  interval: ParsedInterval,
): number | undefined {
  if (options.align !== undefined && typeof options.align !== 'boolean') {
    problems.push({ option: 'align', value: options.align, message: MESSAGES.notBoolean });
  }
  if (options.align === true && interval.intervalMs === undefined) {
    problems.push({ option: 'align', value: true, message: MESSAGES.alignNeedsInterval });
  }
  if (options.phase === undefined) return undefined;
  const phaseMs = checkDuration(problems, 'phase', options.phase, { allowZero: true });
  if (phaseMs === undefined) return undefined;
  if (interval.intervalMs === undefined) {
    problems.push({ option: 'phase', value: options.phase, message: MESSAGES.phaseNeedsInterval });
  } else if (phaseMs >= interval.intervalMs) {
    problems.push({
      option: 'phase',
      value: options.phase,
      message: MESSAGES.phaseNotBelowInterval(formatDuration(interval.intervalMs)),
    });
  } else if (options.scope !== 'cluster' && options.align !== true) {
    problems.push({ option: 'phase', value: options.phase, message: MESSAGES.phaseNeedsGrid });
  }
  return phaseMs;
}

/** A time option as wall-clock ms: a Date, epoch ms, or an ISO 8601 string. */
function checkTime(problems: OptionProblem[], option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)
          ? Date.parse(value)
          : NaN;
  if (!Number.isFinite(ms)) {
    problems.push({ option, value, message: MESSAGES.badTime });
    return undefined;
  }
  return ms;
}

function checkBounds(
  problems: OptionProblem[],
  options: PeriodicOptions,
): { startAt?: number; endAt?: number; maxRuns?: number } {
  const startAt = checkTime(problems, 'startAt', options.startAt);
  const endAt = checkTime(problems, 'endAt', options.endAt);
  if (startAt !== undefined && endAt !== undefined && endAt <= startAt) {
    problems.push({ option: 'endAt', value: options.endAt, message: MESSAGES.endBeforeStart });
  }
  const { maxRuns } = options;
  if (maxRuns !== undefined) {
    if (!Number.isInteger(maxRuns) || maxRuns < 1) {
      problems.push({ option: 'maxRuns', value: maxRuns, message: MESSAGES.badMaxRuns });
    } else if (options.scope === 'cluster') {
      problems.push({ option: 'maxRuns', value: maxRuns, message: MESSAGES.maxRunsNotInCluster });
    }
  }
  return { startAt, endAt, maxRuns };
}

const OVERLAP_POLICIES: readonly OverlapPolicy[] = [
  'skip',
  'buffer-one',
  'buffer-all',
  'cancel-other',
  'allow',
];
/** `maxBuffered` when it is not given. */
export const DEFAULT_MAX_BUFFERED = 100;
/** Policies that hold one run at a time and decide what the next tick does. */
const ONE_AT_A_TIME: ReadonlySet<OverlapPolicy> = new Set([
  'buffer-one',
  'buffer-all',
  'cancel-other',
]);

/** The overlap policy, checked against `concurrency`, `maxBuffered` and the scope. */
function checkOverlap(problems: OptionProblem[], options: PeriodicOptions): OverlapPolicy {
  const { overlap, concurrency, maxBuffered } = options;
  const manyAtOnce =
    typeof concurrency === 'function' || (typeof concurrency === 'number' && concurrency > 1);
  if (overlap !== undefined && !OVERLAP_POLICIES.includes(overlap)) {
    problems.push({ option: 'overlap', value: overlap, message: MESSAGES.badOverlap });
    return 'skip';
  }
  const policy = overlap ?? (manyAtOnce ? 'allow' : 'skip');
  if (ONE_AT_A_TIME.has(policy) && manyAtOnce) {
    problems.push({
      option: 'concurrency',
      value: concurrency,
      message: MESSAGES.overlapOneAtATime(policy),
    });
  }
  if (policy === 'allow' && !manyAtOnce) {
    problems.push({ option: 'overlap', value: overlap, message: MESSAGES.allowNeedsConcurrency });
  }
  if (maxBuffered !== undefined) {
    if (!Number.isInteger(maxBuffered) || maxBuffered < 1) {
      problems.push({
        option: 'maxBuffered',
        value: maxBuffered,
        message: MESSAGES.badMaxBuffered,
      });
    } else if (policy !== 'buffer-all') {
      problems.push({
        option: 'maxBuffered',
        value: maxBuffered,
        message: MESSAGES.maxBufferedWithout(policy),
      });
    }
  }
  return policy;
}

/** `setInterval(value)` at run time: a duration or cron spec, longer than the jitter. */
export function checkNewInterval(
  value: IntervalSpec,
  jitterMs: number,
  problems: OptionProblem[],
): ParsedInterval {
  const parsed = checkInterval(problems, 'interval', value);
  if (jitterMs > 0 && parsed.intervalMs !== undefined && parsed.intervalMs <= jitterMs) {
    problems.push({
      option: 'interval',
      value,
      message: MESSAGES.intervalNotLongerThanJitter(formatDuration(jitterMs)),
    });
  }
  if (parsed.intervalFn) {
    problems.push({ option: 'interval', value, message: MESSAGES.setIntervalFunction });
  }
  return parsed;
}

function checkConcurrency(problems: OptionProblem[], concurrency: unknown): void {
  if (
    concurrency === undefined ||
    typeof concurrency === 'function' ||
    (Number.isInteger(concurrency) && (concurrency as number) >= 1)
  )
    return;
  problems.push({ option: 'concurrency', value: concurrency, message: MESSAGES.badConcurrency });
}

function checkChoices(problems: OptionProblem[], options: PeriodicOptions): void {
  if (options.runOnStart !== undefined && typeof options.runOnStart !== 'boolean') {
    problems.push({
      option: 'runOnStart',
      value: options.runOnStart,
      message: MESSAGES.notBoolean,
    });
  }
  if (options.scope !== undefined && !SCOPES.includes(options.scope)) {
    problems.push({ option: 'scope', value: options.scope, message: MESSAGES.badScope });
  }
  if (options.missed !== undefined && options.missed !== 'skip' && options.missed !== 'once') {
    problems.push({ option: 'missed', value: options.missed, message: MESSAGES.badMissed });
  }
}

function checkBackoff(problems: OptionProblem[], backoff: PeriodicOptions['backoff']): void {
  if (backoff === undefined || typeof backoff === 'boolean') return;
  if (typeof backoff !== 'object' || backoff === null) {
    problems.push({ option: 'backoff', value: backoff, message: MESSAGES.badBackoff });
    return;
  }
  checkDuration(problems, 'backoff.initialDelay', backoff.initialDelay);
  checkDuration(problems, 'backoff.maxDelay', backoff.maxDelay);
  if (
    backoff.factor !== undefined &&
    !(typeof backoff.factor === 'number' && backoff.factor >= 1 && Number.isFinite(backoff.factor))
  ) {
    problems.push({ option: 'backoff.factor', value: backoff.factor, message: MESSAGES.badFactor });
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
        ? DEFAULT_MAX_BACKOFF_MS
        : toMilliseconds(options.maxDelay, 'backoff.maxDelay'),
    factor: options.factor ?? 2,
  };
}

/** The delay before ticks run again after `consecutiveFailures` failures in a row. */
export function backoffDelay(backoff: ResolvedBackoff, consecutiveFailures: number): number {
  return Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (consecutiveFailures - 1));
}
