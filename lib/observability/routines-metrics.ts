// Types only: prom-client is an optional peer, loaded by `createRoutinesMetrics` when asked.
import type * as PromClient from 'prom-client';
import {
  RoutinesConfigurationError,
  type Clock,
  type EndStatus,
  type RoutineInfo,
  type RoutineState,
  type RunRecorder,
  type SkipReason,
} from '../core';
import type { MetricsOptions } from './observability-options';
import { loadOptionalPeer } from './optional-peer';

const STATES: readonly RoutineState[] = [
  'idle',
  'disabled',
  'running',
  'paused',
  'standby',
  'delayed',
  'restarting',
  'completed',
  'failed',
  'stopping',
  'stopped',
];
const ENDS: readonly EndStatus[] = ['succeeded', 'failed', 'cancelled'];
const REASONS: readonly SkipReason[] = [
  'busy',
  'late',
  'backoff',
  'stopped',
  'claimed',
  'claim-error',
];

/**
 * What one routine name has counted, kept across the routine being built again (`start` after
 * `stop`) so that its counters only grow. Written by {@link MetricsRecorder} as plain numbers;
 * handed to prom-client when Prometheus scrapes.
 */
class RoutineTotals {
  readonly ended = [0, 0, 0];
  /** Wall-clock ms of the last run that ended with each outcome (NaN: none yet). */
  readonly lastEnded = [NaN, NaN, NaN];
  readonly skipped = [0, 0, 0, 0, 0, 0];
  restarts = 0;
  restartsSeen = 0;
  readonly claims = { won: 0, lost: 0, errors: 0 };
  readonly claimsSeen = { won: 0, lost: 0, errors: 0 };
  /** Per outcome: run durations counted into BUCKETS (not cumulative; the last: above them all). */
  readonly buckets = ENDS.map(() => new Float64Array(BUCKETS.length + 1));
  readonly durationSum = [0, 0, 0];
}

/** Upper bounds in seconds: prom-client's default buckets, 5 ms to 10 s. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * `run_duration_seconds` as a prom-client metric of our own (`registerMetric` takes any object
 * with this shape): runs are counted into plain arrays as they end, and the buckets are only
 * built when Prometheus scrapes. prom-client's Histogram hashes the labels at every observation.
 */
class RunDurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly help = 'How long runs took, by outcome.';

  constructor(
    readonly name: string,
    private readonly totals: Map<string, RoutineTotals>,
  ) {}

  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }>;
  }> {
    const values: Array<{
      labels: Record<string, string | number>;
      value: number;
      metricName: string;
    }> = [];
    for (const [routine, totals] of this.totals) {
      ENDS.forEach((status, i) => {
        const counts = totals.buckets[i];
        const count = counts.reduce((sum, n) => sum + n, 0);
        if (count === 0) return;
        let cumulative = 0;
        BUCKETS.forEach((le, b) => {
          cumulative += counts[b];
          values.push({
            labels: { le, routine, status },
            value: cumulative,
            metricName: `${this.name}_bucket`,
          });
        });
        values.push({
          labels: { le: '+Inf', routine, status },
          value: count,
          metricName: `${this.name}_bucket`,
        });
        values.push({
          labels: { routine, status },
          value: totals.durationSum[i],
          metricName: `${this.name}_sum`,
        });
        values.push({
          labels: { routine, status },
          value: count,
          metricName: `${this.name}_count`,
        });
      });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }
}

/**
 * Records one routine's runs for the metrics as they end, in plain numbers (nothing is
 * allocated, no label is hashed); then passes the run on to the routine's history, if any.
 */
export class MetricsRecorder implements RunRecorder {
  constructor(
    private readonly totals: RoutineTotals,
    private readonly clock: Clock,
    private readonly inner: RunRecorder | undefined,
  ) {}

