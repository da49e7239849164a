// Types only: prom-client is an optional peer, loaded by `createRoutinesMetrics` when asked.
import type * as PromClient from 'prom-client';
import {
  RoutinesConfigurationError,
  systemClock,
  type Clock,
  type RoutineInfo,
  type RunRecorder,
} from '../core';
import type { MetricsOptions } from './observability-options';
import { loadOptionalPeer } from './optional-peer';
import { withDeadline } from '../core/deadline';
import { JOB_OUTCOMES, type JobRecorder } from '../worker/interfaces/job.interface';
import { metricDefiner, type DefineMetric } from './collected-metric';
import { DurationHistogram } from './duration-histogram';
import {
  ENDS,
  JobMetricsRecorder,
  MetricsRecorder,
  REASONS,
  RoutineTotals,
  STATES,
  WorkerTotals,
} from './metrics-recorders';

/** What the metrics read off a worker when Prometheus scrapes. */
export interface WorkerGauges {
  name: string;
  readonly inFlight: number;
  counts(): Promise<{ byState: Record<string, number>; oldestQueuedMs?: number }>;
}

/** A scrape waits this long for a worker's row counts or the migrations' progress, then leaves them out (the engine is slow or down). */
const COUNTS_DEADLINE_MS = 2000;

/**
 * The routines' Prometheus metrics. Runs are counted as they end, in plain numbers, without
 * events or allocation; prom-client gets them when Prometheus scrapes. Labels stay low-cardinality: routine, status, reason,
 * state, outcome.
 */
export class RoutinesMetrics {
  private readonly totals = new Map<string, RoutineTotals>();
  private readonly workerTotals = new Map<string, WorkerTotals>();
  private workers: () => readonly WorkerGauges[] = () => [];
  private migrations: () => Promise<ReadonlyArray<{ id: string; progress: number }>> =
    async () => [];
  private readonly batches = new Map<string, { succeeded: number; failed: number }>();
  private readonly registry: PromClient.Registry;
  private readonly names: string[];

  /** `promClient` is prom-client, `registry` one of its registries (typed loosely: see observability-options). */
  constructor(
    promClient: unknown,
    registry: unknown,
    prefix: string,
    private readonly snapshot: () => readonly RoutineInfo[],
  ) {
    this.registry = registry as PromClient.Registry;
    const names = this.durationHistograms(prefix);
    const define = metricDefiner(promClient as typeof PromClient, this.registry, prefix, names);
    this.runMetrics(define);
    this.clusterMetrics(define);
    this.stateMetrics(define);
    this.workerMetrics(define);
    this.migrationMetrics(define);
    this.names = names;
  }

  /** Run and job durations: histograms of our own, built only when Prometheus scrapes. */
  private durationHistograms(prefix: string): string[] {
    const histograms = [
      new DurationHistogram(
        `${prefix}run_duration_seconds`,
        'How long runs took, by outcome.',
        'routine',
        ENDS,
        'status',
        () => this.totals,
      ),
      new DurationHistogram(
        `${prefix}job_duration_seconds`,
        "How long workers' jobs ran in their handler, by outcome.",
        'worker',
        JOB_OUTCOMES,
        'outcome',
        () => this.workerTotals,
      ),
    ];
    for (const histogram of histograms)
      this.registry.registerMetric(histogram as unknown as PromClient.Metric);
    return histograms.map((histogram) => histogram.name);
  }

  /** Runs that ended and ticks skipped, as counted when they happened. */
  private runMetrics(define: DefineMetric): void {
    define(
      'counter',
      'runs_total',
      'Runs (background: attempts) that ended, by outcome: succeeded, failed, cancelled.',
      ['routine', 'status'],
      (set) => {
        for (const [routine, totals] of this.totals) {
          ENDS.forEach((status, i) => set({ routine, status }, totals.ended[i]));
        }
      },
    );
    define(
      'counter',
      'skipped_total',
      'Ticks that were due and not run, by reason: busy, late, backoff, stopped, claim-error.',
      ['routine', 'reason'],
      (set) => {
        for (const [routine, totals] of this.totals) {
          REASONS.forEach((reason, i) => {
            if (totals.skipped[i] > 0) set({ routine, reason }, totals.skipped[i]);
          });
        }
      },
    );
  }

