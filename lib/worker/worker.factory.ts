import { Logger } from '@nestjs/common';
import {
  checkDuration,
  renewDeadline,
  type RoutineEventListener,
  RoutinesConfigurationError,
  type ConfigurationProblem,
  type OptionProblem,
} from '../core';
import { systemClock, type Clock } from '../core/clock';
import { JobHistory, jobRecorders } from '../observability/job-history';
import type { RoutinesMetrics } from '../observability/routines-metrics';
import type { RunTracer } from '../observability/run-tracer';
import type { RoutineDeclaration } from '../nest/interfaces/routine-declaration.interface';
import type { DeclaredWorker } from '../nest/routines.explorer';
import { DbWorker } from './db-worker';
import type { JobContext, WorkerEvent, WorkerEventListener } from './interfaces/job.interface';
import type { PostgresWorkerStore } from './postgres-worker-store';
import type { PostgresWorkerTable } from './postgres-worker-table';
import type { SlotClaims } from '../cluster/ports/slot-claims';
import { JobPruner } from './job-pruner';
import { resolveRetention } from './job-retention';
import { WORKER_OPTION_NAMES } from './worker-option-names';
import { unknownOptionProblems } from '../core/unknown-options';
import { MESSAGES } from './worker.messages';

/** The worker's events on the registry's `events$`, built only while it has a subscriber (measured). */
function jobEvents(routine: string, emit: RoutineEventListener, clock: Clock): WorkerEventListener {
  return Object.defineProperty(
    ({ type, id, attempt, count, error }: WorkerEvent) =>
      emit({ type, routine, at: clock.wallNow(), job: { id, attempt, count }, error }),
    'observed',
    { get: () => emit.observed !== false },
  );
}

/** A worker as the registry holds it. */
export interface BuiltWorker {
  name: string;
  worker: DbWorker;
  table: PostgresWorkerTable;
  /** A plain queue's name (the library's job table); undefined for an app table. */
  queue?: string;
  store: PostgresWorkerStore;
  /** Its last job attempts, unless the module keeps none (`history: 0`). */
  history?: JobHistory;
  /** Its `maxAttempts` and `maxResets`, as an operator's list shows and a retry keeps them. */
  maxAttempts: number;
  maxResets: number;
  /** Prunes its ended rows past their retention (a plain queue with a retention). */
  pruner?: JobPruner;
}

/**
 * What a worker's jobs are observed with: the module's `history`, `metrics` and `tracing`, and
 * the module's `clock`, which the workers run on as every routine does.
 */
export interface WorkerObservers {
  history: number;
  metrics?: RoutinesMetrics;
  tracer?: RunTracer;
  /** The workers' timers, row holds and event times. Default: the system clock. */
  clock?: Clock;
  /** Where a pruning round is claimed, once across replicas (the module's coordinator). */
  coordinator?: SlotClaims;
}

/** A worker's options in milliseconds, as the `DbWorker` takes them. */
interface WorkerTimings {
  pollIntervalMs: number;
  heartbeatMs: number;
  stalledAfterMs: number;
  timeoutMs?: number;
  backoff: { initialMs: number; maxMs: number };
}

/** Reads a `@Worker`'s durations and counts; each bad one is a problem naming its option. */
function workerTimings(
  options: DeclaredWorker['options'],
  problems: OptionProblem[],
): WorkerTimings {
  const ms = (option: string, value: unknown, fallback: number) =>
    checkDuration(problems, option, value) ?? fallback;
  const timings: WorkerTimings = {
    pollIntervalMs: ms('pollInterval', options.pollInterval, 1000),
    heartbeatMs: ms('heartbeat', options.heartbeat, 5000),
    stalledAfterMs: ms('stalledAfter', options.stalledAfter, 30_000),
    timeoutMs: options.timeout === undefined ? undefined : ms('timeout', options.timeout, 0),
    backoff: {
      initialMs: ms('backoff.initialDelay', options.backoff?.initialDelay, 10_000),
      maxMs: ms('backoff.maxDelay', options.backoff?.maxDelay, 3_600_000),
    },
  };
  for (const [option, value, min] of [
    ['concurrency', options.concurrency, 1],
    ['maxAttempts', options.maxAttempts, 1],
    ['maxResets', options.maxResets, 0],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < min)) {
      problems.push({ option, value, message: MESSAGES.notWholeNumber(min) });
    }
  }
  if (timings.heartbeatMs >= renewDeadline(timings.stalledAfterMs)) {
    problems.push({
      option: 'stalledAfter',
      value: options.stalledAfter ?? '30s',
      message: MESSAGES.stalledAfterTooShort(timings.heartbeatMs),
    });
  }
  return timings;
}

/** The worker's table (a plain queue of the library's, or the app's own), checked. */
async function openWorkerTable(
  store: PostgresWorkerStore,
  { source, options }: DeclaredWorker,
  problems: ConfigurationProblem[],
): Promise<PostgresWorkerTable | undefined> {
  try {
    const table =
      options.table === undefined
        ? ((await store.queue(options.name)) as unknown as PostgresWorkerTable)
        : store.table(options.table, { columns: options.columns, order: options.order });
    await table.check(source);
    return table;
  } catch (error) {
    if (!(error instanceof RoutinesConfigurationError)) throw error;
    problems.push(...error.problems.map((problem) => ({ ...problem, routine: options.name })));
    return undefined;
  }
}

/** A worker ready to run: the registry's view, and how to make it again for a restart. */
interface ReadyWorker {
  built: BuiltWorker;
  makeWorker(): DbWorker;
  stalledAfterMs: number;
}