  ran(
    id: number,
    status: EndStatus,
    due: number,
    dueOnWall: boolean,
    startedAt: number,
    finishedAt: number,
    error: unknown,
    epoch: number | undefined,
  ): void {
    this.inner?.ran(id, status, due, dueOnWall, startedAt, finishedAt, error, epoch);
    const i = status === 'succeeded' ? 0 : status === 'failed' ? 1 : 2;
    const totals = this.totals;
    totals.ended[i]++;
    totals.lastEnded[i] = this.clock.wallOf(finishedAt);
    const seconds = (finishedAt - startedAt) / 1000;
    totals.durationSum[i] += seconds;
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]) bucket++;
    totals.buckets[i][bucket]++;
  }

  skipped(due: number, dueOnWall: boolean, reason: SkipReason, at: number): void {
    this.inner?.skipped(due, dueOnWall, reason, at);
    this.totals.skipped[REASONS.indexOf(reason)]++;
  }

  restartScheduled(delayMs: number): void {
    this.inner?.restartScheduled(delayMs);
  }
}

/**
 * The routines' Prometheus metrics. Runs are counted as they end, in plain numbers, without
 * events or allocation; prom-client gets them when Prometheus scrapes. Labels stay low-cardinality: routine, status, reason,
 * state, outcome.
 */
export class RoutinesMetrics {
  private readonly totals = new Map<string, RoutineTotals>();
  private readonly registry: PromClient.Registry;
  private readonly names: string[];

  /** `promClient` is prom-client, `registry` one of its registries (typed loosely: see observability-options). */
  constructor(
    promClient: unknown,
    registry: unknown,
    prefix: string,
    private readonly snapshot: () => readonly RoutineInfo[],
  ) {
    const client = promClient as typeof PromClient;
    this.registry = registry as PromClient.Registry;
    const registers = [this.registry];
    /** Each routine's snapshot with its totals: for what is read off the routines themselves. */
    const collectAll = (): Array<[RoutineInfo, RoutineTotals]> =>
      this.snapshot().map((info) => [info, this.totalsOf(info.name)]);
    const histogram = new RunDurationHistogram(`${prefix}run_duration_seconds`, this.totals);
    this.registry.registerMetric(histogram as unknown as PromClient.Metric);
    const metrics: Array<{ name: string }> = [histogram];
    /** A counter or gauge whose values `fill` gives when Prometheus scrapes. */
    const collected = (
      kind: 'counter' | 'gauge',
      name: string,
      help: string,
      labelNames: string[],
      fill: (set: (labels: Record<string, string>, value: number) => void) => void,
    ): void => {
      const configuration = {
        name: `${prefix}${name}`,
        help,
        labelNames,
        registers,
        collect(this: PromClient.Counter<string> | PromClient.Gauge<string>) {
          this.reset();
          // A counter is handed its total: reset, then one increment by all of it.
          fill((labels, value) =>
            this instanceof client.Counter ? this.inc(labels, value) : this.set(labels, value),
          );
        },
      };
      const metric =
        kind === 'counter' ? new client.Counter(configuration) : new client.Gauge(configuration);
      metrics.push(metric as unknown as { name: string });
    };
    collected(
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
    collected(
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
    collected(
      'counter',
      'restarts_total',
      'Background routines restarted after a failure.',
      ['routine'],
      (set) => {
        for (const [info, totals] of collectAll()) {
          if (info.kind !== 'background') continue;
          totals.restarts += grown(info.counters.restarts, totals.restartsSeen);
          totals.restartsSeen = info.counters.restarts;
          set({ routine: info.name }, totals.restarts);
        }
      },
    );
    collected(
      'counter',
      'claims_total',
      'Cluster slot claims by outcome: won (ran here), lost (another replica ran it), error.',
      ['routine', 'outcome'],
      (set) => {
        for (const [info, totals] of collectAll()) {
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
    collected(
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
    collected('gauge', 'in_flight', 'Runs in flight.', ['routine'], (set) => {
      for (const info of this.snapshot()) set({ routine: info.name }, info.inFlight);
    });
    collected(
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
    collected(
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
    this.names = metrics.map((metric) => metric.name);
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