  /** Restarts and cluster claims (read off the routines at a scrape), and who holds a lease. */
  private clusterMetrics(define: DefineMetric): void {
    define(
      'counter',
      'restarts_total',
      'Background routines restarted after a failure.',
      ['routine'],
      (set) => {
        for (const [info, totals] of this.collectAll()) {
          if (info.kind !== 'background') continue;
          totals.restarts += grown(info.counters.restarts, totals.restartsSeen);
          totals.restartsSeen = info.counters.restarts;
          set({ routine: info.name }, totals.restarts);
        }
      },
    );
    define(
      'counter',
      'claims_total',
      'Cluster slot claims by outcome: won (ran here), lost (another replica ran it), error.',
      ['routine', 'outcome'],
      (set) => {
        for (const [info, totals] of this.collectAll()) {
          const now = info.cluster?.claims;
          if (!now) continue;
          for (const key of ['won', 'lost', 'errors'] as const) {
            totals.claims[key] += grown(now[key], totals.claimsSeen[key]);
            totals.claimsSeen[key] = now[key];
          }
          set({ routine: info.name, outcome: 'won' }, totals.claims.won);
          set({ routine: info.name, outcome: 'lost' }, totals.claims.lost);
          set({ routine: info.name, outcome: 'error' }, totals.claims.errors);
        }
      },
    );
    define(
      'gauge',
      'lease_held',
      'Cluster background routines: 1 while this replica holds the lease.',
      ['routine'],
      (set) => {
        for (const info of this.snapshot()) {
          if (info.kind === 'background' && info.scope === 'cluster') {
            set({ routine: info.name }, info.cluster?.role === 'leader' ? 1 : 0);
          }
        }
      },
    );
  }

  /** Each routine's last run, runs in flight and state. */
  private stateMetrics(define: DefineMetric): void {
    define(
      'gauge',
      'last_run_timestamp_seconds',
      'When the last run with this outcome ended, in Unix seconds.',
      ['routine', 'status'],
      (set) => {
        for (const [routine, totals] of this.totals) {
          ENDS.forEach((status, i) => {
            if (!Number.isNaN(totals.lastEnded[i]))
              set({ routine, status }, totals.lastEnded[i] / 1000);
          });
        }
      },
    );
    define('gauge', 'in_flight', 'Runs in flight.', ['routine'], (set) => {
      for (const info of this.snapshot()) set({ routine: info.name }, info.inFlight);
    });
    define(
      'gauge',
      'state',
      'The state a routine is in: 1 for its state, 0 for the others.',
      ['routine', 'state'],
      (set) => {
        for (const info of this.snapshot()) {
          for (const state of STATES)
            set({ routine: info.name, state }, info.state === state ? 1 : 0);
        }
      },
    );
  }

  /** Workers' jobs, and their tables' rows (queried at a scrape, under a deadline). */
  private workerMetrics(define: DefineMetric): void {
    define(
      'counter',
      'jobs_total',
      "Workers' job attempts that ended, by outcome: succeeded, retried, failed, cancelled, requeued, lost.",
      ['worker', 'outcome'],
      (set) => {
        for (const [worker, totals] of this.workerTotals) {
          JOB_OUTCOMES.forEach((outcome, i) => set({ worker, outcome }, totals.ended[i]));
        }
      },
    );
    define('gauge', 'jobs_in_flight', 'Jobs running in this process.', ['worker'], (set) => {
      for (const worker of this.workers()) set({ worker: worker.name }, worker.inFlight);
    });
    // One query per worker and gauge at each scrape, in parallel, each given up after a
    // deadline: a slow database leaves these series out rather than stalling the scrape.
    define(
      'gauge',
      'worker_rows',
      "Rows of a worker's table by state (queued, processing, errored, completed, failed, canceled).",
      ['worker', 'state'],
      async (set) => {
        for (const [worker, counts] of await rowCounts(this.workers())) {
          for (const [state, count] of Object.entries(counts.byState))
            set({ worker, state }, count);
        }
      },
    );
    define(
      'gauge',
      'worker_oldest_queued_seconds',
      "How long the oldest row due in a worker's table has waited.",
      ['worker'],
      async (set) => {
        for (const [worker, counts] of await rowCounts(this.workers())) {
          set({ worker }, (counts.oldestQueuedMs ?? 0) / 1000);
        }
      },
    );
  }

  /** Out-of-band migrations: batches run here, and progress read from the engine. */
  private migrationMetrics(define: DefineMetric): void {
    define(
      'counter',
      'migration_batches_total',
      'Out-of-band migration batches this replica ran, by outcome: succeeded, failed.',
      ['migration', 'outcome'],
      (set) => {
        for (const [migration, counts] of this.batches) {
          set({ migration, outcome: 'succeeded' }, counts.succeeded);
          set({ migration, outcome: 'failed' }, counts.failed);
        }
      },
    );
    define(
      'gauge',
      'migration_progress',
      'Out-of-band migrations: progress from 0 to 1, measured forward (the same on every replica).',
      ['migration'],
      async (set) => {
        for (const { id, progress } of await withinDeadline('migrations', this.migrations, [])) {
          set({ migration: id }, progress);
        }
      },
    );
  }

