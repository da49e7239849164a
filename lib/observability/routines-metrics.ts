// Types only: prom-client is an optional peer, loaded by `createRoutinesMetrics` when asked.
import type * as PromClient from 'prom-client';
import {
  RoutinesConfigurationError,
  type RoutineEvent,
  type RoutineInfo,
  type RoutineState,
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

/**
 * The routines' Prometheus metrics. Counters and the histogram follow the routines' events;
 * gauges (in flight, state, lease held) and the claim counters are read from the routines when
 * Prometheus scrapes. Labels stay low-cardinality: routine, status, reason, state, outcome.
 */
export class RoutinesMetrics {
  private readonly runs: PromClient.Counter<'routine' | 'status'>;
  private readonly duration: PromClient.Histogram<'routine' | 'status'>;
  private readonly skipped: PromClient.Counter<'routine' | 'reason'>;
  private readonly restarts: PromClient.Counter<'routine'>;
  private readonly lastRun: PromClient.Gauge<'routine' | 'status'>;
  private readonly names: string[];
  /** Claim counts last seen per routine, to turn the routines' totals into counter increments. */
  private readonly claimsSeen = new Map<string, { won: number; lost: number; errors: number }>();
  private readonly registry: PromClient.Registry;

  /** `client` is prom-client, `registry` one of its registries (typed loosely: see observability-options). */
  constructor(
    promClient: unknown,
    registry: unknown,
    prefix: string,
    snapshot: () => readonly RoutineInfo[],
  ) {
    const client = promClient as typeof PromClient;
    this.registry = registry as PromClient.Registry;
    const registers = [this.registry];
    this.runs = new client.Counter({
      name: `${prefix}runs_total`,
      help: 'Runs (background: attempts) that ended, by outcome: succeeded, failed, cancelled.',
      labelNames: ['routine', 'status'],
      registers,
    });
    this.duration = new client.Histogram({
      name: `${prefix}run_duration_seconds`,
      help: 'How long runs took, by outcome.',
      labelNames: ['routine', 'status'],
      registers,
    });
    this.skipped = new client.Counter({
      name: `${prefix}skipped_total`,
      help: 'Ticks that were due and not run, by reason: busy, late, backoff, stopped, claim-error.',
      labelNames: ['routine', 'reason'],
      registers,
    });
    this.restarts = new client.Counter({
      name: `${prefix}restarts_total`,
      help: 'Background routines restarted after a failure.',
      labelNames: ['routine'],
      registers,
    });
    this.lastRun = new client.Gauge({
      name: `${prefix}last_run_timestamp_seconds`,
      help: 'When the last run with this outcome ended, in Unix seconds.',
      labelNames: ['routine', 'status'],
      registers,
    });
    const inFlight = new client.Gauge({
      name: `${prefix}in_flight`,
      help: 'Runs in flight.',
      labelNames: ['routine'],
      registers,
      collect() {
        this.reset();
        for (const info of snapshot()) this.set({ routine: info.name }, info.inFlight);
      },
    });
    const state = new client.Gauge({
      name: `${prefix}state`,
      help: 'The state a routine is in: 1 for its state, 0 for the others.',
      labelNames: ['routine', 'state'],
      registers,
      collect() {
        this.reset();
        for (const info of snapshot()) {
          for (const one of STATES)
            this.set({ routine: info.name, state: one }, info.state === one ? 1 : 0);
        }
      },
    });
    const claimsSeen = this.claimsSeen;
    const claims = new client.Counter({
      name: `${prefix}claims_total`,
      help: 'Cluster slot claims by outcome: won (ran here), lost (another replica ran it), error.',
      labelNames: ['routine', 'outcome'],
      registers,
      collect() {
        for (const info of snapshot()) {
          const now = info.cluster?.claims;
          if (!now) continue;
          const before = claimsSeen.get(info.name) ?? { won: 0, lost: 0, errors: 0 };
          // A routine built again (start after stop) counts from zero: count its claims afresh.
          const delta = (key: 'won' | 'lost' | 'errors') =>
            now[key] >= before[key] ? now[key] - before[key] : now[key];
          this.inc({ routine: info.name, outcome: 'won' }, delta('won'));
          this.inc({ routine: info.name, outcome: 'lost' }, delta('lost'));
          this.inc({ routine: info.name, outcome: 'error' }, delta('errors'));
          claimsSeen.set(info.name, { ...now });
        }
      },
    });
    const leaseHeld = new client.Gauge({
      name: `${prefix}lease_held`,
      help: 'Cluster background routines: 1 while this replica holds the lease.',
      labelNames: ['routine'],
      registers,
      collect() {
        this.reset();
        for (const info of snapshot()) {
          if (info.kind === 'background' && info.scope === 'cluster') {
            this.set({ routine: info.name }, info.cluster?.role === 'leader' ? 1 : 0);
          }
        }
      },
    });
    this.names = [
      this.runs,
      this.duration,
      this.skipped,
      this.restarts,
      this.lastRun,
      inFlight,
      state,
      claims,
      leaseHeld,
    ].map((metric) => (metric as unknown as { name: string }).name);
  }

  /** Counts one event: an outcome, a skipped tick, a restart. */
  observe(event: RoutineEvent): void {
    const routine = event.routine;
    const outcome = event.outcome;
    switch (event.type) {
      case 'run-succeeded':
      case 'run-failed':
      case 'run-cancelled': {
        const status = outcome!.status;
        this.runs.inc({ routine, status });
        if (outcome!.durationMs !== undefined) {
          this.duration.observe({ routine, status }, outcome!.durationMs / 1000);
        }
        this.lastRun.set({ routine, status }, (outcome!.finishedAt ?? event.at) / 1000);
        return;
      }
      case 'run-skipped':
        if (outcome?.reason !== 'claimed') this.skipped.inc({ routine, reason: outcome!.reason! });
        return;
      case 'restarted':
        this.restarts.inc({ routine });
        return;
      default:
        return;
    }
  }

  /** Takes the metrics out of the registry (the app closed). */
  unregister(): void {
    for (const name of this.names) this.registry.removeSingleMetric(name);
  }
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