/** A plain queue hands the handler the payload; an app table, the row. */
function jobHandler(
  instance: DeclaredWorker['instance'],
  plain: boolean,
): (row: Record<string, unknown>, job: JobContext) => Promise<void> {
  return plain
    ? (row, job) => instance.handle(row.payload, job) as Promise<void>
    : (row, job) => instance.handle(row, job) as Promise<void>;
}

/** One `@Worker`: its options checked, its table opened, its first `DbWorker` made. */
async function buildWorker(
  declared: DeclaredWorker,
  store: PostgresWorkerStore | undefined,
  emit: RoutineEventListener,
  observers: WorkerObservers,
  problems: ConfigurationProblem[],
): Promise<ReadyWorker | undefined> {
  const { source, instance, options } = declared;
  const name = options.name;
  const optionProblems: OptionProblem[] = [];
  optionProblems.push(...unknownOptionProblems(options, WORKER_OPTION_NAMES, 'a @Worker option'));
  const timings = workerTimings(options, optionProblems);
  const retention = resolveRetention(options.retention, options.table, optionProblems);
  problems.push(...optionProblems.map((problem) => ({ ...problem, source, routine: name })));
  if (!store) {
    problems.push({
      source,
      routine: name,
      option: 'workerStore',
      value: undefined,
      message: MESSAGES.noWorkerStore,
    });
    return undefined;
  }
  const table = await openWorkerTable(store, declared, problems);
  if (!table || optionProblems.length > 0) return undefined;
  const plain = options.table === undefined;
  const handle = jobHandler(instance, plain);
  const clock = observers.clock ?? systemClock;
  const history = observers.history > 0 ? new JobHistory(observers.history) : undefined;
  // Made once: they outlive the worker, which is made again when its routine restarts.
  const recorder = jobRecorders(history, observers.metrics?.jobRecorderFor(name));
  const wrap = observers.tracer?.forWorker(name);
  const makeWorker = () =>
    new DbWorker(table, handle, {
      name,
      concurrency: options.concurrency,
      ...timings,
      maxResets: options.maxResets,
      maxAttempts: options.maxAttempts,
      resetStalled: false,
      logger: new Logger(name),
      onEvent: jobEvents(name, emit, clock),
      clock,
      recorder,
      wrap,
    });
  try {
    const worker = makeWorker();
    const queue = plain ? name : undefined;
    const pruner =
      retention &&
      new JobPruner(name, table, retention, clock, observers.coordinator, new Logger(name));
    const built: BuiltWorker = {
      ...{ name, worker, table, queue, store, history, pruner },
      maxAttempts: options.maxAttempts ?? 5,
      maxResets: options.maxResets ?? 3,
    };
    return { built, makeWorker, stalledAfterMs: timings.stalledAfterMs };
  } catch (error) {
    if (!(error instanceof RoutinesConfigurationError)) throw error;
    problems.push(...error.problems.map((problem) => ({ ...problem, source, routine: name })));
    return undefined;
  }
}

/**
 * A worker's two routines: a background routine `<name>` that runs the worker (its signal
 * aborting starts the graceful stop, which hands unfinished rows back), and a cluster periodic
 * routine `<name>:reset-stalled` that resets stalled rows once per tick across replicas.
 */
function workerRoutines(
  { built, makeWorker, stalledAfterMs }: ReadyWorker,
  { source, options }: DeclaredWorker,
  shutdownTimeoutMs: number,
): RoutineDeclaration[] {
  const { name, store } = built;
  const announcedAs = options.table ?? name;
  // Most of the shutdown timeout for jobs in flight, the rest to hand the others back.
  const graceMs = Math.floor(shutdownTimeoutMs * 0.8);
  const run: RoutineDeclaration = {
    kind: 'background',
    name,
    source,
    instance: {
      async start(signal: AbortSignal): Promise<void> {
        // A worker runs once: the routine started again (registry.start, restart) gets a new one.
        if (built.worker.started) built.worker = makeWorker();
        const worker = built.worker;
        const stopListening = store.onAnnounced(announcedAs, () => worker.notify());
        worker.start();
        built.pruner?.start();
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          else signal.addEventListener('abort', () => resolve(), { once: true });
        });
        await Promise.all([worker.stop(graceMs), built.pruner?.stop()]);
        stopListening();
      },
    },
    options: {
      description: options.description ?? MESSAGES.workerDescription(options.table),
      enabled: options.enabled,
    },
  };
  const resetStalled: RoutineDeclaration = {
    kind: 'periodic',
    name: `${name}:reset-stalled`,
    source,
    instance: { handle: () => built.worker.resetStalledRows() },
    options: {
      interval: Math.max(1000, Math.floor(stalledAfterMs / 2)),
      scope: 'cluster',
      runOnStart: false,
      description: MESSAGES.resetStalledDescription(name, stalledAfterMs),
      enabled: options.enabled,
    },
  };
  return [run, resetStalled];
}

/**
 * Each `@Worker` becomes two routines (see `workerRoutines`). Checks each table first: a
 * missing column is a configuration error naming it.
 */
export async function buildWorkers(
  found: readonly DeclaredWorker[],
  store: PostgresWorkerStore | undefined,
  shutdownTimeoutMs: number,
  emit: RoutineEventListener,
  observers: WorkerObservers = { history: 0 },
): Promise<{
  declarations: RoutineDeclaration[];
  workers: BuiltWorker[];
  problems: ConfigurationProblem[];
}> {
  const declarations: RoutineDeclaration[] = [];
  const workers: BuiltWorker[] = [];
  const problems: ConfigurationProblem[] = [];
  for (const declared of found) {
    const ready = await buildWorker(declared, store, emit, observers, problems);
    if (!ready) continue;
    workers.push(ready.built);
    declarations.push(...workerRoutines(ready, declared, shutdownTimeoutMs));
  }
  return { declarations, workers, problems };
}