  /** Each routine's snapshot with its totals: for what is read off the routines themselves. */
  private collectAll(): Array<[RoutineInfo, RoutineTotals]> {
    return this.snapshot().map((info) => [info, this.totalsOf(info.name)]);
  }

  /** Where the progress gauge reads the migrations from (the module sets it once built). */
  watchMigrations(list: () => Promise<ReadonlyArray<{ id: string; progress: number }>>): void {
    this.migrations = list;
  }

  /** Counts a batch of an out-of-band migration run here. */
  migrationBatch(migration: string, outcome: 'succeeded' | 'failed'): void {
    let counts = this.batches.get(migration);
    if (!counts) this.batches.set(migration, (counts = { succeeded: 0, failed: 0 }));
    counts[outcome]++;
  }

  /** The workers whose gauges are read at a scrape (the module sets them once built). */
  watchWorkers(workers: () => readonly WorkerGauges[]): void {
    this.workers = workers;
  }

  /** The recorder of one worker's job ends, kept across the worker routine's restarts. */
  jobRecorderFor(worker: string): JobRecorder {
    let totals = this.workerTotals.get(worker);
    if (!totals) this.workerTotals.set(worker, (totals = new WorkerTotals()));
    return new JobMetricsRecorder(totals);
  }

  /** The recorder of one routine's runs, in front of its history (if it keeps one). */
  recorderFor(routine: string, clock: Clock, inner: RunRecorder | undefined): RunRecorder {
    return new MetricsRecorder(this.totalsOf(routine), clock, inner);
  }

  /** Drops a routine's series (it was removed at run time): a gone routine is not a stale one. */
  forget(routine: string): void {
    this.totals.delete(routine);
  }

  /** Takes the metrics out of the registry (the app closed). */
  unregister(): void {
    for (const name of this.names) this.registry.removeSingleMetric(name);
  }

  private totalsOf(routine: string): RoutineTotals {
    let totals = this.totals.get(routine);
    if (!totals) this.totals.set(routine, (totals = new RoutineTotals()));
    return totals;
  }
}

/** What `call` gives, or `fallback` when it fails or misses the scrape's deadline. */
function withinDeadline<T, F>(what: string, call: () => Promise<T>, fallback: F): Promise<T | F> {
  return withDeadline(systemClock, COUNTS_DEADLINE_MS, what, call).catch(() => fallback);
}

/** Each worker's row counts, leaving out those that failed or missed the deadline. */
async function rowCounts(
  workers: readonly WorkerGauges[],
): Promise<Map<string, Awaited<ReturnType<WorkerGauges['counts']>>>> {
  const counted = await Promise.all(
    workers.map(
      async (worker) =>
        [
          worker.name,
          await withinDeadline('row counts', () => worker.counts(), undefined),
        ] as const,
    ),
  );
  return new Map(
    counted.filter(
      (entry): entry is readonly [string, NonNullable<(typeof entry)[1]>] => !!entry[1],
    ),
  );
}

/**
 * How much a routine's own count grew since it was last seen: a routine built again (start
 * after stop) counts from zero, and all of its count is new.
 */
function grown(now: number, seen: number): number {
  return now >= seen ? now - seen : now;
}

/** Loads prom-client and registers the metrics; a name already registered is a clear error. */
export async function createRoutinesMetrics(
  options: true | MetricsOptions,
  snapshot: () => readonly RoutineInfo[],
): Promise<RoutinesMetrics> {
  const client = await loadOptionalPeer<typeof PromClient>('prom-client', 'metrics', 'Counter');
  const settings = options === true ? {} : options;
  const registry = (settings.registry ?? client.register) as PromClient.Registry;
  const prefix = settings.prefix ?? 'routines_';
  if (registry.getSingleMetric(`${prefix}runs_total`)) {
    throw new RoutinesConfigurationError([
      {
        source: 'RoutinesModule options',
        option: 'metrics',
        value: options,
        message: `cannot register '${prefix}runs_total': that registry has it already (another app in this process, or RoutinesModule imported twice). Give each app its own { registry } or { prefix }`,
      },
    ]);
  }
  return new RoutinesMetrics(client, registry, prefix, snapshot);
}
